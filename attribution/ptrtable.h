/*
 * ptrtable.h: a hash table of pointers, keyed by a 64-bit hash plus an
 * equality test: open addressing, linear probing, backward-shift deletion
 * (no tombstones accumulate under churn). The ledger indexes its processes
 * and cgroups with it. The table holds pointers it does not own; free
 * slots when done.
 */
#ifndef POWER_PTRTABLE_H
#define POWER_PTRTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptr_slot {
    uint64_t hash;
    void    *value;     /* NULL: empty */
};

struct ptr_table {
    struct ptr_slot *slots;
    size_t           mask;  /* capacity - 1; capacity is a power of two */
    size_t           used;
};

typedef bool (*ptr_table_match_fn)(const void *value, const void *key);

/* The value whose hash is hash and that match() says is key; NULL when none. */
void *ptr_table_find(const struct ptr_table *t, uint64_t hash, ptr_table_match_fn match, const void *key);

/* Adds value (not NULL); *bytes follows the table's allocation. 0, or -ENOMEM. */
int ptr_table_insert(struct ptr_table *t, uint64_t hash, void *value, size_t *bytes);

/* Removes value, which must be in the table under hash. */
void ptr_table_remove(struct ptr_table *t, uint64_t hash, const void *value);

/* Hashes whose low bits (the probe start) depend on every bit of the key. */
uint64_t ptr_hash_pid(int32_t pid);
uint64_t ptr_hash_string(const char *s);

#endif
