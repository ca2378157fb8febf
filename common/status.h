/*
 * status.h: what a source says about itself, logged as it changes.
 *
 * Every source keeps one source_status: its state (power.source.state), why
 * (power.source.reason) and the bad input it has seen (power.source.errors).
 * The log follows changes, never repetitions, so a meter left unplugged or
 * an energy_uj that stays unreadable is one line, not one a second:
 *
 *   status_set()     a new state or reason is logged once; the same again is not
 *   status_error()   counts every time; logs a kind the first time it happens,
 *                    and again only after status_clear() said it had gone
 *   notice_*         the same log-on-change for one instance's condition
 *                    (a zone, a battery, a meter) inside a source
 */
#ifndef POWER_STATUS_H
#define POWER_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

enum source_state {
    SOURCE_ACTIVE,      /* delivering readings */
    SOURCE_ABSENT,      /* nothing to read on this host (may still appear later) */
    SOURCE_FAILED,      /* present but unusable; the reason says what to do */
    SOURCE_DISABLED     /* switched off in the config */
};

const char *source_state_name(enum source_state state);

#define NOTICE_TEXT 512

/* One condition's latest text: logged when it changes. */
struct notice {
    char text[NOTICE_TEXT];
};

/* Log fmt (prefixed by who, e.g. "rapl: ") unless it is the text already
 * noted; true when it was new. */
bool notice_set(struct notice *n, power_log_fn log, int priority, const char *who,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The condition has gone: the next notice_set() logs again. */
void notice_clear(struct notice *n);

struct source_status {
    const char       *name;         /* the source: "rapl", "meter", ... */
    power_log_fn      log;
    enum source_state state;
    struct notice     reason;       /* power.source.reason */
    uint64_t          errors;       /* power.source.errors */
    uint64_t          told;         /* error kinds logged and not yet cleared: bit per kind */
};

#define STATUS_MAX_KINDS 64

void status_init(struct source_status *st, const char *name, power_log_fn log);

/* State and reason (printf-like; "" for none). Logged when either changes:
 * a warning for failed, info otherwise. */
void status_set(struct source_status *st, enum source_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One piece of bad input of a kind (0 .. STATUS_MAX_KINDS-1, the source's
 * own enum): counted always, logged as a warning the first time. */
void status_error(struct source_status *st, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, logged once but not counted: a condition that is not bad input
 * (an old exporter's zeros, an interval unsafe for wraps). */
void status_warn_once(struct source_status *st, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The kind has cleared up: its next error is logged again. */
void status_clear(struct source_status *st, unsigned kind);

#endif
