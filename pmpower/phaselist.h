/*
 * phaselist.h: labelled windows ("phases") from a file. Pure: no PCP, no I/O
 * beyond the text handed in.
 *
 * JSON: an array of objects (or an object holding one under "phases"), each
 *   {"label": "prefill", "start": "2026-02-04 10:15:25.123456", "end": "..."}
 * with "name" for "label", "start_timestamp"/"end_timestamp" for
 * "start"/"end", and "duration_us" (or "duration_s") when the end is missing,
 * as benchmark records write them. Times are strings (ISO, or PCP syntax for
 * the caller to resolve) or numbers: epoch seconds, or milli/microseconds
 * when too large to be seconds.
 * CSV: "label,start,end" lines; a first line starting "label" is a header.
 */
#ifndef PMPOWER_PHASELIST_H
#define PMPOWER_PHASELIST_H

#include <stddef.h>

#include "phase.h"

/* Parse JSON or CSV (told apart by the first non-blank character).
 * Returns 0, or -1 with a message naming the line or entry. */
int phaselist_parse(const char *text, struct phase_list *out, char *err, size_t errlen);

#endif
