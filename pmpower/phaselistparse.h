/*
 * phaselistparse.h: what the phase list's readers (phaselistjson.c,
 * phaselistcsv.c) share, for phaselist.c to call them.
 */
#ifndef PMPOWER_PHASELISTPARSE_H
#define PMPOWER_PHASELISTPARSE_H

#include <stddef.h>

#include "phaselist.h"

/* The message into err: always -1. */
int  phaselist_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* *p appended to l (l owns its strings then): 0, or -1 out of memory. */
int  phaselist_add(struct phase_list *l, struct phase *p);

/* Free p's strings and empty it. */
void phase_clear(struct phase *p);

/* text (from its first '[' or '{', or its first line) into out: 0, or -1 with why in err. */
int  phaselist_parse_json(const char *text, struct phase_list *out, char *err, size_t errlen);
int  phaselist_parse_csv(const char *text, struct phase_list *out, char *err, size_t errlen);

#endif
