#include "phaselist.h"
#include "timeparse.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
phaselist_epoch(double v)
{
    if (v > 1e17)
        return v / 1e9;     /* nanoseconds */
    if (v > 1e14)
        return v / 1e6;     /* microseconds */
    if (v > 1e11)
        return v / 1e3;     /* milliseconds */
    return v;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int
add(struct phase_list *l, struct phase *p)
{
    struct phase *grown = realloc(l->items, (l->count + 1) * sizeof(*grown));

    if (!grown)
        return -1;
    l->items = grown;
    l->items[l->count++] = *p;
    return 0;
}

static void
phase_clear(struct phase *p)
{
    free(p->label);
    free(p->start_text);
    free(p->end_text);
    memset(p, 0, sizeof(*p));
    p->duration = -1;
}

void
phaselist_free(struct phase_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        phase_clear(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

/* ---- JSON: a small recursive-descent reader, enough for phase records ---- */

struct json {
    const char *p, *start;
    char       *err;
    size_t      errlen;
};

static void
skip_ws(struct json *j)
{
    while (isspace((unsigned char)*j->p))
        j->p++;
}

static int
jfail(struct json *j, const char *what)
{
    int line = 1;

    for (const char *q = j->start; q < j->p; q++)
        line += *q == '\n';
    return fail(j->err, j->errlen, "phases JSON, line %d: %s", line, what);
}

/* a JSON string at j->p (after the quote is checked); malloc'd */
static char *
jstring(struct json *j)
{
    size_t cap = 32, n = 0;
    char *s = malloc(cap);

    if (!s || *j->p != '"') {
        free(s);
        return NULL;
    }
    j->p++;
    while (*j->p && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            char e = *j->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    if (!isxdigit((unsigned char)j->p[i])) {
                        free(s);
                        return NULL;
                    }
                    v = v * 16 + (unsigned)(isdigit((unsigned char)j->p[i]) ? j->p[i] - '0'
                                                                             : (tolower((unsigned char)j->p[i]) - 'a' + 10));
                }
                j->p += 4;
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            case '\0':
                free(s);
                return NULL;
            default: c = e;
            }
        }
        if (n + 2 > cap) {
            char *grown = realloc(s, cap *= 2);
            if (!grown) {
                free(s);
                return NULL;
            }
            s = grown;
        }
        s[n++] = c;
    }
    if (*j->p != '"') {
        free(s);
        return NULL;
    }
    j->p++;
    s[n] = '\0';
    return s;
}

static int skip_value(struct json *j, int depth);

static int
skip_value(struct json *j, int depth)
{
    skip_ws(j);
    if (depth > 64)
        return jfail(j, "nested too deeply");
    if (*j->p == '"') {
        char *s = jstring(j);
        if (!s)
            return jfail(j, "unterminated string");
        free(s);
        return 0;
    }
    if (*j->p == '{' || *j->p == '[') {
        char close = *j->p == '{' ? '}' : ']';
        bool object = *j->p == '{';
        j->p++;
        skip_ws(j);
        if (*j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (object) {
                char *k;
                skip_ws(j);
                if ((k = jstring(j)) == NULL)
                    return jfail(j, "expected a key");
                free(k);
                skip_ws(j);
                if (*j->p++ != ':')
                    return jfail(j, "expected ':'");
            }
            if (skip_value(j, depth + 1) < 0)
                return -1;
            skip_ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == close) {
                j->p++;
                return 0;
            }
            return jfail(j, "expected ',' or a closing bracket");
        }
    }
    if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return 0;
    }
    if (strncmp(j->p, "false", 5) == 0) {
        j->p += 5;
        return 0;
    }
    {
        char *end;
        strtod(j->p, &end);
        if (end == j->p)
            return jfail(j, "expected a value");
        j->p = end;
    }
    return 0;
}

/* a time value: a string (kept as text) or a number (epoch) */
static int
jtime(struct json *j, char **text, double *t, bool *have)
{
    skip_ws(j);
    if (*j->p == '"') {
        free(*text);
        if ((*text = jstring(j)) == NULL)
            return jfail(j, "unterminated string");
        *have = false;
        return 0;
    }
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return 0;
    }
    {
        char *end;
        double v = strtod(j->p, &end);
        if (end == j->p)
            return jfail(j, "a time must be a string or a number");
        *t = phaselist_epoch(v);
        if (!timeparse_in_range(*t))
            return jfail(j, "a time number must be epoch seconds, ms or us from " TIMEPARSE_RANGE_TEXT);
        j->p = end;
        *have = true;
        free(*text);
        *text = NULL;
    }
    return 0;
}

static int
jphase(struct json *j, struct phase_list *out, size_t index)
{
    struct phase p;
    double dur_us = -1, dur_s = -1;

    memset(&p, 0, sizeof(p));
    p.duration = -1;
    if (*j->p != '{')
        return jfail(j, "each phase must be an object");
    j->p++;
    skip_ws(j);
    if (*j->p == '}')
        j->p++;
    else
        for (;;) {
            char *key;
            skip_ws(j);
            if ((key = jstring(j)) == NULL) {
                phase_clear(&p);
                return jfail(j, "expected a key");
            }
            skip_ws(j);
            if (*j->p++ != ':') {
                free(key);
                phase_clear(&p);
                return jfail(j, "expected ':'");
            }
            skip_ws(j);
            int sts = 0;
            if ((strcmp(key, "label") == 0 || strcmp(key, "name") == 0 || strcmp(key, "phase") == 0) &&
                *j->p == '"') {
                free(p.label);
                if ((p.label = jstring(j)) == NULL)
                    sts = jfail(j, "unterminated string");
            } else if (strcmp(key, "start") == 0 || strcmp(key, "start_timestamp") == 0 ||
                       strcmp(key, "start_time") == 0) {
                sts = jtime(j, &p.start_text, &p.start, &p.have_start);
            } else if (strcmp(key, "end") == 0 || strcmp(key, "end_timestamp") == 0 ||
                       strcmp(key, "end_time") == 0) {
                sts = jtime(j, &p.end_text, &p.end, &p.have_end);
            } else if (strcmp(key, "duration_us") == 0 || strcmp(key, "duration_s") == 0) {
                char *end;
                double v = strtod(j->p, &end);
                if (end == j->p || !isfinite(v))
                    sts = jfail(j, "a duration must be a finite number");
                else {
                    j->p = end;
                    if (key[9] == 'u')
                        dur_us = v;
                    else
                        dur_s = v;
                }
            } else
                sts = skip_value(j, 1);
            free(key);
            if (sts < 0) {
                phase_clear(&p);
                return -1;
            }
            skip_ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == '}') {
                j->p++;
                break;
            }
            phase_clear(&p);
            return jfail(j, "expected ',' or '}' in a phase");
        }
    if (dur_s >= 0)
        p.duration = dur_s;
    else if (dur_us >= 0)
        p.duration = dur_us / 1e6;
    if (!p.label) {
        char name[32];
        snprintf(name, sizeof(name), "phase%zu", index + 1);
        p.label = strdup(name);
    }
    if (!p.have_start && !p.start_text) {
        char what[160];
        snprintf(what, sizeof(what), "phase \"%s\" has no start (\"start\" or \"start_timestamp\")", p.label);
        phase_clear(&p);
        return jfail(j, what);
    }
    if (!p.have_end && !p.end_text && p.duration < 0) {
        char what[160];
        snprintf(what, sizeof(what), "phase \"%s\" has no end (\"end\", \"end_timestamp\" or \"duration_us\")",
                 p.label);
        phase_clear(&p);
        return jfail(j, what);
    }
    if (add(out, &p) < 0) {
        phase_clear(&p);
        return jfail(j, "out of memory");
    }
    return 0;
}

static int
parse_json(const char *text, struct phase_list *out, char *err, size_t errlen)
{
    struct json j = { text, text, err, errlen };

    skip_ws(&j);
    if (*j.p == '{') {
        /* an object: find its "phases" array */
        j.p++;
        for (;;) {
            char *key;
            skip_ws(&j);
            if (*j.p == '}')
                return jfail(&j, "no \"phases\" array in the object");
            if ((key = jstring(&j)) == NULL)
                return jfail(&j, "expected a key");
            skip_ws(&j);
            if (*j.p++ != ':') {
                free(key);
                return jfail(&j, "expected ':'");
            }
            skip_ws(&j);
            if (strcmp(key, "phases") == 0 && *j.p == '[') {
                free(key);
                break;
            }
            free(key);
            if (skip_value(&j, 1) < 0)
                return -1;
            skip_ws(&j);
            if (*j.p == ',')
                j.p++;
        }
    }
    if (*j.p != '[')
        return jfail(&j, "expected an array of phases");
    j.p++;
    skip_ws(&j);
    if (*j.p == ']')
        return 0;
    for (size_t i = 0;; i++) {
        skip_ws(&j);
        if (jphase(&j, out, i) < 0)
            return -1;
        skip_ws(&j);
        if (*j.p == ',') {
            j.p++;
            continue;
        }
        if (*j.p == ']')
            return 0;
        return jfail(&j, "expected ',' or ']' between phases");
    }
}

/* ---- CSV ---- */

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

static int
parse_csv(const char *text, struct phase_list *out, char *err, size_t errlen)
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
            return fail(err, errlen, "phases CSV, line %d: expected label,start,end", line);
        }
        struct phase ph;
        double v;
        for (int i = 1; i < 3; i++)
            if (is_number(f[i], &v) && !timeparse_in_range(phaselist_epoch(v))) {
                for (int k = 0; k < 3; k++)
                    free(f[k]);
                return fail(err, errlen, "phases CSV, line %d: a time number must be epoch seconds, "
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
        if (add(out, &ph) < 0) {
            phase_clear(&ph);
            return fail(err, errlen, "out of memory");
        }
    }
    return 0;
}

int
phaselist_parse(const char *text, struct phase_list *out, char *err, size_t errlen)
{
    const char *p = text;
    int sts;

    memset(out, 0, sizeof(*out));
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return fail(err, errlen, "the phases file is empty");
    sts = (*p == '[' || *p == '{') ? parse_json(p, out, err, errlen) : parse_csv(p, out, err, errlen);
    if (sts < 0) {
        phaselist_free(out);
        return -1;
    }
    if (out->count == 0)
        return fail(err, errlen, "the phases file lists no phases");
    return 0;
}
