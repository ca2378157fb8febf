#include "battery_rate.h"

void
level_rate_update(struct level_rate *lr, int64_t level, double now_s,
                  double window_s, double timeout_s)
{
    size_t newest, kept, anchor;

    if (!lr->primed) {
        lr->primed = true;
        lr->level = level;
        return;
    }
    if (level == lr->level) {
        newest = (lr->npoints + RATE_POINTS - 1) % RATE_POINTS;
        /* a level that stopped moving is no evidence for the old rate */
        if (lr->valid && now_s - lr->t[newest] > timeout_s)
            lr->valid = false;
        return;
    }
    newest = lr->npoints % RATE_POINTS;
    lr->t[newest] = now_s;
    lr->v[newest] = level;
    lr->npoints++;
    lr->level = level;
    if (lr->npoints < 2)
        return;
    kept = lr->npoints < RATE_POINTS ? lr->npoints : RATE_POINTS;
    /* the oldest change inside the window, but never less than the one before */
    anchor = (newest + RATE_POINTS - 1) % RATE_POINTS;
    for (size_t age = kept - 1; age >= 2; age--) {
        size_t i = (newest + RATE_POINTS - age) % RATE_POINTS;
        if (now_s - lr->t[i] <= window_s) {
            anchor = i;
            break;
        }
    }
    if (now_s > lr->t[anchor]) {
        lr->per_s = (double)(lr->v[anchor] - level) / (now_s - lr->t[anchor]);
        lr->valid = true;
    }
}
