/*
 * archsweep.c: many windows of an archive in one pass over its records
 * (phases): each window waits, is open while the samples go by, and ends.
 */
#include "archsweep.h"
#include "archcount.h"
#include "archread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The sweep: every window waits, then is open (fed each sample), then is done. */
struct sweep {
    const double            *start, *end;
    size_t                   n, next;      /* next: the next window to open, in start order */
    size_t                  *order;
    struct pp_window_result *out;
    bool                    *ok;
    struct sample_count     *count;
    size_t                  *open;         /* the open windows' indices */
    size_t                   nopen;
    struct edge_sample       r;            /* an edge's readings */
    struct edge_sample       ra, rb;       /* the samples around it, with their mean powers */
    bool                     rated;        /* ra and rb are the current interval's */
};

static int
cmp_start(const void *x, const void *y, void *arg)
{
    const double *start = arg;
    double a = start[*(const size_t *)x], b = start[*(const size_t *)y];

    return a < b ? -1 : a > b;
}

/* The counters at t between samples p and c (pp before p, n after c; any
 * may be NULL), each side with the mean power beside it, into sw->r. */
static int
sweep_edge(struct sweep *sw, const struct edge_sample *pp, const struct edge_sample *p,
           const struct edge_sample *c, const struct edge_sample *n, double t, bool is_start)
{
    if (!sw->rated) {
        if ((p && edge_sample_copy(&sw->ra, p) < 0) || (c && edge_sample_copy(&sw->rb, c) < 0))
            return -1;
        if (p)
            edge_rates(&sw->ra, pp);
        if (c)
            edge_rates(&sw->rb, n);
        sw->rated = true;
    }
    return edge_at(p ? &sw->ra : NULL, c ? &sw->rb : NULL, t, is_start, &sw->r);
}

/* Window i ends at sw->r (placed how). */
static void
sweep_finish(struct sweep *sw, size_t i, int how)
{
    struct pp_window_result *out = &sw->out[i];

    if (how < 0 || !(sw->r.t > out->start))
        return;
    feed_round(out, &sw->r);
    out->end = sw->r.t;
    out->end_how = edge_how_text(how);
    sample_count_close(&sw->count[i]);
    out->samples = sw->count[i].total;
    out->logged = sw->count[i].logged;
    out->restarts = sw->count[i].restarts;
    sw->ok[i] = true;
}

/* Sample c arrives after p: the windows that end before it end between
 * them, those that start before it open there, and the open ones take it. */
static void
sweep_arrive(struct sweep *sw, const struct edge_sample *pp, const struct edge_sample *p,
             const struct edge_sample *c, const struct edge_sample *n)
{
    sw->rated = false;
    for (size_t j = sw->nopen; j-- > 0;) {
        size_t i = sw->open[j];
        if (sw->end[i] < c->t) {
            sweep_finish(sw, i, sweep_edge(sw, pp, p, c, n, sw->end[i], false));
            sw->open[j] = sw->open[--sw->nopen];
        }
    }
    while (sw->next < sw->n && sw->start[sw->order[sw->next]] < c->t) {
        size_t i = sw->order[sw->next++];
        int how = sweep_edge(sw, pp, p, c, n, sw->start[i], true);
        if (how < 0)
            continue;
        sw->out[i].start = sw->r.t;
        sw->out[i].start_how = edge_how_text(how);
        if (p)
            sw->out[i].log_interval = c->t - p->t;
        feed_round(&sw->out[i], &sw->r);
        if (sw->end[i] < c->t)
            sweep_finish(sw, i, sweep_edge(sw, pp, p, c, n, sw->end[i], false));
        else
            sw->open[sw->nopen++] = i;
    }
    for (size_t j = 0; j < sw->nopen; j++)
        feed_sample(&sw->out[sw->open[j]], &sw->count[sw->open[j]], c);
}

int
pp_archive_sweep(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const double *start,
                 const double *end, size_t n, bool track_top, struct pp_window_result *out, bool *ok)
{
    struct reader rd;
    struct sweep sw = { .start = start, .end = end, .n = n, .out = out, .ok = ok };
    /* q: the sample before the previous, the previous, the current, the next */
    struct edge_sample q[4];
    bool have[3] = { false, false, false };
    struct around first;
    double t0 = INFINITY;
    int sts = 1;

    reader_init(&rd, c, m, track_top);
    for (int i = 0; i < 4; i++)
        edge_sample_init(&q[i]);
    around_init(&first);
    edge_sample_init(&sw.r);
    edge_sample_init(&sw.ra);
    edge_sample_init(&sw.rb);
    sw.order = calloc(n ? n : 1, sizeof(*sw.order));
    sw.count = calloc(n ? n : 1, sizeof(*sw.count));
    sw.open = calloc(n ? n : 1, sizeof(*sw.open));
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        window_init(&out[i].w);
        ok[i] = false;
    }
    if (!sw.order || !sw.count || !sw.open)
        goto out;
    for (size_t i = 0; i < n; i++) {
        sw.order[i] = i;
        t0 = fmin(t0, start[i]);
    }
    qsort_r(sw.order, n, sizeof(*sw.order), cmp_start, (void *)start);
    /* the pass reads forward from two samples before the first start */
    if (n && samples_around(&rd, t0, &first) < 0)
        goto out;
    pp_set_forward(c, first.have_before_a ? first.before_a.record_t - SEEK_MARGIN :
                      first.have_a ? first.a.record_t - SEEK_MARGIN : c->start);
    /* each sample is taken in when the next is read: an edge before it needs the mean power after it */
    while (sw.next < n || sw.nopen > 0) {
        int got = next_sample(&rd, &q[3]);
        if (got > 0 && have[2] && q[3].t <= q[2].t)
            continue;            /* the same sample logged again */
        if (have[2])
            sweep_arrive(&sw, have[0] ? &q[0] : NULL, have[1] ? &q[1] : NULL, &q[2], got > 0 ? &q[3] : NULL);
        if (got <= 0)
            break;
        {
            struct edge_sample oldest = q[0];
            q[0] = q[1];
            q[1] = q[2];
            q[2] = q[3];
            q[3] = oldest;
            have[0] = have[1];
            have[1] = have[2];
            have[2] = true;
        }
    }
    /* past the last sample: what is still open ends at it */
    sw.rated = false;
    while (sw.nopen > 0) {
        size_t i = sw.open[--sw.nopen];
        sweep_finish(&sw, i, sweep_edge(&sw, NULL, have[2] ? &q[2] : NULL, NULL, NULL, end[i], false));
    }
    sts = 0;
out:
    free(sw.order);
    free(sw.count);
    free(sw.open);
    for (int i = 0; i < 4; i++)
        edge_sample_free(&q[i]);
    around_free(&first);
    edge_sample_free(&sw.r);
    edge_sample_free(&sw.ra);
    edge_sample_free(&sw.rb);
    return sts;
}
