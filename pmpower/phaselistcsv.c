/*
 * phaselistcsv.c: phases from "label,start,end" lines.
 */
#include "phaselistcsv.h"
#include "timeparse.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Appends c to the growing string *s (length *n, capacity *cap, room for
 * the NUL kept); false, with *s freed, when memory runs out. */
static bool
append_char(char **s, size_t *n, size_t *cap, char c)
{
    if (*n + 2 > *cap) {
        char *g = realloc(*s, *cap *= 2);
        if (!g) {
            free(*s);
            *s = NULL;
            return false;
        }
        *s = g;
    }
    (*s)[(*n)++] = c;
    return true;
}

static char *
csv_field(const char **pp)
{
    const char *p = *pp;
    size_t cap = 32, n = 0;
    char *s = malloc(cap);

    if (!s)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"') {
        p++;
        while (*p && !(*p == '"' && p[1] != '"')) {
            if (*p == '"')
                p++;
            if (!append_char(&s, &n, &cap, *p++))
                return NULL;
        }
        if (*p == '"')
            p++;
        while (*p && *p != ',' && *p != '\n')
            p++;
    } else {
        while (*p && *p != ',' && *p != '\n' && *p != '\r') {
            if (!append_char(&s, &n, &cap, *p++))
                return NULL;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
    }
    s[n] = '\0';
    if (*p == '\r')
        p++;
    *pp = p;
    return s;
}

static bool
is_number(const char *s, double *v)
{
    char *end;

    if (!*s)
        return false;
    *v = strtod(s, &end);
    return *end == '\0';
}

int
phaselist_parse_csv(const char *text, struct phase_list *out, char *err, size_t errlen)
{
    const char *p = text;
    int line = 0;

    while (*p) {
        char *f[3] = { NULL, NULL, NULL };
        int nf = 0;
        line++;
        if (*p == '\n' || *p == '#' || (*p == '\r' && p[1] == '\n')) {
            const char *nl = strchr(p, '\n');
            p = nl ? nl + 1 : p + strlen(p);
            continue;
        }
        while (nf < 3) {
            if ((f[nf] = csv_field(&p)) == NULL)
                break;
            nf++;
            if (*p != ',')
                break;
            p++;
        }
        while (*p && *p != '\n')
            p++;      /* extra columns are ignored */
        if (*p == '\n')
            p++;
        if (nf == 3 && line == 1 && strcasecmp(f[0], "label") == 0) {
            for (int i = 0; i < 3; i++)
                free(f[i]);
            continue;
        }
        if (nf < 3 || !*f[0] || !*f[1] || !*f[2]) {
            for (int i = 0; i < 3; i++)
                free(f[i]);
            return phaselist_fail(err, errlen, "phases CSV, line %d: expected label,start,end", line);
        }
        struct phase ph;
        double v;
        for (int i = 1; i < 3; i++)
            if (is_number(f[i], &v) && !timeparse_in_range(phaselist_epoch(v))) {
                for (int k = 0; k < 3; k++)
                    free(f[k]);
                return phaselist_fail(err, errlen, "phases CSV, line %d: a time number must be epoch seconds, "
                            "ms or us from " TIMEPARSE_RANGE_TEXT, line);
            }
        memset(&ph, 0, sizeof(ph));
        ph.duration = -1;
        ph.label = f[0];
        if (is_number(f[1], &v)) {
            ph.start = phaselist_epoch(v);
            ph.have_start = true;
            free(f[1]);
        } else
            ph.start_text = f[1];
        if (is_number(f[2], &v)) {
            ph.end = phaselist_epoch(v);
            ph.have_end = true;
            free(f[2]);
        } else
            ph.end_text = f[2];
        if (phaselist_add(out, &ph) < 0) {
            phase_clear(&ph);
            return phaselist_fail(err, errlen, "out of memory");
        }
    }
    return 0;
}
