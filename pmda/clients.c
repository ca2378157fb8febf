#include "clients.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
clients_init(struct clients *c, bool marks_root_only, double mark_rate, double mark_burst)
{
    memset(c, 0, sizeof(*c));
    c->marks_root_only = marks_root_only;
    c->mark_rate = mark_rate;
    c->mark_burst = mark_burst < 1 ? 1 : mark_burst;
    c->tokens = c->mark_burst;
}

void
clients_free(struct clients *c)
{
    free(c->contexts);
    c->contexts = NULL;
    c->ncontexts = 0;
}

static struct client_context *
context_of(const struct clients *c, int ctx)
{
    return ctx >= 0 && (size_t)ctx < c->ncontexts ? &c->contexts[ctx] : NULL;
}

static struct client_context *
context_grow(struct clients *c, int ctx)
{
    struct client_context *grown;
    size_t want;

    if (ctx < 0 || ctx > CLIENTS_MAX_CONTEXT)
        return NULL;
    if ((size_t)ctx < c->ncontexts)
        return &c->contexts[ctx];
    want = (size_t)ctx + 1 > 2 * c->ncontexts ? (size_t)ctx + 1 : 2 * c->ncontexts;
    if ((grown = realloc(c->contexts, want * sizeof(*grown))) == NULL)
        return NULL;
    memset(grown + c->ncontexts, 0, (want - c->ncontexts) * sizeof(*grown));
    c->contexts = grown;
    c->ncontexts = want;
    return &c->contexts[ctx];
}

/* pmcd sends ids as decimal text with its NUL ("%u", libpcp/src/auxserver.c) */
static bool
parse_id(const char *text, size_t length, uint32_t *id)
{
    char buf[16], *end;
    unsigned long v;

    if (!text || length == 0 || length >= sizeof(buf))
        return false;
    memcpy(buf, text, length);
    buf[length] = '\0';        /* the NUL pmcd sends ends it sooner */
    if (buf[0] < '0' || buf[0] > '9')
        return false;
    errno = 0;
    v = strtoul(buf, &end, 10);
    if (errno || *end != '\0' || v > UINT32_MAX)
        return false;
    *id = (uint32_t)v;
    return true;
}

/* one credential of a context: bad text leaves none, never the old one */
static int
set_id(struct clients *c, int ctx, const char *text, size_t length, bool gid)
{
    struct client_context *cc = context_grow(c, ctx);
    uint32_t id;
    bool ok;

    if (!cc)
        return -1;
    ok = parse_id(text, length, &id);
    if (gid) {
        cc->has_gid = ok;
        cc->gid = ok ? id : 0;
    } else {
        cc->has_uid = ok;
        cc->uid = ok ? id : 0;
    }
    return ok ? 0 : -1;
}

int
clients_set_uid(struct clients *c, int ctx, const char *text, size_t length)
{
    return set_id(c, ctx, text, length, false);
}

int
clients_set_gid(struct clients *c, int ctx, const char *text, size_t length)
{
    return set_id(c, ctx, text, length, true);
}

void
clients_end(struct clients *c, int ctx)
{
    struct client_context *cc = context_of(c, ctx);

    if (cc)
        memset(cc, 0, sizeof(*cc));
}

static bool
is_root(const struct clients *c, int ctx)
{
    const struct client_context *cc = context_of(c, ctx);

    return cc && cc->has_uid && cc->uid == 0;
}

/* The bucket refills at mark_rate tokens a second up to mark_burst. */
static bool
take_token(struct clients *c, double now_s)
{
    if (c->tokens_at_s > 0 && now_s > c->tokens_at_s) {
        c->tokens += (now_s - c->tokens_at_s) * c->mark_rate;
        if (c->tokens > c->mark_burst)
            c->tokens = c->mark_burst;
    }
    if (c->tokens_at_s == 0 || now_s > c->tokens_at_s)
        c->tokens_at_s = now_s;
    if (c->tokens < 1)
        return false;
    c->tokens -= 1;
    return true;
}

enum client_verdict
clients_check(struct clients *c, int ctx, enum client_request req, double now_s)
{
    if ((req == REQUEST_CONTROL || c->marks_root_only) && !is_root(c, ctx)) {
        c->refused++;
        return CLIENT_REFUSED;
    }
    if (req == REQUEST_MARK && !take_token(c, now_s)) {
        c->throttled++;
        return CLIENT_THROTTLED;
    }
    return CLIENT_ALLOWED;
}

bool
clients_first_refusal(struct clients *c, int ctx, enum client_request req, bool *last)
{
    const struct client_context *cc = context_of(c, ctx);
    bool anonymous = !cc || !cc->has_uid;
    uint32_t uid = anonymous ? 0 : cc->uid;
    struct client_told *t;

    *last = false;
    for (size_t i = 0; i < c->ntold; i++) {
        t = &c->told[i];
        if (t->anonymous == anonymous && (anonymous || t->uid == uid)) {
            if (t->requests & (unsigned)req)
                return false;
            t->requests |= (unsigned)req;
            return true;
        }
    }
    if (c->ntold == CLIENTS_TOLD_MAX) {
        if (c->told_full)
            return false;
        c->told_full = true;
        *last = true;
        return true;
    }
    t = &c->told[c->ntold++];
    t->anonymous = anonymous;
    t->uid = uid;
    t->requests = (unsigned)req;
    return true;
}

const char *
clients_describe(const struct clients *c, int ctx, char *buf, size_t size)
{
    const struct client_context *cc = context_of(c, ctx);

    if (!cc || !cc->has_uid)
        snprintf(buf, size, "a client without credentials (over TCP, or pmcd sent none)");
    else
        snprintf(buf, size, "uid %u", (unsigned)cc->uid);
    return buf;
}
