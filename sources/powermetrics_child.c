/*
 * powermetrics_child.c: the powermetrics source's reader thread (see
 * powermetrics_child.h): spawn the child, pump its stdout into the stream
 * and keep the tail of its stderr, end it, and start it again with
 * back-off, or at once without a sampler it refused.
 */
#include "powermetrics_child.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define BACKOFF_FIRST_S 1.0
#define BACKOFF_MAX_S 60.0
#define STOP_GRACE_S 2.0
/* how often the reader looks whether the child exited while something
 * else (a grandchild) still holds its stdout open */
#define CHILD_CHECK_MS 500
#define STDERR_TAIL 1024

static void
report(struct pm_child *ch, enum pm_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct pm_child *ch, enum pm_problem kind, const char *fmt, ...)
{
    va_list ap;

    reader_lock(&ch->reader);
    ch->shared.problems[kind]++;
    ch->shared.latest = kind;
    va_start(ap, fmt);
    vsnprintf(ch->shared.detail[kind], sizeof(ch->shared.detail[kind]), fmt, ap);
    va_end(ap);
    reader_unlock(&ch->reader);
}

struct pump {
    struct pm_child *ch;
    unsigned         delivered;
    char             err_tail[STDERR_TAIL + 1];   /* the end of what the child said on stderr */
    size_t           err_len;
};

static void
on_document(void *arg, enum pm_problem problem, const struct pm_sample *sample, const char *detail)
{
    struct pump *pump = arg;
    struct pm_handover *sh = &pump->ch->shared;

    if (problem != PM_OK) {
        report(pump->ch, problem, "%s", detail);
        return;
    }
    pump->delivered++;
    reader_lock(&pump->ch->reader);
    sh->documents++;
    sh->latest = PM_OK;         /* the problems before this document are over */
    for (int c = 0; c < SOC_NCOMPONENTS; c++) {
        if (sample->has[c]) {
            sh->energy_mj[c] += sample->energy_mj[c];
            sh->elapsed_ns[c] += sample->elapsed_ns;
        }
    }
    reader_unlock(&pump->ch->reader);
}

/* pipe2() sets close-on-exec atomically, but macOS, where this source
 * matters most, lacks it; there no other thread of the agent spawns. */
static int
cloexec_pipe(int fds[2], bool nonblocking)
{
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0));
#else
    if (pipe(fds) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0 ||
            (nonblocking && fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK) < 0)) {
            close(fds[0]);
            close(fds[1]);
            return -1;
        }
    }
    return 0;
#endif
}

static int
spawn_child(struct pm_child *ch, pid_t *pid, int *fd, int *err_fd)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int pipefd[2], errpipe[2], sts;
    static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM,
                                 SIGUSR1, SIGUSR2 };

    if (cloexec_pipe(pipefd, false) < 0)
        return errno;
    if (cloexec_pipe(errpipe, false) < 0) {
        sts = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return sts;
    }
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
        sigaddset(&defaults, reset[i]);
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    /* stdin is pmcd's pipe to the agent: the child must not see it */
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    /* stderr too: it says why a child exits at once (an unknown sampler) */
    posix_spawn_file_actions_adddup2(&actions, errpipe[1], 2);
    /* its own process group, so stopping it also stops whatever it started */
    posix_spawnattr_setpgroup(&attr, 0);
    /* the agent's blocked signals and ignored SIGPIPE are not the child's business */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF);
    sts = posix_spawnp(pid, ch->argv[0], &actions, &attr, ch->argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(pipefd[1]);
    close(errpipe[1]);
    if (sts != 0) {
        close(pipefd[0]);
        close(errpipe[0]);
        return sts;
    }
    /* read as far as there is something: a grandchild may keep it open */
    fcntl(errpipe[0], F_SETFL, fcntl(errpipe[0], F_GETFL) | O_NONBLOCK);
    *fd = pipefd[0];
    *err_fd = errpipe[0];
    return 0;
}

enum child_status { CHILD_ALIVE, CHILD_EXITED, CHILD_GONE };

/* Exited but not reaped: the pid (and so the process group id) cannot be
 * reused yet, which is what makes killpg() on it safe. */
static enum child_status
child_status(pid_t pid)
{
    siginfo_t info;

    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == EINTR ? CHILD_ALIVE : CHILD_GONE;
    return info.si_pid == pid ? CHILD_EXITED : CHILD_ALIVE;
}

/* Stop the child's process group and reap the child; returns its wait status or -1. */
static int
end_child(pid_t pid)
{
    enum child_status cs = child_status(pid);
    int status = -1;

    if (cs == CHILD_ALIVE) {
        double give_up = monotonic_seconds() + STOP_GRACE_S;
        kill(-pid, SIGTERM);
        while ((cs = child_status(pid)) == CHILD_ALIVE && monotonic_seconds() < give_up) {
            struct timespec ts = { 0, 20 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    if (cs == CHILD_GONE)
        return -1;          /* reaped elsewhere (SIGCHLD ignored): nothing more is safe to signal */
    kill(-pid, SIGKILL);    /* the leader, if it ignored SIGTERM, and anything it left behind */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

enum take { TAKE_LATER = -1, TAKE_END = 0, TAKE_SOME = 1 };

/* What the child writes on stderr still goes to the agent's stderr (its
 * log), as before the agent read it; the end of it is kept for messages. */
static enum take
take_stderr(struct pump *pump, int err_fd)
{
    char buf[4096];
    ssize_t got = read(err_fd, buf, sizeof(buf));
    size_t n;

    if (got < 0)
        return errno == EINTR || errno == EAGAIN ? TAKE_LATER : TAKE_END;
    if (got == 0)
        return TAKE_END;
    n = (size_t)got;
    if (write(STDERR_FILENO, buf, n) < 0) {
        /* nowhere else to put it; the kept tail still has it */
    }
    if (n >= STDERR_TAIL) {
        memcpy(pump->err_tail, buf + n - STDERR_TAIL, STDERR_TAIL);
        pump->err_len = STDERR_TAIL;
    } else {
        if (pump->err_len + n > STDERR_TAIL) {
            size_t drop = pump->err_len + n - STDERR_TAIL;
            memmove(pump->err_tail, pump->err_tail + drop, pump->err_len - drop);
            pump->err_len -= drop;
        }
        memcpy(pump->err_tail + pump->err_len, buf, n);
        pump->err_len += n;
    }
    pump->err_tail[pump->err_len] = '\0';
    return TAKE_SOME;
}

/* Read the child's output until it ends, the child exits, or close() asks. */
static void
pump_child(struct pm_child *ch, struct pump *pump, pid_t pid, int fd, int err_fd)
{
    char buf[64 * 1024];

    for (;;) {
        struct pollfd fds[2] = { { fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
        ssize_t got;

        switch (reader_poll(&ch->reader, fds, 2, CHILD_CHECK_MS)) {
        case READER_STOP:
            return;
        case READER_TIMEOUT:
            if (child_status(pid) != CHILD_ALIVE)
                return;
            continue;
        case READER_READY:
            break;
        }
        if (fds[1].revents && take_stderr(pump, err_fd) == TAKE_END)
            err_fd = -1;        /* closed: poll() skips a negative fd */
        if (!fds[0].revents)
            continue;
        if ((got = read(fd, buf, sizeof(buf))) > 0)
            pm_stream_feed(ch->stream, buf, (size_t)got, on_document, pump);
        else if (got == 0 || (errno != EINTR && errno != EAGAIN))
            return;
    }
}

/* The last line the child wrote on stderr, for messages. */
static const char *
last_stderr_line(struct pump *pump)
{
    char *end = pump->err_tail + pump->err_len, *line;

    while (end > pump->err_tail && isspace((unsigned char)end[-1]))
        *--end = '\0';
    for (line = end; line > pump->err_tail && line[-1] != '\n'; line--)
        ;
    return line;
}

static void
join_argv(char **argv, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (char **a = argv; *a && len < size; a++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", a == argv ? "" : " ", *a);
}

/* The child refused a sampler at once: drop it and start again without
 * back-off, or say false. */
static bool
retry_without_sampler(struct pm_child *ch, struct pump *pump)
{
    char name[64], now[256];
    const char *said;

    if (pump->delivered > 0 || !pm_drop_unknown_sampler(ch->argv, pump->err_tail, name, sizeof(name)))
        return false;
    said = last_stderr_line(pump);
    join_argv(ch->argv, now, sizeof(now));
    report(ch, PM_UNKNOWN_SAMPLER, "\"%s\" said \"%s\"%s; started again at once as \"%s\" "
           "(take %s out of [powermetrics] command to silence this)", ch->command, said,
           strcmp(name, "ane_power") == 0 ?
           " (ane_power exists from macOS 13 on; ANE energy comes with cpu_power anyway)" : "",
           now, name);
    return true;
}

static void
describe_exit(char *out, size_t size, int status)
{
    if (status == -1)
        snprintf(out, size, "ended");
    else if (WIFEXITED(status))
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, size, "ended (wait status %#x)", (unsigned)status);
}

/* Sleep for the back-off; true when close() asked to stop meanwhile. */
static bool
wait_or_stop(struct pm_child *ch, double seconds)
{
    reader_lock(&ch->reader);
    ch->shared.restart_in_s = seconds;
    reader_unlock(&ch->reader);
    return reader_sleep(&ch->reader, seconds);
}

void
pm_child_thread(struct reader *reader, void *arg)
{
    struct pm_child *ch = arg;
    double backoff = BACKOFF_FIRST_S;

    while (!reader_stopping(reader)) {
        struct pump pump = { .ch = ch };
        pid_t pid = -1;
        int fd = -1, err_fd = -1, err;

        if ((err = spawn_child(ch, &pid, &fd, &err_fd)) != 0) {
            report(ch, PM_SPAWN_FAILED, "cannot run \"%s\": %s", ch->command, strerror(err));
        } else {
            char how[128];
            const char *said;
            int status;

            reader_lock(reader);
            ch->shared.child_running = true;
            reader_unlock(reader);
            pump_child(ch, &pump, pid, fd, err_fd);
            close(fd);
            status = end_child(pid);
            /* what it said before it went: the pipe is non-blocking, and the
             * bound holds against a grandchild that keeps writing */
            for (int i = 0; i < 64 && take_stderr(&pump, err_fd) == TAKE_SOME; i++)
                ;
            close(err_fd);
            reader_lock(reader);
            ch->shared.child_running = false;
            reader_unlock(reader);
            if (reader_stopping(reader))
                break;
            pm_stream_end(ch->stream, on_document, &pump);
            if (retry_without_sampler(ch, &pump))
                continue;
            describe_exit(how, sizeof(how), status);
            said = last_stderr_line(&pump);
            report(ch, PM_CHILD_EXIT, "\"%s\" %s after %u good documents%s%s%s", ch->command, how,
                   pump.delivered, said[0] ? " (it said \"" : "", said, said[0] ? "\")" : "");
            if (pump.delivered > 0)
                backoff = BACKOFF_FIRST_S;
        }
        if (wait_or_stop(ch, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
    }
}
