/*
 * archcount.c: what an archive's samples add to a window's result: their
 * readings, round by round, and the count of agent samples and restarts.
 */
#include "archcount.h"
#include "series.h"

#include <math.h>

void
sample_count_close(struct sample_count *k)
{
    if (!k->open)
        return;
    k->total += isfinite(k->first) && isfinite(k->last) && k->last >= k->first
                    ? (long)(k->last - k->first) + 1 : k->run_logged;
    k->open = false;
}

void
sample_count_add(struct sample_count *k, const struct edge_sample *s)
{
    bool first = k->logged == 0;

    k->logged++;
    if (k->open && (s->start_time == k->run || (isnan(s->start_time) && isnan(k->run)))) {
        k->last = s->samples;
        k->run_logged++;
        return;
    }
    sample_count_close(k);
    if (!first && isfinite(k->run) && isfinite(s->start_time))
        k->restarts++;
    *k = (struct sample_count){ s->start_time, s->samples, s->samples, k->logged, 1, k->total,
                                k->restarts, true };
}

/* One round of the window's readings. */
void
feed_round(struct pp_window_result *out, const struct edge_sample *s)
{
    window_round(&out->w);
    for (size_t i = 0; i < s->n; i++)
        window_add(&out->w, s->v[i].series, s->v[i].inst, s->v[i].energy, s->t,
                   s->v[i].series == S_PROC || s->v[i].series == S_CGROUP);
    if (s->source[0])
        pp_note_source(out, s->source);
    if (s->interval > 0)
        out->interval = s->interval;
}

void
feed_sample(struct pp_window_result *out, struct sample_count *k, const struct edge_sample *s)
{
    feed_round(out, s);
    sample_count_add(k, s);
}
