#include "instset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t
slot_of(int id, size_t nslots)
{
    /* Fibonacci hashing: PIDs and zone numbers are dense, and dense keys
     * would cluster in the low bits */
    return (size_t)(((uint32_t)id * 2654435769u) >> 7) & (nslots - 1);
}

bool
instset_begin(struct instset *s, size_t n)
{
    size_t want = 16;

    if (n > s->capacity) {
        size_t cap = n + n / 4 + 16;
        pmdaInstid *grown = realloc(s->set, cap * sizeof(*grown));
        if (!grown) {
            s->n = 0;
            return false;
        }
        s->set = grown;
        s->capacity = cap;
    }
    while (want < 2 * n)
        want *= 2;
    if (want != s->nslots) {
        int *slots = malloc(want * sizeof(*slots));
        if (!slots) {
            s->n = 0;
            return false;
        }
        free(s->slots);
        s->slots = slots;
        s->nslots = want;
    }
    memset(s->slots, 0, s->nslots * sizeof(*s->slots));
    s->n = n;
    return true;
}

void
instset_put(struct instset *s, size_t index, int id, const char *name)
{
    size_t i;

    if (index >= s->n)
        return;
    s->set[index].i_inst = id;
    s->set[index].i_name = (char *)name;
    for (i = slot_of(id, s->nslots); s->slots[i]; i = (i + 1) & (s->nslots - 1))
        if (s->set[s->slots[i] - 1].i_inst == id)
            return;
    s->slots[i] = (int)index + 1;
}

bool
instset_index(const struct instset *s, int id, size_t *index)
{
    if (!s->nslots)
        return false;
    for (size_t i = slot_of(id, s->nslots); s->slots[i]; i = (i + 1) & (s->nslots - 1)) {
        if (s->set[s->slots[i] - 1].i_inst == id) {
            *index = (size_t)s->slots[i] - 1;
            return true;
        }
    }
    return false;
}

void
instset_free(struct instset *s)
{
    free(s->set);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
