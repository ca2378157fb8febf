/*
 * reader.h: one thread per source that must wait on something slow (a
 * meter's serial line, the powermetrics child; NVML calls next), and what
 * it shares with the agent's timer.
 *
 * The thread makes no PCP calls and does not log: it hands its readings
 * to the timer under reader_lock(), and its log lines through a small
 * queue that the timer's sample() drains into the source's log
 * (reader_drain). close() stops it at once: reader_stop() sets the stop
 * flag and writes to a wake pipe that every wait of the thread (reader_poll,
 * reader_sleep) watches, then joins it.
 *
 *   timer (open)      reader_init, reader_start(body)
 *   thread (body)     reader_poll / reader_sleep, then reader_stopping();
 *                     reader_lock / reader_unlock around what it shares;
 *                     reader_say, reader_say_once, reader_note for the log
 *   timer (sample)    reader_lock / reader_unlock, reader_drain
 *   timer (close)     reader_stop, reader_fini
 */
#ifndef POWER_READER_H
#define POWER_READER_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "status.h"

#define READER_LINES 8          /* log lines a thread may queue between two samples */
#define READER_TEXT  320

struct reader_line {
    int  priority;
    char text[READER_TEXT];
};

struct reader {
    pthread_t       thread;
    bool            started;
    bool            ready;          /* reader_init succeeded: lock and pipe exist */
    int             wake[2];        /* reader_stop() writes here */
    atomic_bool     stop;
    pthread_mutex_t lock;           /* the queue, and whatever the source shares with its thread */
    struct reader_line lines[READER_LINES];
    unsigned        nlines, dropped;
    uint64_t        told;           /* the thread's own: kinds said once (reader_say_once) */
    void          (*body)(struct reader *r, void *arg);
    void           *arg;
};

/* The lock and the wake pipe; false when either cannot be made. */
bool reader_init(struct reader *r);
/* Run body(r, arg) on a thread of its own, every signal blocked (signals
 * are the agent's main loop's); false when it cannot start. */
bool reader_start(struct reader *r, void (*body)(struct reader *r, void *arg), void *arg);
/* Ask the thread to stop and wake it (several readers then stop together). */
void reader_ask_stop(struct reader *r);
/* reader_ask_stop, and join the thread; nothing when not started. */
void reader_stop(struct reader *r);
/* After reader_stop: the pipe and the lock go. */
void reader_fini(struct reader *r);

/* ---- the thread's side ---- */

bool reader_stopping(struct reader *r);

enum reader_wait { READER_STOP, READER_READY, READER_TIMEOUT };

/* poll(2) on fds (none: only the stop) for up to timeout_ms, waking at once
 * on reader_stop(); fds' revents are filled in when READER_READY. EINTR
 * counts as a short timeout. */
enum reader_wait reader_poll(struct reader *r, struct pollfd *fds, unsigned nfds, int timeout_ms);
/* Sleep for seconds; true when stopped meanwhile. */
bool reader_sleep(struct reader *r, double seconds);

void reader_lock(struct reader *r);
void reader_unlock(struct reader *r);

/* Queue a log line for the timer; lines beyond READER_LINES between two
 * drains are counted and said as dropped. */
void reader_say(struct reader *r, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, once per kind (0..63, the thread's own enum) until reader_forget(). */
void reader_say_once(struct reader *r, unsigned kind, int priority, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reader_forget(struct reader *r, unsigned kind);
bool reader_told(const struct reader *r, unsigned kind);
/* A condition the timer also reads (a meter's reason, under the lock):
 * set it and queue it as a line when its text changed; true then. */
bool reader_note(struct reader *r, struct notice *n, int priority, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- the timer's side ---- */

/* Log what the thread queued, then "WHO: N more messages dropped" if it had to drop some. */
void reader_drain(struct reader *r, power_log_fn log, const char *who);

#endif
