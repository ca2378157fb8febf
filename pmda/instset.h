/*
 * instset.h: an instance domain listed by the agent itself (ids the
 * family gives), with the way back from an id to the family's index, so
 * a fetch of 10,000 processes does not search a list for each.
 */
#ifndef POWER_INSTSET_H
#define POWER_INSTSET_H

#include <pcp/pmapi.h>
#include <pcp/pmda.h>
#include <stdbool.h>
#include <stddef.h>

struct instset {
    pmdaInstid *set;            /* handed to PCP as the indom's it_set */
    size_t      n, capacity;
    int        *slots;          /* open addressing: index + 1 of each id, 0 empty */
    size_t      nslots;         /* a power of two, at least twice n */
};

/* Start a new listing of n instances (the old one is gone); false on OOM. */
bool instset_begin(struct instset *s, size_t n);
/* The index-th instance; names must outlive the listing. A repeated id
 * keeps its first index. */
void instset_put(struct instset *s, size_t index, int id, const char *name);
bool instset_index(const struct instset *s, int id, size_t *index);
void instset_free(struct instset *s);

#endif
