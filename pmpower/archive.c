#include "archive.h"
#include "archcount.h"
#include "archread.h"
#include "edge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds of records read one by one rather than bisected further: at
 * 1 Hz logging a few dozen records, well under a millisecond. */
#define SCAN_SPAN 60.0

/* Every record with a sample strictly between lo's and hi's, in order. */
static void
scan_between(struct reader *rd, const struct edge_sample *lo, const struct edge_sample *hi,
             struct pp_window_result *out, struct sample_count *k)
{
    struct edge_sample s;

    edge_sample_init(&s);
    pp_set_forward(rd->c, lo->record_t - SEEK_MARGIN);
    while (next_sample(rd, &s) > 0 && s.record_t <= hi->record_t) {
        if (s.t <= lo->t)
            continue;
        if (s.t >= hi->t)
            break;
        feed_sample(out, k, &s);
    }
    edge_sample_free(&s);
}

/*
 * The readings between two samples that a difference cannot bridge: where
 * lo and hi are of one run with the same instances the counters only grew
 * between them, and nothing is read. Otherwise bisect: a sample in the
 * middle, then each half, down to stretches short enough to read whole,
 * so a restart in a day costs some twenty seeks and a minute of records.
 */
static void
fill(struct reader *rd, const struct edge_sample *lo, const struct edge_sample *hi,
     struct pp_window_result *out, struct sample_count *k, int depth)
{
    struct edge_sample mid;

    if (edge_same_run(lo, hi) && edge_same_instances(lo, hi))
        return;
    if (hi->t - lo->t <= SCAN_SPAN || depth > 60) {
        scan_between(rd, lo, hi, out, k);
        return;
    }
    edge_sample_init(&mid);
    pp_set_forward(rd->c, lo->t + (hi->t - lo->t) / 2);
    if (next_sample(rd, &mid) <= 0 || mid.t <= lo->t || mid.t >= hi->t) {
        scan_between(rd, lo, hi, out, k);
    } else {
        fill(rd, lo, &mid, out, k, depth + 1);
        feed_sample(out, k, &mid);
        fill(rd, &mid, hi, out, k, depth + 1);
    }
    edge_sample_free(&mid);
}

static void
no_samples(const struct pp_ctx *c, double start, double end)
{
    char a[64], b[64];

    pp_format_time(start, a, sizeof(a));
    pp_format_time(end, b, sizeof(b));
    fprintf(stderr, "%s: archive \"%s\" has no two power.system.energy samples from one run of the agent "
            "in the window %s .. %s: choose a longer window, or one where pmlogger was logging power.system\n",
            pmGetProgname(), c->source, a, b);
}

static void
set_bounds(struct pp_window_result *out, const struct edge_sample *ra, int how_a,
           const struct edge_sample *rb, int how_b)
{
    out->start = ra->t;
    out->start_how = edge_how_text(how_a);
    out->end = rb->t;
    out->end_how = edge_how_text(how_b);
}

int
pp_archive_window(struct pp_ctx *c, const struct pp_metric m[S_COUNT], double start, double end,
                  bool track_top, struct pp_window_result *out)
{
    struct reader rd;
    struct around s, e;
    struct edge_sample ra, rb;
    struct sample_count k = { 0 };
    int how_a = -1, how_b = -1, sts = 1;

    if (track_top) {
        bool ok = false;
        if (pp_archive_sweep(c, m, &start, &end, 1, true, out, &ok) != 0)
            return 1;
        if (!ok)
            no_samples(c, start, end);
        return !ok;
    }
    reader_init(&rd, c, m, false);
    around_init(&s);
    around_init(&e);
    edge_sample_init(&ra);
    edge_sample_init(&rb);
    if (samples_around(&rd, start, &s) < 0 || samples_around(&rd, end, &e) < 0)
        goto out;
    how_a = around_edge(&s, start, true, &ra);
    how_b = around_edge(&e, end, false, &rb);
    if (how_a < 0 || how_b < 0 || !(rb.t > ra.t)) {
        no_samples(c, start, end);
        goto out;
    }
    set_bounds(out, &ra, how_a, &rb, how_b);
    if (s.have_a && s.have_b)
        out->log_interval = s.b.t - s.a.t;
    feed_round(out, &ra);
    /* the logged samples inside: the first after the start, the last before the end */
    if (s.have_b && e.have_a && s.b.t <= e.a.t) {
        if (edge_same_run(&ra, &rb) && edge_same_instances(&ra, &rb)) {
            sample_count_add(&k, &s.b);
            if (e.a.t > s.b.t)
                sample_count_add(&k, &e.a);
        } else {
            feed_sample(out, &k, &s.b);
            fill(&rd, &s.b, &e.a, out, &k, 0);
            if (e.a.t > s.b.t)
                feed_sample(out, &k, &e.a);
        }
    }
    feed_round(out, &rb);
    sample_count_close(&k);
    out->samples = k.total;
    out->logged = k.logged;
    out->restarts = k.restarts;
    sts = 0;
out:
    around_free(&s);
    around_free(&e);
    edge_sample_free(&ra);
    edge_sample_free(&rb);
    return sts;
}

int
pp_archive_each(struct pp_ctx *c, const struct pp_metric m[S_COUNT], double start, double end,
                int (*fn)(void *arg, const struct edge_sample *s), void *arg)
{
    struct reader rd;
    struct around first;
    struct edge_sample s;
    double last = -INFINITY;
    int got, sts = 0;

    reader_init(&rd, c, m, false);
    around_init(&first);
    edge_sample_init(&s);
    if (samples_around(&rd, start, &first) < 0) {
        sts = 1;
        goto out;
    }
    pp_set_forward(c, first.have_a ? first.a.record_t - SEEK_MARGIN : c->start);
    while ((got = next_sample(&rd, &s)) > 0) {
        if (s.t <= last)
            continue;            /* the same sample logged again */
        last = s.t;
        if (fn(arg, &s) != 0 || s.t > end)
            break;
    }
    sts = got < 0;
out:
    around_free(&first);
    edge_sample_free(&s);
    return sts;
}
