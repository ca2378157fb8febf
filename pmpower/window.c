#include "window.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
window_init(struct window *w)
{
    memset(w, 0, sizeof(*w));
}

void
window_free(struct window *w)
{
    free(w->slots);
    memset(w, 0, sizeof(*w));
}

void
window_round(struct window *w)
{
    w->round++;
}

static size_t
hash(int series, int inst, size_t n)
{
    uint64_t h = ((uint64_t)(unsigned)series << 32) ^ (uint64_t)(unsigned)inst;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)(h & (n - 1));
}

static struct window_entry *
slot_for(struct window_entry *slots, size_t n, int series, int inst)
{
    size_t i = hash(series, inst, n);

    while (slots[i].used && !(slots[i].series == series && slots[i].inst == inst))
        i = (i + 1) & (n - 1);
    return &slots[i];
}

static int
grow(struct window *w)
{
    size_t n = w->nslots ? w->nslots * 2 : 64;
    struct window_entry *slots = calloc(n, sizeof(*slots));

    if (!slots)
        return -1;
    for (size_t i = 0; i < w->nslots; i++)
        if (w->slots[i].used)
            *slot_for(slots, n, w->slots[i].series, w->slots[i].inst) = w->slots[i];
    free(w->slots);
    w->slots = slots;
    w->nslots = n;
    return 0;
}

int
window_add(struct window *w, int series, int inst, double value, double t, bool from_zero)
{
    struct window_entry *e;

    if ((w->count + 1) * 2 > w->nslots && grow(w) < 0)
        return -1;
    e = slot_for(w->slots, w->nslots, series, inst);
    if (!e->used) {
        memset(e, 0, sizeof(*e));
        e->used = true;
        e->series = series;
        e->inst = inst;
        e->first = e->last = value;
        e->t_first = e->t_last = t;
        e->at_start = w->round <= 1;
        e->energy = (!e->at_start && from_zero && value > 0) ? value : 0.0;
        e->readings = 1;
        w->count++;
        return 0;
    }
    if (value >= e->last) {
        e->energy += value - e->last;
    } else {
        /* the counter went back: the agent restarted, so it counts from zero again */
        e->energy += value > 0 ? value : 0.0;
        w->resets++;
    }
    e->last = value;
    e->t_last = t;
    e->readings++;
    return 0;
}

const struct window_entry *
window_find(const struct window *w, int series, int inst)
{
    const struct window_entry *e;

    if (w->nslots == 0)
        return NULL;
    e = slot_for(w->slots, w->nslots, series, inst);
    return e->used ? e : NULL;
}

size_t
window_entries(const struct window *w, const struct window_entry **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < w->nslots && n < max; i++)
        if (w->slots[i].used)
            out[n++] = &w->slots[i];
    return n;
}
