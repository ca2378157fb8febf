/*
 * powermetrics_stream.c: powermetrics's stdout cut into documents, each
 * handed to the parser (powermetrics_parse.c). No I/O, no threads, no PCP.
 */
#include "powermetrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLIST_END "</plist>"
#define PLIST_END_LEN (sizeof(PLIST_END) - 1)

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

struct pm_stream {
    char  *buf;
    size_t len, cap, max;
    bool   skipping;     /* inside a document already reported oversized */
};

struct pm_stream *
pm_stream_new(size_t max_document)
{
    struct pm_stream *s = calloc(1, sizeof(*s));

    if (s)
        s->max = max_document > 2 * PLIST_END_LEN ? max_document : 2 * PLIST_END_LEN;
    return s;
}

void
pm_stream_free(struct pm_stream *s)
{
    if (s)
        free(s->buf);
    free(s);
}

static void
emit(struct pm_stream *s, size_t end, pm_document_fn fn, void *arg)
{
    struct pm_sample sample;
    char detail[256];
    enum pm_problem sts;
    size_t i;

    if (s->skipping) {          /* the tail of an oversized document: already counted */
        s->skipping = false;
        return;
    }
    for (i = 0; i < end && is_blank(s->buf[i]); i++)
        ;
    if (i == end)
        return;                 /* the NUL after a document we already took at </plist> */
    sts = pm_parse_document(s->buf, end, &sample, detail, sizeof(detail));
    fn(arg, sts, sts == PM_OK ? &sample : NULL, detail);
}

/* Take every complete document out of the buffer. scan_from skips bytes
 * already searched, less the length of a </plist> a read may have split. */
static void
take_documents(struct pm_stream *s, size_t scan_from, pm_document_fn fn, void *arg)
{
    for (;;) {
        const char *base = s->buf + scan_from;
        size_t n = s->len - scan_from, end, consumed;
        const char *nul = memchr(base, '\0', n);
        const char *tag = memmem(base, n, PLIST_END, PLIST_END_LEN);

        if (tag && (!nul || tag < nul)) {
            end = (size_t)(tag - s->buf) + PLIST_END_LEN;
            consumed = end;
        } else if (nul) {
            end = (size_t)(nul - s->buf);
            consumed = end + 1;
        } else
            return;
        emit(s, end, fn, arg);
        memmove(s->buf, s->buf + consumed, s->len - consumed);
        s->len -= consumed;
        scan_from = 0;
    }
}

void
pm_stream_feed(struct pm_stream *s, const char *data, size_t len, pm_document_fn fn, void *arg)
{
    while (len > 0) {
        size_t scan_from = s->len > PLIST_END_LEN ? s->len - (PLIST_END_LEN - 1) : 0;
        size_t take = s->max - s->len < len ? s->max - s->len : len;

        if (s->len + take > s->cap) {
            size_t cap = s->cap ? s->cap : 64 * 1024;
            char *grown;
            while (cap < s->len + take)
                cap *= 2;
            if (cap > s->max)
                cap = s->max;
            if ((grown = realloc(s->buf, cap)) == NULL) {
                fn(arg, PM_MALFORMED, NULL, "out of memory buffering a document");
                s->len = 0;
                s->skipping = true;
                return;
            }
            s->buf = grown;
            s->cap = cap;
        }
        memcpy(s->buf + s->len, data, take);
        s->len += take;
        data += take;
        len -= take;
        take_documents(s, scan_from, fn, arg);
        if (s->len == s->max) {
            /* full and still no end: drop it, keeping enough to see a split </plist> */
            if (!s->skipping) {
                char detail[128];
                snprintf(detail, sizeof(detail), "document larger than %zu bytes", s->max);
                fn(arg, PM_MALFORMED, NULL, detail);
            }
            s->skipping = true;
            memmove(s->buf, s->buf + s->len - (PLIST_END_LEN - 1), PLIST_END_LEN - 1);
            s->len = PLIST_END_LEN - 1;
        }
    }
}

void
pm_stream_end(struct pm_stream *s, pm_document_fn fn, void *arg)
{
    size_t i;

    for (i = 0; i < s->len && is_blank(s->buf[i]); i++)
        ;
    if (i < s->len && !s->skipping) {
        char detail[128];
        snprintf(detail, sizeof(detail), "output ended inside a document (%zu bytes without </plist>)",
                 s->len - i);
        fn(arg, PM_TRUNCATED, NULL, detail);
    }
    s->len = 0;
    s->skipping = false;
}
