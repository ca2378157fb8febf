/*
 * status.h: what a source says about itself, logged as it changes.
 *
 * Every source keeps one source_status: its state (power.source.state), why
 * (power.source.reason) and the bad input it has seen (power.source.errors).
 * The log follows changes, never repetitions, so a meter left unplugged or
 * an energy_uj that stays unreadable is one line, not one a second:
 *
 *   status_set()     the first state, and each change of state, is logged
 *                    with its reason; a reason that changes within one state
 *                    is only kept (power.source.reason): the conditions
 *                    behind it are logged where they are found, below
 *   status_error()   counts every time; logs a kind the first time it happens,
 *                    and again only after status_clear() said it had gone
 *   notice_*         log-on-change for one instance's condition (a zone, a
 *                    battery, a meter) inside a source
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
/* The same, once per condition whatever its text: nothing is logged while
 * a condition is noted (a figure in the text may change every sample). */
bool notice_once(struct notice *n, power_log_fn log, int priority, const char *who,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The condition has gone: the next notice_set() logs again. */
void notice_clear(struct notice *n);
bool notice_is_set(const struct notice *n);

/* every meter's or battery's word fits */
#define STATUS_REASON 1024

struct source_status {
    const char       *name;         /* the source: "rapl", "meter", ... */
    power_log_fn      log;
    enum source_state state;
    char              reason[STATUS_REASON];   /* power.source.reason */
    uint64_t          errors;       /* power.source.errors */
    uint64_t          told;         /* error kinds logged and not yet cleared: bit per kind */
    bool              said;         /* a state was logged: only a change is news now */
    bool              delivered;    /* it was active once: absent now is a loss */
};

#define STATUS_MAX_KINDS 64

void status_init(struct source_status *st, const char *name, power_log_fn log);

/* State and reason (printf-like; "" for none). The first call and each
 * change of state are logged: a warning for failed and for absent after
 * active, info otherwise; an active state's reason is not logged (it names
 * what the source logs itself). */
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
/* Bad input counted and logged elsewhere: by a notice of one instance, or
 * by a reader thread (reader.h) that counts its own. */
void status_count(struct source_status *st, uint64_t n);

#endif
