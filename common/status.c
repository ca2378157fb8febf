#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

const char *
source_state_name(enum source_state state)
{
    switch (state) {
    case SOURCE_ACTIVE:
        return "active";
    case SOURCE_ABSENT:
        return "absent";
    case SOURCE_FAILED:
        return "failed";
    case SOURCE_DISABLED:
        return "disabled";
    }
    return "unknown";
}

static bool notice_vset(struct notice *n, power_log_fn log, int priority, const char *who,
                        const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static bool
notice_vset(struct notice *n, power_log_fn log, int priority, const char *who,
            const char *fmt, va_list ap)
{
    char text[NOTICE_TEXT];

    vsnprintf(text, sizeof(text), fmt, ap);
    if (strcmp(text, n->text) == 0)
        return false;
    memcpy(n->text, text, sizeof(text));
    if (log && text[0])
        log(priority, "%s%s", who ? who : "", text);
    return true;
}

bool
notice_set(struct notice *n, power_log_fn log, int priority, const char *who, const char *fmt, ...)
{
    va_list ap;
    bool changed;

    va_start(ap, fmt);
    changed = notice_vset(n, log, priority, who, fmt, ap);
    va_end(ap);
    return changed;
}

void
notice_clear(struct notice *n)
{
    n->text[0] = '\0';
}

void
status_init(struct source_status *st, const char *name, power_log_fn log)
{
    memset(st, 0, sizeof(*st));
    st->name = name;
    st->log = log;
    st->state = SOURCE_ABSENT;
}

void
status_set(struct source_status *st, enum source_state state, const char *fmt, ...)
{
    char who[64], text[NOTICE_TEXT];
    va_list ap;
    bool changed = state != st->state;
    int priority = state == SOURCE_FAILED ? LOG_WARNING : LOG_INFO;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    st->state = state;
    if (!changed && strcmp(text, st->reason.text) == 0)
        return;
    snprintf(who, sizeof(who), "source %s: %s%s", st->name, source_state_name(state), text[0] ? ": " : "");
    /* the state is news even when the reason is not, and an empty reason still says the state */
    notice_clear(&st->reason);
    if (text[0])
        notice_set(&st->reason, st->log, priority, who, "%s", text);
    else if (st->log)
        st->log(priority, "source %s: %s", st->name, source_state_name(state));
}

static void status_vtell(struct source_status *st, unsigned kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
status_vtell(struct source_status *st, unsigned kind, const char *fmt, va_list ap)
{
    char text[NOTICE_TEXT];
    uint64_t bit = 1ull << (kind % STATUS_MAX_KINDS);

    if (st->told & bit)
        return;
    st->told |= bit;
    vsnprintf(text, sizeof(text), fmt, ap);
    if (st->log)
        st->log(LOG_WARNING, "%s: %s", st->name, text);
}

void
status_error(struct source_status *st, unsigned kind, const char *fmt, ...)
{
    va_list ap;

    st->errors++;
    va_start(ap, fmt);
    status_vtell(st, kind, fmt, ap);
    va_end(ap);
}

void
status_warn_once(struct source_status *st, unsigned kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    status_vtell(st, kind, fmt, ap);
    va_end(ap);
}

void
status_clear(struct source_status *st, unsigned kind)
{
    st->told &= ~(1ull << (kind % STATUS_MAX_KINDS));
}
