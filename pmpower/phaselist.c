/*
 * phaselist.c: a phase list from a file's text, read as JSON
 * (phaselistjson.c) or CSV (phaselistcsv.c).
 */
#include "phaselist.h"
#include "phaselistcsv.h"
#include "phaselistjson.h"

#include <ctype.h>
#include <string.h>

int
phaselist_parse(const char *text, struct phase_list *out, char *err, size_t errlen)
{
    const char *p = text;
    int sts;

    memset(out, 0, sizeof(*out));
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return phaselist_fail(err, errlen, "the phases file is empty");
    sts = (*p == '[' || *p == '{') ? phaselist_parse_json(p, out, err, errlen) : phaselist_parse_csv(p, out, err, errlen);
    if (sts < 0) {
        phaselist_free(out);
        return -1;
    }
    if (out->count == 0)
        return phaselist_fail(err, errlen, "the phases file lists no phases");
    return 0;
}
