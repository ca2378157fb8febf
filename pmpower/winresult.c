/*
 * winresult.c: the result of one window of counters, whoever read it.
 */
#include "winresult.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void
pp_note_source(struct pp_window_result *out, const char *value)
{
    size_t len = strlen(out->sources);
    const char *p = out->sources;

    /* already listed? */
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == strlen(value) && strncmp(p, value, n) == 0)
            return;
        p += n;
        if (*p == ',')
            p++;
    }
    snprintf(out->sources + len, sizeof(out->sources) - len, "%s%s", len ? "," : "", value);
}

void
pp_window_result_free(struct pp_window_result *r)
{
    window_free(&r->w);
}

long
pp_window_restarts(const struct pp_window_result *r)
{
    return r->restarts ? r->restarts : (long)r->w.resets;
}

double
pp_system_joules(const struct pp_window_result *r)
{
    const struct window_entry *e = window_find(&r->w, S_SYSTEM, PP_IN_NULL);

    return e ? e->energy : NAN;
}
