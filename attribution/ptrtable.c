/*
 * ptrtable.c: the ledger's hash table of pointers (see ptrtable.h).
 */
#include "ptrtable.h"

#include <errno.h>
#include <stdlib.h>

void *
ptr_table_find(const struct ptr_table *t, uint64_t hash, ptr_table_match_fn match, const void *key)
{
    if (t->slots == NULL)
        return NULL;
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const struct ptr_slot *s = &t->slots[i];
        if (s->value == NULL)
            return NULL;
        if (s->hash == hash && match(s->value, key))
            return s->value;
    }
}

static void
ptr_table_place(struct ptr_slot *slots, size_t mask, uint64_t hash, void *value)
{
    size_t i = hash & mask;
    while (slots[i].value != NULL)
        i = (i + 1) & mask;
    slots[i].hash = hash;
    slots[i].value = value;
}

/* Keeps the load at or under one half so probes stay short. */
int
ptr_table_insert(struct ptr_table *t, uint64_t hash, void *value, size_t *bytes)
{
    if (t->slots == NULL || 2 * (t->used + 1) > t->mask + 1) {
        size_t cap = t->slots ? 2 * (t->mask + 1) : 64;
        struct ptr_slot *grown = calloc(cap, sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        if (t->slots) {
            for (size_t i = 0; i <= t->mask; i++)
                if (t->slots[i].value)
                    ptr_table_place(grown, cap - 1, t->slots[i].hash, t->slots[i].value);
            free(t->slots);
            *bytes -= (t->mask + 1) * sizeof(struct ptr_slot);
        }
        *bytes += cap * sizeof(struct ptr_slot);
        t->slots = grown;
        t->mask = cap - 1;
    }
    ptr_table_place(t->slots, t->mask, hash, value);
    t->used++;
    return 0;
}

void
ptr_table_remove(struct ptr_table *t, uint64_t hash, const void *value)
{
    size_t i = hash & t->mask;
    while (t->slots[i].value != value)
        i = (i + 1) & t->mask;
    /* Backward shift: pull later members of the probe run into the hole
     * when their home slot does not lie cyclically in (hole, j]. */
    for (size_t j = (i + 1) & t->mask; t->slots[j].value != NULL; j = (j + 1) & t->mask) {
        size_t home = t->slots[j].hash & t->mask;
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].value = NULL;
    t->slots[i].hash = 0;
    t->used--;
}

uint64_t
ptr_hash_pid(int32_t pid)
{
    /* Fibonacci hashing, folded so the low bits (the probe start) depend on
     * every bit of the PID: consecutive PIDs must not cluster. */
    uint64_t h = (uint64_t)(uint32_t)pid * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

uint64_t
ptr_hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
    return h ^ (h >> 31);
}
