#include "reader.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define READER_MAX_FDS 4

bool
reader_init(struct reader *r)
{
    memset(r, 0, sizeof(*r));
    r->wake[0] = r->wake[1] = -1;
    atomic_init(&r->stop, false);
    if (pipe(r->wake) < 0) {
        r->wake[0] = r->wake[1] = -1;
        return false;
    }
    /* close-on-exec: a child the thread spawns must not hold the pipe */
    for (int i = 0; i < 2; i++)
        if (fcntl(r->wake[i], F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(r->wake[i], F_SETFL, fcntl(r->wake[i], F_GETFL) | O_NONBLOCK) < 0)
            goto fail;
    if (pthread_mutex_init(&r->lock, NULL) != 0)
        goto fail;
    r->ready = true;
    return true;
fail:
    close(r->wake[0]);
    close(r->wake[1]);
    r->wake[0] = r->wake[1] = -1;
    return false;
}

static void *
reader_main(void *arg)
{
    struct reader *r = arg;

    r->body(r, r->arg);
    return NULL;
}

bool
reader_start(struct reader *r, void (*body)(struct reader *r, void *arg), void *arg)
{
    sigset_t all, old;

    if (!r->ready || r->started)
        return false;
    r->body = body;
    r->arg = arg;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r->started = pthread_create(&r->thread, NULL, reader_main, r) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r->started;
}

void
reader_ask_stop(struct reader *r)
{
    if (!r->started || atomic_exchange(&r->stop, true))
        return;
    if (write(r->wake[1], "x", 1) < 0) {
        /* cannot fail on an empty pipe; the flag stops it at its next wait anyway */
    }
}

void
reader_stop(struct reader *r)
{
    if (!r->started)
        return;
    reader_ask_stop(r);
    pthread_join(r->thread, NULL);
    r->started = false;
}

void
reader_fini(struct reader *r)
{
    if (!r->ready)
        return;
    close(r->wake[0]);
    close(r->wake[1]);
    pthread_mutex_destroy(&r->lock);
    r->ready = false;
}

bool
reader_stopping(struct reader *r)
{
    return atomic_load(&r->stop);
}

enum reader_wait
reader_poll(struct reader *r, struct pollfd *fds, unsigned nfds, int timeout_ms)
{
    struct pollfd all[READER_MAX_FDS + 1];
    int n;

    if (nfds > READER_MAX_FDS)
        nfds = READER_MAX_FDS;
    if (reader_stopping(r))
        return READER_STOP;
    all[0] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
    for (unsigned i = 0; i < nfds; i++) {
        all[i + 1] = fds[i];
        all[i + 1].revents = 0;
    }
    n = poll(all, nfds + 1, timeout_ms);
    /* the byte stays in the pipe: every later wait returns at once too */
    if (reader_stopping(r) || (n > 0 && all[0].revents))
        return READER_STOP;
    if (n <= 0)
        return READER_TIMEOUT;
    for (unsigned i = 0; i < nfds; i++)
        fds[i].revents = all[i + 1].revents;
    return READER_READY;
}

bool
reader_sleep(struct reader *r, double seconds)
{
    double until = monotonic_seconds() + seconds;

    for (;;) {
        double left = until - monotonic_seconds();
        if (left <= 0)
            return reader_stopping(r);
        if (reader_poll(r, NULL, 0, (int)(left * 1000) + 1) == READER_STOP)
            return true;
    }
}

void
reader_lock(struct reader *r)
{
    pthread_mutex_lock(&r->lock);
}

void
reader_unlock(struct reader *r)
{
    pthread_mutex_unlock(&r->lock);
}

static void push_line(struct reader *r, int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Under the lock. */
static void
push_line(struct reader *r, int priority, const char *fmt, va_list ap)
{
    struct reader_line *line;

    if (r->nlines >= READER_LINES) {
        r->dropped++;
        return;
    }
    line = &r->lines[r->nlines++];
    line->priority = priority;
    vsnprintf(line->text, sizeof(line->text), fmt, ap);
}

static void say_locked(struct reader *r, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say_locked(struct reader *r, int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    push_line(r, priority, fmt, ap);
    va_end(ap);
}

static void say_va(struct reader *r, int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
say_va(struct reader *r, int priority, const char *fmt, va_list ap)
{
    reader_lock(r);
    push_line(r, priority, fmt, ap);
    reader_unlock(r);
}

void
reader_say(struct reader *r, int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say_va(r, priority, fmt, ap);
    va_end(ap);
}

void
reader_say_once(struct reader *r, unsigned kind, int priority, const char *fmt, ...)
{
    uint64_t bit = 1ull << (kind % 64);
    va_list ap;

    if (r->told & bit)
        return;
    r->told |= bit;
    va_start(ap, fmt);
    say_va(r, priority, fmt, ap);
    va_end(ap);
}

void
reader_forget(struct reader *r, unsigned kind)
{
    r->told &= ~(1ull << (kind % 64));
}

bool
reader_told(const struct reader *r, unsigned kind)
{
    return (r->told & (1ull << (kind % 64))) != 0;
}

bool
reader_note(struct reader *r, struct notice *n, int priority, const char *who, const char *fmt, ...)
{
    char text[NOTICE_TEXT];
    bool changed;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    reader_lock(r);
    /* notice_set() with no log function only notes; the line goes to the queue */
    if ((changed = notice_set(n, NULL, priority, NULL, "%s", text)))
        say_locked(r, priority, "%s%s", who ? who : "", text);
    reader_unlock(r);
    return changed;
}

void
reader_drain(struct reader *r, power_log_fn log, const char *who)
{
    struct reader_line lines[READER_LINES];
    unsigned n, dropped;

    reader_lock(r);
    n = r->nlines;
    memcpy(lines, r->lines, n * sizeof(lines[0]));
    dropped = r->dropped;
    r->nlines = r->dropped = 0;
    reader_unlock(r);
    for (unsigned i = 0; i < n; i++)
        log(lines[i].priority, "%s", lines[i].text);
    if (dropped)
        log(LOG_WARNING, "%s: %u more messages dropped", who, dropped);
}
