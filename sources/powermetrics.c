/*
 * powermetrics.c: the powermetrics child, the thread that reads it, and
 * the source interface. The parsing is in powermetrics_parse.c.
 *
 * Two sides share struct pm_shared under its lock: the reader thread
 * (spawns the child, reads, parses, restarts) only adds documents and
 * problems to it; sample() on the agent's timer drains it, updates the
 * counters and does all the logging. Nothing here calls PCP.
 */
#include "powermetrics.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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

#define PM_DEFAULT_COMMAND "powermetrics --samplers cpu_power,gpu_power,ane_power -f plist"
#define BACKOFF_FIRST_S 1.0
#define BACKOFF_MAX_S 60.0
#define STOP_GRACE_S 2.0
/* how often the reader looks whether the child exited while something
 * else (a grandchild) still holds its stdout open */
#define CHILD_CHECK_MS 500

#ifdef __APPLE__
#define PM_DEFAULT_ENABLED true
#else
#define PM_DEFAULT_ENABLED false
#endif

/* What the reader thread hands over to the timer. */
struct pm_handover {
    bool      stop;                      /* set by close() */
    unsigned  documents;                 /* good documents since the last drain */
    double    energy_mj[SOC_NCOMPONENTS];
    uint64_t  elapsed_ns[SOC_NCOMPONENTS];
    uint64_t  problems[PM_NPROBLEMS];    /* cumulative */
    char      detail[PM_NPROBLEMS][320];  /* the latest of each kind */
    enum pm_problem latest;              /* the latest problem since the latest good document */
    bool      child_running;
    double    restart_in_s;              /* back-off before the next start */
};

struct pm_shared {
    pthread_mutex_t    lock;
    struct pm_handover h;                /* guarded by lock */
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
    int               wake[2];          /* close() wakes the reader through this pipe */
    pthread_t         reader;
    bool              reader_started;
    struct pm_stream *stream;           /* the reader's alone */
    struct pm_shared  shared;

    /* the timer's side */
    struct pm_component comp[SOC_NCOMPONENTS];
    uint64_t          problems_seen[PM_NPROBLEMS];
    bool              told[PM_NPROBLEMS];
    double            now_s;
    char              why[512];
    enum source_state state;
};

/* ---- the reader thread ---- */

static void
report(struct pm_state *st, enum pm_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct pm_state *st, enum pm_problem kind, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&st->shared.lock);
    st->shared.h.problems[kind]++;
    st->shared.h.latest = kind;
    va_start(ap, fmt);
    vsnprintf(st->shared.h.detail[kind], sizeof(st->shared.h.detail[kind]), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&st->shared.lock);
}

static bool
stopping(struct pm_state *st)
{
    bool stop;

    pthread_mutex_lock(&st->shared.lock);
    stop = st->shared.h.stop;
    pthread_mutex_unlock(&st->shared.lock);
    return stop;
}

struct pump {
    struct pm_state *st;
    unsigned         delivered;
};

static void
on_document(void *arg, enum pm_problem problem, const struct pm_sample *sample, const char *detail)
{
    struct pump *pump = arg;
    struct pm_shared *sh = &pump->st->shared;

    if (problem != PM_OK) {
        report(pump->st, problem, "%s", detail);
        return;
    }
    pump->delivered++;
    pthread_mutex_lock(&sh->lock);
    sh->h.documents++;
    sh->h.latest = PM_OK;       /* the problems before this document are over */
    for (int c = 0; c < SOC_NCOMPONENTS; c++) {
        if (sample->has[c]) {
            sh->h.energy_mj[c] += sample->energy_mj[c];
            sh->h.elapsed_ns[c] += sample->elapsed_ns;
        }
    }
    pthread_mutex_unlock(&sh->lock);
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
spawn_child(struct pm_state *st, pid_t *pid, int *fd)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int pipefd[2], sts;
    static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM,
                                 SIGUSR1, SIGUSR2 };

    if (cloexec_pipe(pipefd, false) < 0)
        return errno;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
        sigaddset(&defaults, reset[i]);
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    /* stdin is pmcd's pipe to the agent: the child must not see it */
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
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
    if (sts != 0) {
        close(pipefd[0]);
        return sts;
    }
    *fd = pipefd[0];
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

/* Read the child's output until it ends, the child exits, or close() asks. */
static void
pump_child(struct pm_state *st, struct pump *pump, pid_t pid, int fd)
{
    char buf[64 * 1024];

    for (;;) {
        struct pollfd fds[2] = { { fd, POLLIN, 0 }, { st->wake[0], POLLIN, 0 } };
        int n = poll(fds, 2, CHILD_CHECK_MS);
        ssize_t got;

        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0) {
            if (n == 0 && (child_status(pid) != CHILD_ALIVE || stopping(st)))
                return;
            continue;
        }
        if (fds[1].revents)
            return;             /* stop: the byte stays in the pipe for every later poll */
        if ((got = read(fd, buf, sizeof(buf))) > 0)
            pm_stream_feed(st->stream, buf, (size_t)got, on_document, pump);
        else if (got == 0 || (errno != EINTR && errno != EAGAIN))
            return;
    }
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
    struct pollfd fds = { st->wake[0], POLLIN, 0 };
    double until = monotonic_seconds() + seconds;

    pthread_mutex_lock(&st->shared.lock);
    st->shared.h.restart_in_s = seconds;
    pthread_mutex_unlock(&st->shared.lock);
    for (;;) {
        double left = until - monotonic_seconds();
        if (stopping(st))
            return true;
        if (left <= 0)
            return false;
        if (poll(&fds, 1, (int)(left * 1000) + 1) > 0)
            return true;
    }
}

static void *
reader_main(void *arg)
{
    struct pm_state *st = arg;
    double backoff = BACKOFF_FIRST_S;

    while (!stopping(st)) {
        struct pump pump = { st, 0 };
        pid_t pid = -1;
        int fd = -1, err;

        if ((err = spawn_child(st, &pid, &fd)) != 0) {
            report(st, PM_SPAWN_FAILED, "cannot run \"%s\": %s", st->command, strerror(err));
        } else {
            char how[128];
            int status;

            pthread_mutex_lock(&st->shared.lock);
            st->shared.h.child_running = true;
            pthread_mutex_unlock(&st->shared.lock);
            pump_child(st, &pump, pid, fd);
            close(fd);
            status = end_child(pid);
            pthread_mutex_lock(&st->shared.lock);
            st->shared.h.child_running = false;
            pthread_mutex_unlock(&st->shared.lock);
            if (stopping(st))
                break;
            pm_stream_end(st->stream, on_document, &pump);
            describe_exit(how, sizeof(how), status);
            report(st, PM_CHILD_EXIT, "\"%s\" %s after %u good documents", st->command, how,
                   pump.delivered);
            if (pump.delivered > 0)
                backoff = BACKOFF_FIRST_S;
        }
        if (wait_or_stop(st, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
    }
    return NULL;
}

/* ---- the source ---- */

static bool
start_reader(struct pm_state *st)
{
    sigset_t all, old;
    int sts;

    if (cloexec_pipe(st->wake, true) < 0) {
        st->wake[0] = st->wake[1] = -1;
        return false;
    }
    /* signals are the agent's main loop's business, not the reader's */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    sts = pthread_create(&st->reader, NULL, reader_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    st->reader_started = sts == 0;
    return st->reader_started;
}

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
    st->wake[0] = st->wake[1] = -1;
    pthread_mutex_init(&st->shared.lock, NULL);
    st->enabled = config_bool(env->config, "powermetrics", "enabled", PM_DEFAULT_ENABLED);
    st->interval_s = config_double(env->config, "powermetrics", "interval", 1.0, 0.1, 3600.0);
    /* a sample is late after three of powermetrics's intervals and some slack for start-up */
    st->stale_s = 3 * st->interval_s + 2.0;
    command = config_string(env->config, "powermetrics", "command", PM_DEFAULT_COMMAND);
    if (!st->enabled) {
        st->state = SOURCE_DISABLED;
        snprintf(st->why, sizeof(st->why), "disabled in the config ([powermetrics] enabled = no%s)",
                 PM_DEFAULT_ENABLED ? "" : ", the default except on macOS");
        return st;
    }
    if ((st->argv = pm_split_command(command, 2, &argc)) == NULL) {
        config_bad_value(env->config, "powermetrics", "command",
                         "a program and its arguments, such as " PM_DEFAULT_COMMAND);
        st->state = SOURCE_FAILED;
        snprintf(st->why, sizeof(st->why), "[powermetrics] command is empty or has an unclosed quote");
        return st;
    }
    snprintf(ms, sizeof(ms), "%.0f", st->interval_s * 1000);
    st->argv[argc] = strdup("-i");
    st->argv[argc + 1] = strdup(ms);
    st->command = strdup(command);
    st->stream = pm_stream_new(PM_DEFAULT_MAX_DOCUMENT);
    if (!st->argv[argc] || !st->argv[argc + 1] || !st->command || !st->stream || !start_reader(st)) {
        st->state = SOURCE_FAILED;
        snprintf(st->why, sizeof(st->why), "out of memory or threads starting the reader");
        return st;
    }
    st->state = SOURCE_ABSENT;
    snprintf(st->why, sizeof(st->why), "waiting for the first sample from \"%s\"", command);
    return st;
}

/* The reader cannot log (no PCP in threads): the timer logs each kind of
 * problem the first time it appears; the rest are counted. */
static void
log_new_problems(struct pm_state *st, const uint64_t *problems, char (*detail)[320])
{
    for (int k = 1; k < PM_NPROBLEMS; k++) {
        if (problems[k] == st->problems_seen[k])
            continue;
        st->problems_seen[k] = problems[k];
        if (st->told[k])
            continue;
        st->told[k] = true;
        st->env.log(k == PM_SPAWN_FAILED ? LOG_ERR : LOG_WARNING,
                    "powermetrics: %s: %s (logged once; every one is counted in power.source.errors)%s",
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
    if (!st->reader_started)
        return;
    pthread_mutex_lock(&st->shared.lock);
    taken = st->shared.h;
    st->shared.h.documents = 0;
    memset(st->shared.h.energy_mj, 0, sizeof(st->shared.h.energy_mj));
    memset(st->shared.h.elapsed_ns, 0, sizeof(st->shared.h.elapsed_ns));
    pthread_mutex_unlock(&st->shared.lock);

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
    if (fresh) {
        st->state = SOURCE_ACTIVE;
        st->why[0] = '\0';
    } else if (taken.latest != PM_OK) {
        st->state = SOURCE_FAILED;
        snprintf(st->why, sizeof(st->why), "%s: %s; %s", pm_problem_name(taken.latest),
                 taken.detail[taken.latest],
                 taken.child_running ? "the child is running" : "");
        if (!taken.child_running) {
            size_t len = strlen(st->why);
            snprintf(st->why + len, sizeof(st->why) - len, "started again within %.0f s",
                     taken.restart_in_s);
        }
    } else if (st->comp[SOC_COMBINED].seen) {
        st->state = SOURCE_FAILED;
        snprintf(st->why, sizeof(st->why), "no sample from \"%s\" for %.0f s", st->command,
                 now->mono_s - st->comp[SOC_COMBINED].last_s);
    }
}

static void
pm_close(void *state)
{
    struct pm_state *st = state;

    if (!st)
        return;
    if (st->reader_started) {
        pthread_mutex_lock(&st->shared.lock);
        st->shared.h.stop = true;
        pthread_mutex_unlock(&st->shared.lock);
        if (write(st->wake[1], "x", 1) < 0) {
            /* cannot happen to an empty pipe; the reader also looks at the flag every poll period */
        }
        pthread_join(st->reader, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (st->wake[i] >= 0)
            close(st->wake[i]);
    pthread_mutex_destroy(&st->shared.lock);
    pm_stream_free(st->stream);
    pm_argv_free(st->argv);
    free(st->command);
    free(st);
}

static enum source_state
pm_state(void *state, const char **why)
{
    struct pm_state *st = state;

    *why = st->why;
    return st->state;
}

static uint64_t
pm_errors(void *state)
{
    struct pm_state *st = state;
    uint64_t total = 0;

    /* what the timer has taken over: the thread's running count is not read unlocked */
    for (int k = 1; k < PM_NPROBLEMS; k++)
        total += st->problems_seen[k];
    return total;
}

bool
powermetrics_reading(void *state, unsigned component, struct soc_reading *out)
{
    struct pm_state *st = state;
    const struct pm_component *pc;

    if (component >= SOC_NCOMPONENTS)
        return false;
    pc = &st->comp[component];
    out->valid = st->enabled && pc->seen && st->now_s - pc->last_s <= st->stale_s;
    out->energy_j = pc->energy_j;
    out->power_w = pc->power_w;
    return true;
}

static bool
pm_system_energy(void *state, const char *candidate, double *energy_j)
{
    struct soc_reading r;

    if (strcmp(candidate, "powermetrics") != 0 || !powermetrics_reading(state, SOC_COMBINED, &r))
        return false;
    *energy_j = r.energy_j;
    return r.valid;
}

const struct source_ops powermetrics_source = {
    .name = "powermetrics",
    .open = pm_open,
    .sample = pm_sample,
    .close = pm_close,
    .state = pm_state,
    .errors = pm_errors,
    .system_energy = pm_system_energy,
};
