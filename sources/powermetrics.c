/*
 * powermetrics.c: the powermetrics child, the thread that reads it, and
 * the source interface. The parsing is in powermetrics_parse.c.
 *
 * Two sides share struct pm_handover under the reader's lock (reader.h):
 * the reader thread (spawns the child, reads, parses, restarts) only adds
 * documents and problems to it; sample() on the agent's timer drains it,
 * updates the counters and does all the logging. Nothing here calls PCP.
 */
#include "powermetrics.h"
#include "config.h"
#include "reader.h"

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
#include <syslog.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The cpu_power sampler brings cpu_energy, gpu_energy and ane_energy on
 * every macOS version (asitop reads them so: tlkh/asitop asitop/parsers.py);
 * gpu_power exists on macOS 12 and on Intel Macs too; ane_power only from
 * macOS 13 on, and an older powermetrics exits at once on it. */
#define PM_DEFAULT_COMMAND "powermetrics --samplers cpu_power,gpu_power -f plist"
#define BACKOFF_FIRST_S 1.0
#define BACKOFF_MAX_S 60.0
#define STOP_GRACE_S 2.0
/* how often the reader looks whether the child exited while something
 * else (a grandchild) still holds its stdout open */
#define CHILD_CHECK_MS 500
#define DETAIL_SIZE 512
#define STDERR_TAIL 1024

#ifdef __APPLE__
#define PM_DEFAULT_ENABLED true
#else
#define PM_DEFAULT_ENABLED false
#endif

/* What the reader thread hands over to the timer, under the reader's lock. */
struct pm_handover {
    unsigned  documents;                 /* good documents since the last drain */
    double    energy_mj[SOC_NCOMPONENTS];
    uint64_t  elapsed_ns[SOC_NCOMPONENTS];
    uint64_t  problems[PM_NPROBLEMS];    /* cumulative */
    char      detail[PM_NPROBLEMS][DETAIL_SIZE];  /* the latest of each kind */
    enum pm_problem latest;              /* the latest problem since the latest good document */
    bool      child_running;
    double    restart_in_s;              /* back-off before the next start */
};

struct pm_component {
    bool   seen;
    double last_s;       /* agent time of the latest batch that had it */
    double energy_j;
    double power_w;
};

struct pm_state {
    struct source_env env;
    bool              enabled;
    char            **argv;
    char             *command;          /* for messages */
    double            interval_s;
    double            stale_s;
    struct reader     reader;
    struct pm_stream *stream;           /* the reader thread's alone */
    struct pm_handover shared;

    /* the timer's side */
    struct pm_component comp[SOC_NCOMPONENTS];
    uint64_t          problems_seen[PM_NPROBLEMS];
    double            now_s;
    struct source_status status;      /* its kinds are enum pm_problem */
};

/* ---- a sampler the child does not know ---- */

/* powermetrics says "powermetrics: unrecognized sampler: bandwidth" on
 * stderr and exits (tlkh/asitop issue #53, macOS 13 without the bandwidth
 * sampler; the same for smc on arm64). No report of the exact words for
 * ane_power on macOS 12 was found, so any line that says a sampler is
 * unrecognised, unknown, invalid or unsupported counts, if it names one. */
static bool
says_unknown_sampler(const char *line, size_t len)
{
    static const char *const words[] = { "unrecogni", "unknown", "invalid", "unsupported", "not supported" };
    char lower[512];
    size_t n = len < sizeof(lower) - 1 ? len : sizeof(lower) - 1;

    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)line[i]);
    lower[n] = '\0';
    if (!strstr(lower, "sampler"))
        return false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(lower, words[i]))
            return true;
    return false;
}

static bool
is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* word (of len bytes) appears in line as a whole word */
static bool
names_word(const char *line, size_t line_len, const char *word, size_t len)
{
    for (const char *p = line; len > 0 && (p = memmem(p, line_len - (size_t)(p - line), word, len)) != NULL; p++) {
        if ((p == line || !is_word_char(p[-1])) &&
            (p + len == line + line_len || !is_word_char(p[len])))
            return true;
    }
    return false;
}

/* The --samplers list in argv, or NULL. */
static char *
samplers_list(char **argv)
{
    for (char **a = argv; *a; a++) {
        if ((strcmp(*a, "--samplers") == 0 || strcmp(*a, "-s") == 0) && a[1])
            return a[1];
        if (strncmp(*a, "--samplers=", strlen("--samplers=")) == 0)
            return *a + strlen("--samplers=");
    }
    return NULL;
}

/* Remove entry [start, start + len) and one comma beside it from list. */
static void
remove_entry(char *list, char *start, size_t len)
{
    char *end = start + len;

    if (*end == ',')
        end++;
    else if (start > list && start[-1] == ',')
        start--;
    memmove(start, end, strlen(end) + 1);
}

bool
pm_drop_unknown_sampler(char **argv, const char *text, char *name, size_t name_size)
{
    char *list = argv ? samplers_list(argv) : NULL;

    if (!list || !text || !strchr(list, ','))
        return false;       /* no list, or its last sampler: nothing to run without */
    for (const char *line = text; *line;) {
        size_t line_len = strcspn(line, "\n");

        if (says_unknown_sampler(line, line_len)) {
            for (char *entry = list; *entry;) {
                size_t len = strcspn(entry, ",");
                char *word = entry, *next = entry + len + (entry[len] == ',');
                size_t word_len = len;

                while (word_len > 0 && isspace((unsigned char)*word)) {
                    word++;
                    word_len--;
                }
                while (word_len > 0 && isspace((unsigned char)word[word_len - 1]))
                    word_len--;
                if (names_word(line, line_len, word, word_len)) {
                    snprintf(name, name_size, "%.*s", (int)word_len, word);
                    remove_entry(list, entry, len);
                    return true;
                }
                entry = next;
            }
        }
        line += line_len + (line[line_len] == '\n');
    }
    return false;
}

/* ---- the reader thread ---- */

static void
report(struct pm_state *st, enum pm_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct pm_state *st, enum pm_problem kind, const char *fmt, ...)
{
    va_list ap;

    reader_lock(&st->reader);
    st->shared.problems[kind]++;
    st->shared.latest = kind;
    va_start(ap, fmt);
    vsnprintf(st->shared.detail[kind], sizeof(st->shared.detail[kind]), fmt, ap);
    va_end(ap);
    reader_unlock(&st->reader);
}

struct pump {
    struct pm_state *st;
    unsigned         delivered;
    char             err_tail[STDERR_TAIL + 1];   /* the end of what the child said on stderr */
    size_t           err_len;
};

static void
on_document(void *arg, enum pm_problem problem, const struct pm_sample *sample, const char *detail)
{
    struct pump *pump = arg;
    struct pm_handover *sh = &pump->st->shared;

    if (problem != PM_OK) {
        report(pump->st, problem, "%s", detail);
        return;
    }
    pump->delivered++;
    reader_lock(&pump->st->reader);
    sh->documents++;
    sh->latest = PM_OK;         /* the problems before this document are over */
    for (int c = 0; c < SOC_NCOMPONENTS; c++) {
        if (sample->has[c]) {
            sh->energy_mj[c] += sample->energy_mj[c];
            sh->elapsed_ns[c] += sample->elapsed_ns;
        }
    }
    reader_unlock(&pump->st->reader);
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
spawn_child(struct pm_state *st, pid_t *pid, int *fd, int *err_fd)
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
    sts = posix_spawnp(pid, st->argv[0], &actions, &attr, st->argv, environ);
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
pump_child(struct pm_state *st, struct pump *pump, pid_t pid, int fd, int err_fd)
{
    char buf[64 * 1024];

    for (;;) {
        struct pollfd fds[2] = { { fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
        ssize_t got;

        switch (reader_poll(&st->reader, fds, 2, CHILD_CHECK_MS)) {
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
            pm_stream_feed(st->stream, buf, (size_t)got, on_document, pump);
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
retry_without_sampler(struct pm_state *st, struct pump *pump)
{
    char name[64], now[256];
    const char *said;

    if (pump->delivered > 0 || !pm_drop_unknown_sampler(st->argv, pump->err_tail, name, sizeof(name)))
        return false;
    said = last_stderr_line(pump);
    join_argv(st->argv, now, sizeof(now));
    report(st, PM_UNKNOWN_SAMPLER, "\"%s\" said \"%s\"%s; started again at once as \"%s\" "
           "(take %s out of [powermetrics] command to silence this)", st->command, said,
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
wait_or_stop(struct pm_state *st, double seconds)
{
    reader_lock(&st->reader);
    st->shared.restart_in_s = seconds;
    reader_unlock(&st->reader);
    return reader_sleep(&st->reader, seconds);
}

static void
reader_main(struct reader *reader, void *arg)
{
    struct pm_state *st = arg;
    double backoff = BACKOFF_FIRST_S;

    while (!reader_stopping(reader)) {
        struct pump pump = { .st = st };
        pid_t pid = -1;
        int fd = -1, err_fd = -1, err;

        if ((err = spawn_child(st, &pid, &fd, &err_fd)) != 0) {
            report(st, PM_SPAWN_FAILED, "cannot run \"%s\": %s", st->command, strerror(err));
        } else {
            char how[128];
            const char *said;
            int status;

            reader_lock(reader);
            st->shared.child_running = true;
            reader_unlock(reader);
            pump_child(st, &pump, pid, fd, err_fd);
            close(fd);
            status = end_child(pid);
            /* what it said before it went: the pipe is non-blocking, and the
             * bound holds against a grandchild that keeps writing */
            for (int i = 0; i < 64 && take_stderr(&pump, err_fd) == TAKE_SOME; i++)
                ;
            close(err_fd);
            reader_lock(reader);
            st->shared.child_running = false;
            reader_unlock(reader);
            if (reader_stopping(reader))
                break;
            pm_stream_end(st->stream, on_document, &pump);
            if (retry_without_sampler(st, &pump))
                continue;
            describe_exit(how, sizeof(how), status);
            said = last_stderr_line(&pump);
            report(st, PM_CHILD_EXIT, "\"%s\" %s after %u good documents%s%s%s", st->command, how,
                   pump.delivered, said[0] ? " (it said \"" : "", said, said[0] ? "\")" : "");
            if (pump.delivered > 0)
                backoff = BACKOFF_FIRST_S;
        }
        if (wait_or_stop(st, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
    }
}

/* ---- the source ---- */

static void *
pm_open(const struct source_env *env)
{
    struct pm_state *st = calloc(1, sizeof(*st));
    const char *command;
    size_t argc = 0;
    char ms[32];

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "powermetrics", env->log);
    st->enabled = config_bool(env->config, "powermetrics", "enabled", PM_DEFAULT_ENABLED);
    st->interval_s = config_double(env->config, "powermetrics", "interval", 1.0, 0.1, 3600.0);
    /* a sample is late after three of powermetrics's intervals and some slack for start-up */
    st->stale_s = 3 * st->interval_s + 2.0;
    command = config_string(env->config, "powermetrics", "command", PM_DEFAULT_COMMAND);
    if (!st->enabled) {
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([powermetrics] enabled = no%s)",
                   PM_DEFAULT_ENABLED ? "" : ", the default except on macOS");
        return st;
    }
    if ((st->argv = pm_split_command(command, 2, &argc)) == NULL) {
        config_bad_value(env->config, "powermetrics", "command",
                         "a program and its arguments, such as " PM_DEFAULT_COMMAND);
        status_set(&st->status, SOURCE_FAILED, "[powermetrics] command is empty or has an unclosed quote");
        return st;
    }
    snprintf(ms, sizeof(ms), "%.0f", st->interval_s * 1000);
    st->argv[argc] = strdup("-i");
    st->argv[argc + 1] = strdup(ms);
    st->command = strdup(command);
    st->stream = pm_stream_new(PM_DEFAULT_MAX_DOCUMENT);
    if (!st->argv[argc] || !st->argv[argc + 1] || !st->command || !st->stream ||
        !reader_init(&st->reader) || !reader_start(&st->reader, reader_main, st)) {
        status_set(&st->status, SOURCE_FAILED, "out of memory or threads starting the reader");
        return st;
    }
    status_set(&st->status, SOURCE_ABSENT, "waiting for the first sample from \"%s\"", command);
    return st;
}

/* The reader cannot log (no PCP in threads): the timer counts what it
 * reported and logs each kind of problem the first time it appears. */
static void
log_new_problems(struct pm_state *st, const uint64_t *problems, char (*detail)[DETAIL_SIZE])
{
    for (int k = 1; k < PM_NPROBLEMS; k++) {
        if (problems[k] == st->problems_seen[k])
            continue;
        status_count(&st->status, problems[k] - st->problems_seen[k] - 1);
        st->problems_seen[k] = problems[k];
        status_error(&st->status, (unsigned)k,
                     "%s: %s (logged once; every one is counted in power.source.errors)%s",
                     pm_problem_name((enum pm_problem)k), detail[k],
                     k == PM_SPAWN_FAILED || k == PM_CHILD_EXIT ?
                     "; started again after a back-off of 1 s, doubling to 60 s while it fails" : "");
    }
}

static void
pm_sample(void *state, const struct sample_time *now)
{
    struct pm_state *st = state;
    struct pm_handover taken;
    bool fresh = false;

    st->now_s = now->mono_s;
    if (!st->reader.started)
        return;
    reader_lock(&st->reader);
    taken = st->shared;
    st->shared.documents = 0;
    memset(st->shared.energy_mj, 0, sizeof(st->shared.energy_mj));
    memset(st->shared.elapsed_ns, 0, sizeof(st->shared.elapsed_ns));
    reader_unlock(&st->reader);

    log_new_problems(st, taken.problems, taken.detail);
    for (int c = 0; c < SOC_NCOMPONENTS; c++) {
        struct pm_component *pc = &st->comp[c];
        if (taken.documents > 0 && taken.elapsed_ns[c] > 0) {
            pc->energy_j += taken.energy_mj[c] / 1000.0;
            pc->power_w = taken.energy_mj[c] / 1000.0 / ((double)taken.elapsed_ns[c] / 1e9);
            pc->seen = true;
            pc->last_s = now->mono_s;
        }
        fresh = fresh || (pc->seen && now->mono_s - pc->last_s <= st->stale_s);
    }
    if (fresh)
        status_set(&st->status, SOURCE_ACTIVE, "%s", "");
    else if (taken.latest == PM_UNKNOWN_SAMPLER && taken.child_running)
        /* not a failure: the child runs again at once without the sampler, as logged */
        status_set(&st->status, SOURCE_ABSENT, "waiting for the first sample, a sampler dropped (see the log)");
    else if (taken.latest != PM_OK) {
        char restart[64];
        snprintf(restart, sizeof(restart), "started again within %.0f s", taken.restart_in_s);
        status_set(&st->status, SOURCE_FAILED, "%s: %s; %s", pm_problem_name(taken.latest),
                   taken.detail[taken.latest], taken.child_running ? "the child is running" : restart);
    } else if (st->comp[SOC_COMBINED].seen)
        status_set(&st->status, SOURCE_FAILED, "no sample from \"%s\" for %.0f s", st->command,
                   now->mono_s - st->comp[SOC_COMBINED].last_s);
}

static void
pm_close(void *state)
{
    struct pm_state *st = state;

    if (!st)
        return;
    reader_stop(&st->reader);
    reader_fini(&st->reader);
    pm_stream_free(st->stream);
    pm_argv_free(st->argv);
    free(st->command);
    free(st);
}

/* its errors are what the timer has taken over: the thread's running count is not read unlocked */
static const struct source_status *
pm_status(const void *state)
{
    return &((const struct pm_state *)state)->status;
}

bool
powermetrics_reading(const struct pm_state *st, unsigned component, struct soc_reading *out)
{
    const struct pm_component *pc;

    if (component >= SOC_NCOMPONENTS)
        return false;
    pc = &st->comp[component];
    out->valid = st->enabled && pc->seen && st->now_s - pc->last_s <= st->stale_s;
    out->energy_j = pc->energy_j;
    out->power_w = pc->power_w;
    return true;
}

static const struct system_candidate pm_candidates[] = {
    { "powermetrics", false },      /* combined: the SoC's cpu + gpu + ane, not all the host draws */
    { NULL, false }
};

static bool
pm_system_energy(const void *state, size_t candidate, double *energy_j)
{
    struct soc_reading r;

    if (candidate != 0 || !powermetrics_reading(state, SOC_COMBINED, &r))
        return false;
    *energy_j = r.energy_j;
    return r.valid;
}

const struct source_ops powermetrics_source = {
    .name = "powermetrics",
    .candidates = pm_candidates,
    .open = pm_open,
    .sample = pm_sample,
    .close = pm_close,
    .status = pm_status,
    .system_energy = pm_system_energy,
};
