/*
 * clients.h: what the agent knows of each pmcd client, and what it lets
 * each store. Pure: no PCP calls (pmda/export.c is the glue).
 *
 * pmcd tells an agent that asks (PMDA_FLAG_AUTHORIZE) the credentials of
 * every client context: the user and group ids it took from the peer of
 * its unix socket (SO_PEERCRED), or from a SASL login. A client over TCP
 * without authentication has none. They are kept per context, as PCP's
 * proc agent keeps them (src/pmdas/linux_proc/contexts.c), and forgotten
 * when pmcd says the context ended, since pmcd reuses context numbers.
 *
 * Policy: the controls (power.control.*) are root's alone, as pmcd's own
 * control metrics are from PCP 7.2 on; a phase mark is anyone's, or root's
 * alone with "[phase] marks = root", and marks from everyone together pass
 * a token bucket, so a flood can neither push the kept marks out of the
 * ring before pmlogger logs them nor make the agent work for it.
 */
#ifndef POWER_CLIENTS_H
#define POWER_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENTS_MAX_CONTEXT 65535      /* pmcd's context numbers are client slots */
#define CLIENTS_TOLD_MAX 64            /* identities whose refusals are logged once each */

enum client_verdict {
    CLIENT_ALLOWED,
    CLIENT_REFUSED,        /* not root (or no credentials): PM_ERR_PERMISSION */
    CLIENT_THROTTLED,      /* over the mark rate: try again later */
};

enum client_request {
    REQUEST_CONTROL = 1,   /* a store to power.control.* */
    REQUEST_MARK = 2,      /* a store to power.phase.mark */
};

struct client_context {
    bool     has_uid, has_gid;
    uint32_t uid, gid;
};

/* One identity already told about: a uid, or every client without one. */
struct client_told {
    bool     anonymous;
    uint32_t uid;
    unsigned requests;     /* enum client_request bits logged for it */
};

struct clients {
    struct client_context *contexts;   /* indexed by pmcd's context number */
    size_t                 ncontexts;
    bool                   marks_root_only;
    double                 mark_rate;       /* tokens a second */
    double                 mark_burst;      /* bucket size */
    double                 tokens;
    double                 tokens_at_s;     /* monotonic; 0 before the first mark */
    struct client_told     told[CLIENTS_TOLD_MAX];
    size_t                 ntold;
    bool                   told_full;
    uint64_t               refused;         /* power.control.stores_refused */
    uint64_t               throttled;       /* power.phase.throttled */
};

void clients_init(struct clients *c, bool marks_root_only, double mark_rate, double mark_burst);
void clients_free(struct clients *c);

/* pmcd's attributes, as the text it sends ("1000"). 0, or -1 for a bad
 * context number or value (then the context has no such credential). */
int  clients_set_uid(struct clients *c, int ctx, const char *text, size_t length);
int  clients_set_gid(struct clients *c, int ctx, const char *text, size_t length);
/* pmcd closed the context: the next client given its number starts with none. */
void clients_end(struct clients *c, int ctx);

/* May this context make this store now? Counts refusals and throttles. */
enum client_verdict clients_check(struct clients *c, int ctx, enum client_request req, double now_s);

/* True the first time a refusal of this kind meets this identity (the
 * caller logs it then, with what to do); later ones are only counted.
 * After CLIENTS_TOLD_MAX identities, true once more, for a last message. */
bool clients_first_refusal(struct clients *c, int ctx, enum client_request req, bool *last);

/* "uid 1000", or "a client without credentials (TCP)", for the log. */
const char *clients_describe(const struct clients *c, int ctx, char *buf, size_t size);

#endif
