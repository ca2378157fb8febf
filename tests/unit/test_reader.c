/* The reader-thread helper (common/reader.c): stop at once, the log queue, log on change. */
#include "check.h"
#include "clock.h"
#include "fakesys.h"
#include "reader.h"

#include <syslog.h>
#include <unistd.h>

struct shared {
    int  counted;       /* under the reader's lock */
    bool woke_by_stop;
    int  fd;            /* a pipe's read end nobody writes to */
};

/* Sleeps a minute, as a meter's back-off can: only reader_stop ends it. */
static void
sleeper(struct reader *r, void *arg)
{
    struct shared *sh = arg;

    reader_lock(r);
    sh->counted++;
    reader_unlock(r);
    sh->woke_by_stop = reader_sleep(r, 60.0);
}

/* Waits a minute on a silent line, as a meter's reader does. */
static void
waiter(struct reader *r, void *arg)
{
    struct shared *sh = arg;
    struct pollfd p = { .fd = sh->fd, .events = POLLIN };

    sh->woke_by_stop = reader_poll(r, &p, 1, 60000) == READER_STOP;
}

static int
counted(struct reader *r, const struct shared *sh)
{
    int c;

    reader_lock(r);
    c = sh->counted;
    reader_unlock(r);
    return c;
}

static double
timed_stop(struct reader *r)
{
    double t0 = monotonic_seconds();

    reader_stop(r);
    return monotonic_seconds() - t0;
}

static void
stop_is_immediate(void)
{
    struct reader r;
    struct shared sh = { 0 };
    int fds[2];
    double took;

    CHECK(reader_init(&r), "a reader has its lock and wake pipe");
    CHECK(reader_start(&r, sleeper, &sh), "its thread starts");
    while (counted(&r, &sh) == 0)
        usleep(1000);
    took = timed_stop(&r);
    CHECK(sh.woke_by_stop, "a thread sleeping a minute is woken by the stop");
    CHECK(took < 5.0, "and joined at once, not after its sleep (%.3f s)", took);
    reader_stop(&r);
    reader_fini(&r);
    CHECK(1, "stopping twice is harmless");

    if (pipe(fds) < 0)
        return;
    sh.fd = fds[0];
    reader_init(&r);
    reader_start(&r, waiter, &sh);
    took = timed_stop(&r);
    CHECK(sh.woke_by_stop && took < 5.0, "a thread polling a silent line is woken too (%.3f s)", took);
    reader_fini(&r);
    close(fds[0]);
    close(fds[1]);

    reader_init(&r);
    reader_stop(&r);
    reader_fini(&r);
    CHECK(1, "a reader never started stops and goes");
}

/* The queue, driven from this thread as the reader thread would drive it. */
static void
lines_reach_the_log_in_order(void)
{
    struct reader r;
    struct notice reason = { "" };

    reader_init(&r);
    fake_log_clear();
    reader_say(&r, LOG_INFO, "meter m1: connected on %s", "/dev/ttyUSB0");
    reader_say(&r, LOG_WARNING, "meter m1: garbage");
    CHECK(fake_log_lines == 0, "nothing is logged by the thread itself");
    reader_drain(&r, fake_record, "meter m1");
    CHECK(fake_log_lines == 2 && strstr(fake_log, "connected on /dev/ttyUSB0\nmeter m1: garbage") != NULL,
          "the timer logs the queued lines, in order: %s", fake_log);
    reader_drain(&r, fake_record, "meter m1");
    CHECK(fake_log_lines == 2, "a drained queue is empty");

    fake_log_clear();
    for (int i = 0; i < READER_LINES + 3; i++)
        reader_say(&r, LOG_INFO, "line %d", i);
    reader_drain(&r, fake_record, "meter m1");
    CHECK(fake_log_count("line ") == READER_LINES && fake_log_count("meter m1: 3 more messages dropped") == 1,
          "beyond %d lines between two samples the rest are counted as dropped: %s", READER_LINES, fake_log);

    fake_log_clear();
    for (int i = 0; i < 3; i++)
        reader_say_once(&r, 2, LOG_WARNING, "bad input %d", i);
    reader_forget(&r, 2);
    reader_say_once(&r, 2, LOG_WARNING, "bad input %d", 9);
    reader_drain(&r, fake_record, "meter m1");
    CHECK(fake_log_count("bad input 0") == 1 && fake_log_count("bad input 1") == 0 &&
          fake_log_count("bad input 9") == 1, "once per kind until forgotten: %s", fake_log);

    fake_log_clear();
    CHECK(reader_note(&r, &reason, LOG_WARNING, "meter m1: ", "%s: no such file", "/dev/ttyUSB0"),
          "a new condition is noted");
    CHECK(!reader_note(&r, &reason, LOG_WARNING, "meter m1: ", "%s: no such file", "/dev/ttyUSB0"),
          "the same again is not news");
    reader_drain(&r, fake_record, "meter m1");
    CHECK(fake_log_count("meter m1: /dev/ttyUSB0: no such file") == 1 && fake_log_lines == 1,
          "and is logged once: %s", fake_log);
    CHECK_STR(reason.text, "/dev/ttyUSB0: no such file", "the timer reads the condition without the prefix");
    reader_fini(&r);
}

int
main(void)
{
    stop_is_immediate();
    lines_reach_the_log_in_order();
    return CHECK_DONE();
}
