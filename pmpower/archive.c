#include "archive.h"
#include "edge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds of records read one by one rather than bisected further: at
 * 1 Hz logging a few dozen records, well under a millisecond. */
#define SCAN_SPAN 60.0
/* A record's time as a double is good to a fraction of a microsecond:
 * seeking to it exactly may land just after it. */
#define SEEK_MARGIN 1e-3

struct reader {
    struct pp_ctx    *c;
    struct pp_metric  m[S_COUNT];     /* what is fetched: the sources, or everything for --top */
};

static void
reader_init(struct reader *rd, struct pp_ctx *c, const struct pp_metric m[S_COUNT], bool track_top)
{
    rd->c = c;
    memcpy(rd->m, m, sizeof(rd->m));
    if (!track_top)
        rd->m[S_PROC].ok = rd->m[S_CGROUP].ok = rd->m[S_UNATTRIBUTED].ok = false;
}

static void
scalar(const struct reader *rd, const pmHighResResult *r, int series, double *out)
{
    double v;

    if (pp_get_double(r, rd->m, S_COUNT, (size_t)series, PP_IN_NULL, &v))
        *out = v;
}

/* One record as an agent sample: 1 when it holds power.system.energy, 0 not, -1 out of memory. */
static int
record_sample(const struct reader *rd, const pmHighResResult *r, struct edge_sample *out)
{
    pmValueSet *vs;
    double since_first = NAN;
    bool have_system = false;

    edge_sample_clear(out);
    out->record_t = pp_time(&r->timestamp);
    scalar(rd, r, S_SAMPLE_TIME, &since_first);
    scalar(rd, r, S_START_TIME, &out->start_time);
    out->t = edge_sample_epoch(out->start_time, since_first, out->record_t);
    scalar(rd, r, S_SAMPLES, &out->samples);
    scalar(rd, r, S_INTERVAL, &out->interval);
    if ((vs = pp_vset(r, rd->m, S_COUNT, S_SOURCE)) != NULL && vs->numval > 0) {
        char *text;
        if (pp_string(vs, &rd->m[S_SOURCE].desc, 0, &text) > 0) {
            snprintf(out->source, sizeof(out->source), "%s", text);
            free(text);
        }
    }
    for (int s = 0; s <= S_UNATTRIBUTED; s++) {
        if ((vs = pp_vset(r, rd->m, S_COUNT, (size_t)s)) == NULL)
            continue;
        for (int j = 0; j < vs->numval; j++) {
            double e;
            if (pp_double(vs, &rd->m[s].desc, j, &e) <= 0)
                continue;
            if (edge_sample_add(out, s, vs->vlist[j].inst, e, NAN) < 0)
                return -1;
            have_system |= s == S_SYSTEM;
        }
    }
    edge_sample_sort(out);
    return have_system;
}

/* The next record (in the mode set) that holds power.system.energy: 1, or 0 at the end. */
static int
next_sample(struct reader *rd, struct edge_sample *out)
{
    pmHighResResult *r;

    while (pp_fetch(rd->m, S_COUNT, &r) >= 0) {
        int got = record_sample(rd, r, out);
        pmFreeHighResResult(r);
        if (got != 0)
            return got;
    }
    return 0;
}

/* The logged samples around an edge: a, the latest taken at or before it,
 * and b, the first after it; with the one before a and the one after b,
 * whose mean powers say where a step of power between a and b was. */
struct around {
    struct edge_sample a, b, before_a, after_b;
    bool               have_a, have_b, have_before_a, have_after_b;
};

static void
around_init(struct around *x)
{
    memset(x, 0, sizeof(*x));
    edge_sample_init(&x->a);
    edge_sample_init(&x->b);
    edge_sample_init(&x->before_a);
    edge_sample_init(&x->after_b);
}

static void
around_free(struct around *x)
{
    edge_sample_free(&x->a);
    edge_sample_free(&x->b);
    edge_sample_free(&x->before_a);
    edge_sample_free(&x->after_b);
}

/* x->a becomes s, the a before it x->before_a */
static int
around_take_a(struct around *x, const struct edge_sample *s)
{
    struct edge_sample old = x->before_a;

    x->before_a = x->a;
    x->have_before_a = x->have_a;
    x->a = old;
    x->have_a = true;
    return edge_sample_copy(&x->a, s);
}

/*
 * The samples around t: a seek back from t for a and the one before it,
 * and a seek forward for b and the one after it. Records are stamped at
 * pmlogger's fetch, after the sample they hold, so the first records after
 * t may still hold samples from before t: read on until one does not.
 */
static int
samples_around(struct reader *rd, double t, struct around *x)
{
    struct edge_sample s;
    struct timespec when;
    int got = 0;

    x->have_a = x->have_b = x->have_before_a = x->have_after_b = false;
    edge_sample_init(&s);
    pp_timespec(t, &when);
    if (pmSetModeHighRes(PM_MODE_BACK, &when, NULL) >= 0 && next_sample(rd, &x->a) > 0 && x->a.t <= t) {
        x->have_a = true;
        x->have_before_a = next_sample(rd, &x->before_a) > 0 && x->before_a.t < x->a.t;
    }
    pp_set_forward(rd->c, t);
    while ((got = next_sample(rd, &s)) > 0) {
        if (s.t > t)
            break;
        if ((!x->have_a || s.t > x->a.t) && (got = around_take_a(x, &s)) < 0)
            break;
    }
    if (got > 0) {
        x->have_b = edge_sample_copy(&x->b, &s) == 0;
        while ((got = next_sample(rd, &x->after_b)) > 0 && x->after_b.t <= x->b.t)
            ;
        x->have_after_b = got > 0;
    }
    edge_sample_free(&s);
    return got < 0 ? -1 : 0;
}

/* The counters at t from the samples around it (edge.h), each side with
 * the mean power beside it. */
static int
around_edge(struct around *x, double t, bool is_start, struct edge_sample *out)
{
    if (x->have_a)
        edge_rates(&x->a, x->have_before_a ? &x->before_a : NULL);
    if (x->have_b)
        edge_rates(&x->b, x->have_after_b ? &x->after_b : NULL);
    return edge_at(x->have_a ? &x->a : NULL, x->have_b ? &x->b : NULL, t, is_start, out);
}

/* How many agent samples a window holds: per run of the agent, from its
 * first to its last logged sample in the window (power.control.samples),
 * or the logged samples where the agent did not count. */
struct sample_count {
    double run, first, last;
    long   logged, run_logged, total;
    long   restarts;       /* changes of power.control.start_time */
    bool   open;
};

static void
count_close(struct sample_count *k)
{
    if (!k->open)
        return;
    k->total += isfinite(k->first) && isfinite(k->last) && k->last >= k->first
                    ? (long)(k->last - k->first) + 1 : k->run_logged;
    k->open = false;
}

static void
count_add(struct sample_count *k, const struct edge_sample *s)
{
    bool first = k->logged == 0;

    k->logged++;
    if (k->open && (s->start_time == k->run || (isnan(s->start_time) && isnan(k->run)))) {
        k->last = s->samples;
        k->run_logged++;
        return;
    }
    count_close(k);
    if (!first && isfinite(k->run) && isfinite(s->start_time))
        k->restarts++;
    *k = (struct sample_count){ s->start_time, s->samples, s->samples, k->logged, 1, k->total,
                                k->restarts, true };
}

/* One round of the window's readings. */
static void
feed(struct pp_window_result *out, const struct edge_sample *s)
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

static void
feed_sample(struct pp_window_result *out, struct sample_count *k, const struct edge_sample *s)
{
    feed(out, s);
    count_add(k, s);
}

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
    feed(out, &ra);
    /* the logged samples inside: the first after the start, the last before the end */
    if (s.have_b && e.have_a && s.b.t <= e.a.t) {
        if (edge_same_run(&ra, &rb) && edge_same_instances(&ra, &rb)) {
            count_add(&k, &s.b);
            if (e.a.t > s.b.t)
                count_add(&k, &e.a);
        } else {
            feed_sample(out, &k, &s.b);
            fill(&rd, &s.b, &e.a, out, &k, 0);
            if (e.a.t > s.b.t)
                feed_sample(out, &k, &e.a);
        }
    }
    feed(out, &rb);
    count_close(&k);
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
    feed(out, &sw->r);
    out->end = sw->r.t;
    out->end_how = edge_how_text(how);
    count_close(&sw->count[i]);
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
        feed(&sw->out[i], &sw->r);
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

int
pp_record_sample(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const pmHighResResult *r,
                 struct edge_sample *out)
{
    struct reader rd;

    reader_init(&rd, c, m, false);
    return record_sample(&rd, r, out);
}
