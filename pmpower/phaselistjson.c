/*
 * phaselistjson.c: phases from JSON (phaselist.h says which shapes).
 */
#include "phaselistjson.h"
#include "timeparse.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small recursive-descent reader, enough for phase records. */
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
    return phaselist_fail(j->err, j->errlen, "phases JSON, line %d: %s", line, what);
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
    if (phaselist_add(out, &p) < 0) {
        phase_clear(&p);
        return jfail(j, "out of memory");
    }
    return 0;
}

int
phaselist_parse_json(const char *text, struct phase_list *out, char *err, size_t errlen)
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
