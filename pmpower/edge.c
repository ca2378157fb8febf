#include "edge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double
edge_sample_epoch(double start_time, double since_first, double fetch_t)
{
    double t = start_time + since_first;

    if (!(start_time > 0) || !(since_first >= 0) || !isfinite(t))
        return fetch_t;
    return t < fetch_t ? t : fetch_t;
}

void
edge_sample_init(struct edge_sample *s)
{
    memset(s, 0, sizeof(*s));
    s->start_time = s->samples = NAN;
}

void
edge_sample_free(struct edge_sample *s)
{
    free(s->v);
    edge_sample_init(s);
}

void
edge_sample_clear(struct edge_sample *s)
{
    struct edge_value *v = s->v;
    size_t cap = s->cap;

    edge_sample_init(s);
    s->v = v;
    s->cap = cap;
}

int
edge_sample_add(struct edge_sample *s, int series, int inst, double energy, double power)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct edge_value *grown = realloc(s->v, cap * sizeof(*grown));
        if (!grown)
            return -1;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = (struct edge_value){ series, inst, energy, power };
    return 0;
}

static int
cmp_key(int series_a, int inst_a, int series_b, int inst_b)
{
    if (series_a != series_b)
        return series_a < series_b ? -1 : 1;
    return (inst_a > inst_b) - (inst_a < inst_b);
}

static int
cmp_value(const void *x, const void *y)
{
    const struct edge_value *a = x, *b = y;

    return cmp_key(a->series, a->inst, b->series, b->inst);
}

void
edge_sample_sort(struct edge_sample *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), cmp_value);
}

int
edge_sample_copy(struct edge_sample *dst, const struct edge_sample *src)
{
    edge_sample_clear(dst);
    if (src->n > dst->cap) {
        struct edge_value *grown = realloc(dst->v, src->n * sizeof(*grown));
        if (!grown)
            return -1;
        dst->v = grown;
        dst->cap = src->n;
    }
    {
        struct edge_value *v = dst->v;
        size_t cap = dst->cap;
        *dst = *src;
        dst->v = v;
        dst->cap = cap;
    }
    if (src->n)
        memcpy(dst->v, src->v, src->n * sizeof(*src->v));
    return 0;
}

const struct edge_value *
edge_sample_find(const struct edge_sample *s, int series, int inst)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(s->v[mid].series, s->v[mid].inst, series, inst);
        if (c == 0)
            return &s->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool
edge_same_run(const struct edge_sample *a, const struct edge_sample *b)
{
    return isfinite(a->start_time) && isfinite(b->start_time) && a->start_time == b->start_time;
}

bool
edge_same_instances(const struct edge_sample *a, const struct edge_sample *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].series != b->v[i].series || a->v[i].inst != b->v[i].inst)
            return false;
    return true;
}

double
edge_counter_at(double t_a, double e_a, double p_a, double t_b, double e_b, double p_b, double t)
{
    double dt = t_b - t_a, de = e_b - e_a;

    if (t <= t_a)
        return e_a;
    if (t >= t_b || !(dt > 0))
        return e_b;
    if (isfinite(p_a) && isfinite(p_b) && p_a >= 0 && p_b >= 0 && p_a != p_b && de >= 0) {
        double mean = de / dt, lo = fmin(p_a, p_b), hi = fmax(p_a, p_b);
        if (mean >= lo && mean <= hi) {
            double tau = t_a + (de - p_b * dt) / (p_a - p_b);
            if (tau < t_a)
                tau = t_a;
            if (tau > t_b)
                tau = t_b;
            return t <= tau ? e_a + p_a * (t - t_a) : e_b - p_b * (t_b - t);
        }
    }
    return e_a + de * (t - t_a) / dt;
}

/* Without start times (an agent older than power.control.start_time), a
 * counter that went back is the only sign of a restart. */
static bool
joinable(const struct edge_sample *a, const struct edge_sample *b)
{
    if (isfinite(a->start_time) || isfinite(b->start_time))
        return edge_same_run(a, b);
    for (size_t i = 0, j = 0; i < a->n && j < b->n;) {
        int c = cmp_value(&a->v[i], &b->v[j]);
        if (c == 0 && b->v[j].energy < a->v[i].energy)
            return false;
        i += c <= 0;
        j += c >= 0;
    }
    return true;
}

void
edge_rates(struct edge_sample *s, const struct edge_sample *other)
{
    bool join = other && joinable(other->t < s->t ? other : s, other->t < s->t ? s : other) &&
                other->t != s->t;

    for (size_t i = 0; i < s->n; i++) {
        const struct edge_value *o = join ? edge_sample_find(other, s->v[i].series, s->v[i].inst) : NULL;
        double rate = o ? (s->v[i].energy - o->energy) / (s->t - other->t) : NAN;
        s->v[i].power = rate >= 0 ? rate : NAN;
    }
}

static int
placed(const struct edge_sample *a, const struct edge_sample *b, double t, struct edge_sample *out)
{
    size_t i = 0, j = 0;
    int sts = 0;

    edge_sample_clear(out);
    out->record_t = a->record_t;
    out->start_time = a->start_time;
    out->samples = a->samples;
    out->interval = a->interval;
    memcpy(out->source, a->source, sizeof(out->source));
    out->t = t;
    /* both sorted: one merge; a value on one side only is taken as it is */
    while (sts == 0 && (i < a->n || j < b->n)) {
        int c = i >= a->n ? 1 : j >= b->n ? -1 : cmp_value(&a->v[i], &b->v[j]);
        if (c < 0) {
            sts = edge_sample_add(out, a->v[i].series, a->v[i].inst, a->v[i].energy, a->v[i].power);
            i++;
        } else if (c > 0) {
            sts = edge_sample_add(out, b->v[j].series, b->v[j].inst, b->v[j].energy, b->v[j].power);
            j++;
        } else {
            const struct edge_value *x = &a->v[i], *y = &b->v[j];
            double e = edge_counter_at(a->t, x->energy, x->power, b->t, y->energy, y->power, t);
            sts = edge_sample_add(out, x->series, x->inst, e, NAN);
            i++;
            j++;
        }
    }
    return sts;
}

int
edge_at(const struct edge_sample *a, const struct edge_sample *b, double t, bool is_start,
        struct edge_sample *out)
{
    const struct edge_sample *use;

    if (a && a->t == t)
        return edge_sample_copy(out, a) < 0 ? -1 : EDGE_AT_SAMPLE;
    if (a && b && joinable(a, b))
        return placed(a, b, t, out) < 0 ? -1 : EDGE_PLACED;
    if (a && b)
        use = is_start ? b : a;
    else
        use = a ? a : b;
    if (!use)
        return -1;
    return edge_sample_copy(out, use) < 0 ? -1 : EDGE_NEAREST;
}

const char *
edge_how_text(int how)
{
    switch (how) {
    case EDGE_AT_SAMPLE: return "sample";
    case EDGE_PLACED:    return "interpolated";
    case EDGE_NEAREST:   return "nearest sample";
    }
    return "?";
}
