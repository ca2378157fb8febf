/*
 * measure.c: pmpower measure: the energy of one command, over trials.
 *
 * Each trial starts right after a fresh agent sample and ends at the first
 * sample after the command's last run, so its energy is an exact counter
 * delta over whole agent intervals. An idle baseline (mean power over
 * --baseline seconds before the trials) times the trial's length is
 * subtracted to give the command's own (net) energy. The command's own
 * processes are found by their parent chain (pmpower is their subreaper,
 * so orphans stay findable) and their power.proc.energy summed.
 */
#include "pmpower.h"
#include "json.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct trial {
    double gross_j, net_j, window_s, command_s, power_w;
    double proc_j;          /* NAN when power.proc is absent */
    int    runs;
};

/* the command's processes seen in power.proc: pid and latest counter */
struct own_proc {
    int    pid;
    double energy;
};

struct measure {
    struct pp_ctx    *ctx;
    struct pp_metric *m;
    char            **argv;
    double            interval;
    struct own_proc  *own;
    size_t            nown, own_cap;
    int              *foreign;       /* pids known not to be ours */
    size_t            nforeign, foreign_cap;
};

static void
measure_usage(FILE *fp)
{
    fprintf(fp,
        "Usage: %s measure [-h HOST] [--trials N] [--min-trial-time S] [--cv X] [--baseline S] [--json]\n"
        "                  -- COMMAND [ARG...]\n"
        "Runs COMMAND in trials and reports the medians of its energy, time and power\n"
        "from power.system.energy deltas at agent sample boundaries.\n"
        "  --trials N          at most N trials [5]\n"
        "  --min-trial-time S  repeat the command within a trial until S seconds passed [1]\n"
        "  --cv X              stop once the energies' coefficient of variation is below X\n"
        "                      (after 3 trials or more)\n"
        "  --baseline S        measure idle power for S seconds first and subtract it [0: none]\n"
        "  --json              JSON instead of a summary\n", pp_progname);
}

static double
mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* parent pid of pid from /proc (0 when gone) */
static int
parent_of(int pid)
{
    char path[64], buf[512], *paren;
    int fd, ppid = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) state ppid": comm may hold spaces and parentheses */
    if ((paren = strrchr(buf, ')')) == NULL || sscanf(paren + 1, " %*c %d", &ppid) != 1)
        return 0;
    return ppid;
}

static bool
is_ours(struct measure *ms, int pid)
{
    int self = getpid(), p = pid;

    if (pid == self)
        return false;
    for (size_t i = 0; i < ms->nown; i++)
        if (ms->own[i].pid == pid)
            return true;
    for (size_t i = 0; i < ms->nforeign; i++)
        if (ms->foreign[i] == pid)
            return false;
    for (int depth = 0; depth < 64 && p > 1; depth++) {
        p = parent_of(p);
        if (p == self)
            return true;
    }
    if (ms->nforeign == ms->foreign_cap) {
        size_t cap = ms->foreign_cap ? ms->foreign_cap * 2 : 256;
        int *grown = realloc(ms->foreign, cap * sizeof(int));
        if (!grown)
            return false;
        ms->foreign = grown;
        ms->foreign_cap = cap;
    }
    ms->foreign[ms->nforeign++] = pid;
    return false;
}

/* Fetch power.proc.energy and keep the latest counter of each of our processes. */
static void
track_processes(struct measure *ms)
{
    pmHighResResult *r;
    pmValueSet *vs;

    if (!ms->m[S_PROC].ok || pp_fetch(&ms->m[S_PROC], 1, &r) < 0)
        return;
    vs = r->numpmid > 0 ? r->vset[0] : NULL;
    for (int j = 0; vs && j < vs->numval; j++) {
        int pid = vs->vlist[j].inst;
        double v;
        bool found = false;
        if (pp_double(vs, &ms->m[S_PROC].desc, j, &v) <= 0 || !is_ours(ms, pid))
            continue;
        for (size_t i = 0; i < ms->nown; i++)
            if (ms->own[i].pid == pid) {
                if (v > ms->own[i].energy)
                    ms->own[i].energy = v;
                found = true;
            }
        if (!found) {
            if (ms->nown == ms->own_cap) {
                size_t cap = ms->own_cap ? ms->own_cap * 2 : 64;
                struct own_proc *grown = realloc(ms->own, cap * sizeof(*grown));
                if (!grown)
                    continue;
                ms->own = grown;
                ms->own_cap = cap;
            }
            ms->own[ms->nown].pid = pid;
            ms->own[ms->nown].energy = v;
            ms->nown++;
        }
    }
    pmFreeHighResResult(r);
}

static double
own_energy(const struct measure *ms)
{
    double sum = 0;

    for (size_t i = 0; i < ms->nown; i++)
        sum += ms->own[i].energy;
    return sum;
}

/* Fork and exec; the exec's errno comes back through a close-on-exec pipe. */
static pid_t
start_command(char **argv)
{
    int fds[2], err = 0;
    pid_t pid;
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execvp(argv[0], argv);
        err = errno;
        if (write(fds[1], &err, sizeof(err)) < 0)
            _exit(127);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], &err, sizeof(err))) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    if (n == (ssize_t)sizeof(err)) {
        waitpid(pid, NULL, 0);
        errno = err;
        return -2;
    }
    return pid;
}

/* Run the command once and leave it unreaped (*zombie), so the agent can
 * still see its last interval; the caller reaps it. Returns the wait
 * status, or -1 when it could not start (message printed). */
static int
run_once(struct measure *ms, double *elapsed, pid_t *zombie)
{
    double t0 = mono(), next_track = t0 + ms->interval;
    pid_t pid = start_command(ms->argv);
    siginfo_t info;
    int status = 0;

    *zombie = 0;
    if (pid < 0) {
        fprintf(stderr, "%s: cannot run \"%s\": %s: check the command name and PATH\n",
                pp_progname, ms->argv[0], strerror(errno));
        return -1;
    }
    for (;;) {
        memset(&info, 0, sizeof(info));
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
            break;
        if (ms->m[S_PROC].ok && mono() >= next_track) {
            track_processes(ms);
            next_track += ms->interval;
        }
        {
            struct timespec ts = { 0, 2000000 };     /* 2 ms: the end of a run is known that closely */
            nanosleep(&ts, NULL);
        }
    }
    *elapsed = mono() - t0;
    *zombie = pid;
    /* as a wait status, for WIFEXITED and friends */
    status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : (info.si_status & 0x7f);
    return status;
}

static void
describe_status(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "ended with wait status %d", status);
}

static int
read_system(struct measure *ms, double *energy)
{
    pmHighResResult *r;
    bool ok;

    if (pp_fetch(&ms->m[S_SYSTEM], 1, &r) < 0)
        return -1;
    ok = pp_get_double(r, &ms->m[S_SYSTEM], 1, 0, PP_IN_NULL, energy);
    pmFreeHighResResult(r);
    return ok ? 0 : -1;
}

/* a boundary: the next fresh agent sample, then the counter */
static int
boundary(struct measure *ms, double *t, double *energy)
{
    double seen = pp_wait_sample(ms->ctx, &ms->interval, 10 * ms->interval + 5);

    if (read_system(ms, energy) < 0) {
        fprintf(stderr, "%s: power.system.energy has no value on %s: is a source active? "
                "(pminfo -f power.source.state)\n", pp_progname, ms->ctx->source);
        return -1;
    }
    *t = seen > 0 ? seen : pp_now();
    return 0;
}

static bool
on_path(const char *cmd)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];

    if (strchr(cmd, '/'))
        return access(cmd, X_OK) == 0;
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", cmd);
        if (access(buf, X_OK) == 0)
            return true;
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

/* The medians over the trials, as both reports print them. */
struct trial_medians {
    double gross_j, net_j, net_per_run_j, command_s, power_w, proc_j;
};

static struct trial_medians
trial_medians(const struct trial *tr, int n)
{
    double g[n], e[n], per_run[n], c[n], p[n], pj[n];

    for (int i = 0; i < n; i++) {
        g[i] = tr[i].gross_j;
        e[i] = tr[i].net_j;
        per_run[i] = tr[i].net_j / tr[i].runs;
        c[i] = tr[i].command_s;
        p[i] = tr[i].power_w;
        pj[i] = tr[i].proc_j;
    }
    return (struct trial_medians){ stats_median(g, (size_t)n), stats_median(e, (size_t)n),
                                   stats_median(per_run, (size_t)n), stats_median(c, (size_t)n),
                                   stats_median(p, (size_t)n), stats_median(pj, (size_t)n) };
}

static void
print_summary(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
              double cv, bool early, double cv_goal)
{
    struct trial_medians med = trial_medians(tr, n);
    bool have_proc = ms->m[S_PROC].ok;

    printf("command   ");
    for (char **a = ms->argv; *a; a++)
        printf("%s%s", *a, a[1] ? " " : "\n");
    printf("host      %s (power.system from the agent, interval %g s)\n", ms->ctx->source, ms->interval);
    if (baseline_s > 0)
        printf("baseline  %.3f W idle, measured over %.3f s before the trials\n", baseline_w, baseline_s);
    else
        printf("baseline  none (--baseline S to subtract idle power)\n");
    printf("\n%5s %5s %10s %10s %12s %12s %10s %12s\n", "trial", "runs", "time s", "window s",
           "energy J", baseline_s > 0 ? "net J" : "(net J)", "mean W", "process J");
    for (int i = 0; i < n; i++) {
        printf("%5d %5d %10.3f %10.3f %12.3f %12.3f %10.3f ", i + 1, tr[i].runs, tr[i].command_s,
               tr[i].window_s, tr[i].gross_j, tr[i].net_j, tr[i].power_w);
        if (have_proc)
            printf("%12.3f\n", tr[i].proc_j);
        else
            printf("%12s\n", "-");
    }
    printf("\nmedian    energy %.3f J (net %.3f J, %.3f J per run), time %.3f s, power %.3f W\n",
           med.gross_j, med.net_j, med.net_per_run_j, med.command_s, med.power_w);
    printf("spread    coefficient of variation of the %s energy %.4f over %d trials%s\n",
           baseline_s > 0 ? "net" : "", cv, n,
           early ? " (stopped early: below --cv)" : cv_goal > 0 ? " (--cv not reached)" : "");
    if (have_proc)
        printf("processes the command's own processes: median %.3f J (power.proc.energy, sampled every %g s:\n"
               "          the last partial interval of processes that exit early is in power.proc.unattributed)\n",
               med.proc_j, ms->interval);
    else
        printf("processes not available: no power.proc.energy on this host (the agent's attribution)\n");
}

static void
print_json(struct measure *ms, const struct trial *tr, int n, double baseline_w, double baseline_s,
           double cv, bool early, int status_failed)
{
    struct trial_medians med = trial_medians(tr, n);

    printf("{\"command\":[");
    for (char **a = ms->argv; *a; a++) {
        json_string(stdout, *a);
        if (a[1])
            putchar(',');
    }
    printf("],");
    json_key(stdout, "host");
    json_string(stdout, ms->ctx->source);
    printf(",\"interval_s\":");
    json_number(stdout, ms->interval);
    printf(",\"baseline\":");
    if (baseline_s > 0) {
        printf("{\"seconds\":");
        json_number(stdout, baseline_s);
        printf(",\"power_w\":");
        json_number(stdout, baseline_w);
        printf("}");
    } else
        printf("null");
    printf(",\"trials\":[");
    for (int i = 0; i < n; i++) {
        printf("%s{\"runs\":%d,\"time_s\":", i ? "," : "", tr[i].runs);
        json_number(stdout, tr[i].command_s);
        printf(",\"window_s\":");
        json_number(stdout, tr[i].window_s);
        printf(",\"energy_j\":");
        json_number(stdout, tr[i].gross_j);
        printf(",\"net_energy_j\":");
        json_number(stdout, tr[i].net_j);
        printf(",\"power_w\":");
        json_number(stdout, tr[i].power_w);
        printf(",\"process_energy_j\":");
        json_number(stdout, tr[i].proc_j);
        printf("}");
    }
    printf("],\"median\":{\"energy_j\":");
    json_number(stdout, med.gross_j);
    printf(",\"net_energy_j\":");
    json_number(stdout, med.net_j);
    printf(",\"net_energy_per_run_j\":");
    json_number(stdout, med.net_per_run_j);
    printf(",\"time_s\":");
    json_number(stdout, med.command_s);
    printf(",\"power_w\":");
    json_number(stdout, med.power_w);
    printf(",\"process_energy_j\":");
    json_number(stdout, ms->m[S_PROC].ok ? med.proc_j : NAN);
    printf("},\"cv\":");
    json_number(stdout, cv);
    printf(",\"stopped_early\":%s,\"process_energy\":", early ? "true" : "false");
    json_string(stdout, ms->m[S_PROC].ok ? "power.proc.energy of the command's process tree"
                                         : "not available: no power.proc.energy on this host");
    printf(",\"failed\":%s}\n", status_failed ? "true" : "false");
}

int
cmd_measure(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'h' },
        { "archive", required_argument, NULL, 'a' },
        { "trials", required_argument, NULL, 'n' },
        { "min-trial-time", required_argument, NULL, 'm' },
        { "cv", required_argument, NULL, 'c' },
        { "baseline", required_argument, NULL, 'b' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL;
    int trials = 5, c, n = 0, sts = 0;
    double min_time = 1.0, cv_goal = 0, baseline_s = 0, baseline_w = 0, cv = NAN;
    bool json = false, early = false;
    char *endp;
    struct pp_ctx ctx;
    struct pp_metric m[S_COUNT];
    struct measure ms;
    struct trial *tr;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+h:a:j?", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': host = optarg; break;
        case 'a':
            fprintf(stderr, "%s: measure runs a command now: it needs a live host (-h), not an archive\n",
                    pp_progname);
            return 2;
        case 'j': json = true; break;
        case 'n':
            trials = (int)strtol(optarg, &endp, 10);
            if (*endp || trials < 1 || trials > 10000) {
                fprintf(stderr, "%s: --trials takes a count (1 to 10000), not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        case 'm':
            if (pp_parse_interval(optarg, "--min-trial-time", &min_time) < 0)
                return 2;
            break;
        case 'b':
            if (pp_parse_interval(optarg, "--baseline", &baseline_s) < 0)
                return 2;
            break;
        case 'c':
            cv_goal = strtod(optarg, &endp);
            if (*endp || !(cv_goal > 0 && cv_goal < 10)) {
                fprintf(stderr, "%s: --cv takes a fraction such as 0.02, not \"%s\"\n", pp_progname, optarg);
                return 2;
            }
            break;
        default:
            measure_usage(c == '?' && optopt == 0 ? stdout : stderr);
            return c == '?' && optopt == 0 ? 0 : 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: measure needs a command: pmpower measure [options] -- COMMAND [ARG...]\n",
                pp_progname);
        return 2;
    }
    if (!on_path(argv[optind])) {
        fprintf(stderr, "%s: cannot run \"%s\": no such executable (check the name and PATH)\n",
                pp_progname, argv[optind]);
        return 1;
    }
    if (pp_open(&ctx, host, NULL) < 0)
        return 1;
    pp_series_init(m);
    pp_lookup(m, S_COUNT);
    if (!m[S_SYSTEM].ok) {
        fprintf(stderr, "%s: host \"%s\" has no power metrics (power.system.energy): install the agent "
                "(cd $PCP_PMDAS_DIR/power && ./Install)\n", pp_progname, ctx.source);
        pp_close(&ctx);
        return 1;
    }
    memset(&ms, 0, sizeof(ms));
    ms.ctx = &ctx;
    ms.m = m;
    ms.argv = argv + optind;
    ms.interval = 1.0;
    if ((tr = calloc((size_t)trials, sizeof(*tr))) == NULL) {
        pp_close(&ctx);
        return 1;
    }
    /* orphans of the command reparent to us, so its whole tree stays findable */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pp_catch_signals();

    if (baseline_s > 0) {
        double t0, e0, t1, e1;
        if (boundary(&ms, &t0, &e0) < 0)
            goto fail;
        if (!json)
            fprintf(stderr, "%s: measuring idle power for %g s\n", pp_progname, baseline_s);
        pp_sleep_until(pp_now() + baseline_s);
        if (boundary(&ms, &t1, &e1) < 0)
            goto fail;
        baseline_s = t1 - t0;
        baseline_w = baseline_s > 0 ? (e1 - e0) / baseline_s : 0;
    }

    while (n < trials && !pp_stop) {
        double t0, e0, t1, e1, elapsed, started;
        pid_t zombie = 0;
        int status = 0;
        struct trial *t = &tr[n];

        ms.nown = 0;
        if (boundary(&ms, &t0, &e0) < 0)
            goto fail;
        started = mono();
        t->runs = 0;
        t->command_s = 0;
        do {
            /* each run stays a zombie until the next starts: the run that
             * ends the trial is still visible to the agent at the end sample */
            if (zombie)
                waitpid(zombie, NULL, 0);
            status = run_once(&ms, &elapsed, &zombie);
            if (status < 0)
                goto fail;
            t->runs++;
            t->command_s += elapsed;
            if (status != 0)
                break;
        } while (mono() - started < min_time && !pp_stop);
        if (boundary(&ms, &t1, &e1) < 0)
            goto fail;
        if (ms.m[S_PROC].ok)
            track_processes(&ms);
        if (zombie)
            waitpid(zombie, NULL, 0);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;   /* orphans handed to us */
        if (status != 0) {
            char why[128];
            describe_status(status, why, sizeof(why));
            fprintf(stderr, "%s: the command %s in trial %d, run %d: the measurement failed\n",
                    pp_progname, why, n + 1, t->runs);
            n++;
            t->window_s = t1 - t0;
            t->gross_j = e1 - e0;
            t->net_j = t->gross_j - baseline_w * t->window_s;
            t->power_w = t->window_s > 0 ? t->gross_j / t->window_s : NAN;
            t->proc_j = m[S_PROC].ok ? own_energy(&ms) : NAN;
            if (json)
                print_json(&ms, tr, n, baseline_w, baseline_s, NAN, false, 1);
            sts = 1;
            goto out;
        }
        t->window_s = t1 - t0;
        t->gross_j = e1 - e0;
        t->net_j = t->gross_j - baseline_w * t->window_s;
        t->power_w = t->window_s > 0 ? t->gross_j / t->window_s : NAN;
        t->proc_j = m[S_PROC].ok ? own_energy(&ms) : NAN;
        n++;
        {
            double e[n];
            for (int i = 0; i < n; i++)
                e[i] = tr[i].net_j;
            cv = stats_cv(e, (size_t)n);
        }
        if (!json)
            fprintf(stderr, "%s: trial %d: %.3f J in %.3f s (%d run%s)\n", pp_progname, n,
                    t->net_j, t->window_s, t->runs, t->runs == 1 ? "" : "s");
        if (cv_goal > 0 && n >= 3 && cv < cv_goal) {
            early = true;
            break;
        }
    }
    if (n == 0) {
        fprintf(stderr, "%s: interrupted before the first trial ended\n", pp_progname);
        sts = 1;
        goto out;
    }
    if (pp_stop)
        fprintf(stderr, "%s: interrupted: reporting %d trial%s\n", pp_progname, n, n == 1 ? "" : "s");
    if (json)
        print_json(&ms, tr, n, baseline_w, baseline_s, cv, early, 0);
    else
        print_summary(&ms, tr, n, baseline_w, baseline_s, cv, early, cv_goal);
    goto out;
fail:
    sts = 1;
out:
    free(tr);
    free(ms.own);
    free(ms.foreign);
    pp_close(&ctx);
    return sts;
}
