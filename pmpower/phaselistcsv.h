/*
 * phaselistcsv.h: phases from "label,start,end" lines.
 */
#ifndef PMPOWER_PHASELISTCSV_H
#define PMPOWER_PHASELISTCSV_H

#include <stddef.h>

#include "phase.h"

/* text into out: 0, or -1 with why in err (out to be phaselist_freed either way). */
int phaselist_parse_csv(const char *text, struct phase_list *out, char *err, size_t errlen);

#endif
