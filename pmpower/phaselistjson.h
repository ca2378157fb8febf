/*
 * phaselistjson.h: phases from JSON (phaselist.h says which shapes).
 */
#ifndef PMPOWER_PHASELISTJSON_H
#define PMPOWER_PHASELISTJSON_H

#include <stddef.h>

#include "phase.h"

/* text into out: 0, or -1 with why in err (out to be phaselist_freed either way). */
int phaselist_parse_json(const char *text, struct phase_list *out, char *err, size_t errlen);

#endif
