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

bool
notice_once(struct notice *n, power_log_fn log, int priority, const char *who, const char *fmt, ...)
{
    va_list ap;
    bool logged;

    if (notice_is_set(n))
        return false;
    va_start(ap, fmt);
    logged = notice_vset(n, log, priority, who, fmt, ap);
    va_end(ap);
    return logged;
}

void
notice_clear(struct notice *n)
{
    n->text[0] = '\0';
}

bool
notice_is_set(const struct notice *n)
{
    return n->text[0] != '\0';
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
    char text[STATUS_REASON];
    va_list ap;
    bool news = !st->said || state != st->state;
    int priority = state == SOURCE_FAILED || (state == SOURCE_ABSENT && st->delivered) ?
                   LOG_WARNING : LOG_INFO;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);       /* fmt's arguments may be the old reason */
    va_end(ap);
    memcpy(st->reason, text, sizeof(text));
    st->state = state;
    st->said = true;
    if (state == SOURCE_ACTIVE)
        st->delivered = true;
    if (!news || !st->log)
        return;
    /* an active source's reason names what it logs itself (a battery's
     * firmware, a meter still connecting): the state is the news */
    if (state != SOURCE_ACTIVE && st->reason[0])
        st->log(priority, "source %s: %s: %s", st->name, source_state_name(state), st->reason);
    else
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

void
status_count(struct source_status *st, uint64_t n)
{
    st->errors += n;
}
