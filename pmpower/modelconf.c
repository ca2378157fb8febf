#include "modelconf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_PREFIX "# pmpower calibrate"

static const char *const calibrated_keys[] = {
    "idle_watts", "max_watts", "per_core_watts", "curve", "calibrated", "reference",
};

struct out {
    char  *buf;
    size_t len, cap;
    bool   failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->cap ? o->cap : 256);
        while (cap < o->len + n + 1)
            cap *= 2;
        char *grown = realloc(o->buf, cap);
        if (!grown) {
            o->failed = true;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void
putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(struct out *o, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static const char *
skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* "[model]" (any spacing): 1; another section header: 2; else 0. */
static int
section_line(const char *p, const char *end)
{
    const char *q;

    p = skip_space(p, end);
    if (p == end || *p != '[')
        return 0;
    q = skip_space(p + 1, end);
    if (end - q >= 5 && strncmp(q, "model", 5) == 0) {
        const char *r = skip_space(q + 5, end);
        if (r < end && *r == ']')
            return 1;
    }
    return 2;
}

/* A "key = value" line setting one of the keys this writes, or our note. */
static bool
replaced_line(const char *p, const char *end)
{
    p = skip_space(p, end);
    if ((size_t)(end - p) >= strlen(NOTE_PREFIX) && strncmp(p, NOTE_PREFIX, strlen(NOTE_PREFIX)) == 0)
        return true;
    for (size_t i = 0; i < sizeof(calibrated_keys) / sizeof(calibrated_keys[0]); i++) {
        size_t k = strlen(calibrated_keys[i]);
        if ((size_t)(end - p) >= k && strncmp(p, calibrated_keys[i], k) == 0) {
            const char *q = skip_space(p + k, end);
            if (q < end && *q == '=')
                return true;
        }
    }
    return false;
}

static void
put_keys(struct out *o, const struct model_keys *k)
{
    putf(o, "%s, %s: %s\n", NOTE_PREFIX, k->calibrated, k->note ? k->note : "");
    putf(o, "idle_watts = %.4g\n", k->idle_w);
    putf(o, "max_watts = %.4g\n", k->max_w);
    putf(o, "per_core_watts = %.4g\n", k->per_core_w);
    if (k->curve && *k->curve)
        putf(o, "curve = %s\n", k->curve);
    putf(o, "calibrated = %s\n", k->calibrated);
    putf(o, "reference = %s\n", k->reference);
}

char *
modelconf_rewrite(const char *text, const struct model_keys *keys)
{
    struct out o = { 0 };
    const char *p = text ? text : "";
    bool in_model = false, written = false;

    put(&o, "", 0);
    while (*p) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        int sect = section_line(p, end);

        if (sect) {
            in_model = sect == 1;
            put(&o, p, (size_t)(end - p));
            put(&o, "\n", 1);
            if (in_model && !written) {
                put_keys(&o, keys);
                written = true;
            }
        } else if (!(in_model && replaced_line(p, end))) {
            put(&o, p, (size_t)(end - p));
            if (nl)
                put(&o, "\n", 1);
        }
        p = nl ? nl + 1 : end;
    }
    if (!written) {
        if (o.len > 0 && o.buf[o.len - 1] != '\n')
            put(&o, "\n", 1);
        put(&o, o.len > 0 ? "\n[model]\n" : "[model]\n", o.len > 0 ? 9 : 8);
        put_keys(&o, keys);
    }
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
