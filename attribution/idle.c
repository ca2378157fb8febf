#include "idle.h"

#include <math.h>
#include <string.h>

void
idle_split(enum idle_basis basis, double idle_w, double dE_j, double dt_s,
           uint64_t busy_ns, uint64_t total_ns, struct idle_split *out)
{
    double E = (isfinite(dE_j) && dE_j > 0) ? dE_j : 0;

    memset(out, 0, sizeof(*out));
    if (basis == IDLE_BASELINE) {
        double expected = (isfinite(idle_w) && idle_w > 0 && isfinite(dt_s) && dt_s > 0)
                          ? idle_w * dt_s : 0;
        if (E >= expected) {
            out->active = E - expected;
            out->idle = expected;
        } else {
            out->idle = E;
            out->unexplained = expected - E;
        }
        return;
    }
    if (total_ns > 0) {
        double B = (double)(busy_ns < total_ns ? busy_ns : total_ns);
        out->active = E * B / (double)total_ns;
    }
    out->idle = E - out->active;
}

void
idle_window_init(struct idle_window *w, double span_s)
{
    memset(w, 0, sizeof(*w));
    w->span_s = (isfinite(span_s) && span_s > 0) ? span_s : 600;
    w->bucket_s = w->span_s / IDLE_WINDOW_BUCKETS;
    w->first_s = -1;
    for (unsigned i = 0; i < IDLE_WINDOW_BUCKETS; i++)
        w->key[i] = -1;
}

static int64_t
bucket_key(const struct idle_window *w, double t)
{
    return (int64_t)floor(t / w->bucket_s);
}

void
idle_window_add(struct idle_window *w, double now_s, double dE_j, double dt_s)
{
    int64_t k;
    unsigned slot;

    if (!(isfinite(dE_j) && dE_j >= 0 && isfinite(dt_s) && dt_s > 0 && isfinite(now_s) && now_s >= 0))
        return;
    if (w->first_s < 0)
        w->first_s = now_s - dt_s;
    k = bucket_key(w, now_s);
    slot = (unsigned)(k % IDLE_WINDOW_BUCKETS);
    if (w->key[slot] != k) {
        w->key[slot] = k;
        w->energy_j[slot] = 0;
        w->time_s[slot] = 0;
    }
    w->energy_j[slot] += dE_j;
    w->time_s[slot] += dt_s;
}

bool
idle_window_watts(const struct idle_window *w, double now_s, double *watts, double *watched_s)
{
    int64_t now_k;
    bool found = false;
    double lowest = 0;

    *watched_s = w->first_s < 0 ? 0 : now_s - w->first_s;
    if (w->first_s < 0 || *watched_s < w->span_s)
        return false;
    now_k = bucket_key(w, now_s);
    /* complete buckets only: the current one has not had its whole time */
    for (unsigned i = 0; i < IDLE_WINDOW_BUCKETS; i++) {
        if (w->key[i] < 0 || w->key[i] >= now_k || w->key[i] < now_k - IDLE_WINDOW_BUCKETS ||
            w->time_s[i] <= 0)
            continue;
        double mean = w->energy_j[i] / w->time_s[i];
        if (!found || mean < lowest)
            lowest = mean;
        found = true;
    }
    if (found)
        *watts = lowest;
    return found;
}
