/*
 * proc_scan_bench.c: what one attribution refresh costs with N processes,
 * against the naive scan and the seed's way (design.md, "Cost").
 *
 * For each N it forks idle children until there are N of them, then
 * measures, interleaved so that all share the host's conditions (it may be
 * shared, and noisy):
 *   agent     cpu_totals_read + procscan_scan + ledger_update, 512
 *             refreshes, one whole cycle of the scanner's safety nets: a
 *             listing of /proc every 64th, and the rolling start-time audit
 *             (a 1/512 slice a scan); the worst refresh is reported too
 *             (cpu basis, and utime basis)
 *   naive     opendir /proc + open/read/close of every /proc/PID/stat (16)
 *   seed      proc.psinfo.utime + proc.psinfo.stime of every process through
 *             pmcd: one pmFetch with PMAPI, values extracted (16), and a
 *             whole `pminfo -f` run (4)
 * plus the agent's memory at that size and whether its instance names
 * match the proc PMDA's. Children die with the bench (PR_SET_PDEATHSIG)
 * and are reaped before it exits.
 *
 * usage: proc_scan_bench [N ...]     (default 1000 10000)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "attribution.h"
#include "cpustat.h"
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_PCP
#include <pcp/pmapi.h>
#else
typedef unsigned int pmID;
#endif

#define REFRESHES      512  /* agent refreshes after the first two: 8 listings */
#define COMPARE_EVERY  32   /* a naive scan and a pmFetch after every 32nd refresh */
#define PMINFO_EVERY   128

/* ---- timing */

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Medians, not means: a refresh preempted on a shared host says nothing
 * about the code. */
static double
median(double *v, int n)
{
    if (n <= 0)
        return -1;
    qsort(v, (size_t)n, sizeof(*v), compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- idle children */

struct children {
    pid_t *pids;
    size_t n, cap;
};

static size_t
count_processes(void)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    if (d)
        closedir(d);
    return n;
}

static int
spawn_children(struct children *c, size_t target)
{
    while (c->n < target) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 1024;
            pid_t *grown = realloc(c->pids, cap * sizeof(pid_t));
            if (grown == NULL)
                return -ENOMEM;
            c->pids = grown;
            c->cap = cap;
        }
        pid_t pid = fork();
        if (pid < 0)
            return -errno;
        if (pid == 0) {
            /* die with the bench however it ends */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() == 1)
                _exit(0);
            for (;;)
                pause();
        }
        c->pids[c->n++] = pid;
    }
    return 0;
}

static void
reap_children(struct children *c)
{
    for (size_t i = 0; i < c->n; i++)
        kill(c->pids[i], SIGKILL);
    for (size_t i = 0; i < c->n; i++)
        waitpid(c->pids[i], NULL, 0);
    c->n = 0;
}

static long
vm_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* ---- the agent: what its timer does each interval */

struct agent {
    struct procscan  *scan;
    struct ledger    *ledger;
    struct cpu_totals prev;
    int               tick;
    size_t            processes;
    double            refresh[REFRESHES + 1], scan_ms[REFRESHES + 1], ledger_ms[REFRESHES + 1];
    double            listing[REFRESHES + 1], worst;
    int               nrefresh, nlisting;
};

static int
agent_open(struct agent *a, enum procscan_basis basis)
{
    memset(a, 0, sizeof(*a));
    a->scan = procscan_open("", basis);
    a->ledger = ledger_new(ATTRIBUTE_ACTIVE, 5);
    if (a->scan == NULL || a->ledger == NULL)
        return -1;
    return cpu_totals_read("", &a->prev);
}

/* One refresh; record: false for the first one (every process is new). */
static double
agent_refresh(struct agent *a, bool record)
{
    const struct proc_sample *s;
    struct cpu_totals cur;
    size_t n = 0;
    uint64_t listings = procscan_stats(a->scan)->full_scans;

    double t0 = now_ms();
    cpu_totals_read("", &cur);
    procscan_scan(a->scan, &s, &n);
    double t1 = now_ms();
    ledger_update(a->ledger, a->tick++, 1, 1.0, cpu_totals_busy(&cur) - cpu_totals_busy(&a->prev),
                  cpu_totals_all(&cur) - cpu_totals_all(&a->prev), s, n);
    double t2 = now_ms();
    a->prev = cur;
    a->processes = n;
    if (record) {
        if (t2 - t0 > a->worst)
            a->worst = t2 - t0;
        if (procscan_stats(a->scan)->full_scans != listings) {
            a->listing[a->nlisting++] = t2 - t0;
        } else {
            a->refresh[a->nrefresh] = t2 - t0;
            a->scan_ms[a->nrefresh] = t1 - t0;
            a->ledger_ms[a->nrefresh++] = t2 - t1;
        }
    }
    return t2 - t0;
}

static void
agent_close(struct agent *a)
{
    ledger_free(a->ledger);
    procscan_close(a->scan);
}

/* ---- the naive scan: what the agent avoids */

static double
naive_scan(size_t *processes)
{
    char path[300], buf[1024];
    volatile unsigned long long sink = 0;
    size_t n = 0;

    double t0 = now_ms();
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        /* utime and stime, fields 14 and 15, counted after the last ')' */
        char *p = strrchr(buf, ')');
        unsigned long long ut = 0, st = 0;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            sink += ut + st;
        n++;
    }
    if (d)
        closedir(d);
    *processes = n;
    return now_ms() - t0;
}

/* ---- the seed's way: through pmcd */

struct seed {
    int    ctx;
    pmID   pmids[2];
    size_t instances;
    char   why[256];
};

#ifdef HAVE_PCP
static int
seed_open(struct seed *sd)
{
    const char *names[2] = { "proc.psinfo.utime", "proc.psinfo.stime" };
    int sts;
    if ((sd->ctx = pmNewContext(PM_CONTEXT_HOST, "local:")) < 0) {
        snprintf(sd->why, sizeof(sd->why), "pmNewContext: %s", pmErrStr(sd->ctx));
        return -1;
    }
    if ((sts = pmLookupName(2, names, sd->pmids)) < 0) {
        snprintf(sd->why, sizeof(sd->why), "pmLookupName: %s", pmErrStr(sts));
        return -1;
    }
    return 0;
}

static double
seed_fetch(struct seed *sd)
{
    pmResult *res;
    volatile double sink = 0;
    int sts;

    pmUseContext(sd->ctx);
    double t0 = now_ms();
    if ((sts = pmFetch(2, sd->pmids, &res)) < 0) {
        snprintf(sd->why, sizeof(sd->why), "pmFetch: %s", pmErrStr(sts));
        return -1;
    }
    /* what a client then does with them: extract every value */
    for (int v = 0; v < res->numpmid; v++) {
        pmValueSet *vs = res->vset[v];
        for (int j = 0; j < vs->numval; j++) {
            pmAtomValue atom;
            if (pmExtractValue(vs->valfmt, &vs->vlist[j], PM_TYPE_U64, &atom, PM_TYPE_DOUBLE) >= 0)
                sink += atom.d;
        }
    }
    sd->instances = res->vset[0]->numval > 0 ? (size_t)res->vset[0]->numval : 0;
    pmFreeResult(res);
    return now_ms() - t0;
}

/* The agent's instance names against the proc PMDA's, PID by PID. */
static void
compare_names(struct seed *sd)
{
    pmDesc desc;
    int *ids = NULL, count, compared = 0, differ = 0;
    char **names = NULL;
    const struct proc_sample *s;
    size_t n;

    pmUseContext(sd->ctx);
    if (pmLookupDesc(sd->pmids[0], &desc) < 0 || (count = pmGetInDom(desc.indom, &ids, &names)) < 0) {
        printf("instance names: proc PMDA's unavailable\n");
        return;
    }
    struct procscan *ps = procscan_open("", PROCSCAN_CPU);
    if (ps && procscan_scan(ps, &s, &n) == 0) {
        for (int i = 0; i < count; i++) {
            for (size_t lo = 0, hi = n; lo < hi;) {     /* the snapshot is sorted by PID */
                size_t mid = (lo + hi) / 2;
                if (s[mid].pid < ids[i]) {
                    lo = mid + 1;
                } else if (s[mid].pid > ids[i]) {
                    hi = mid;
                } else {
                    compared++;
                    if (strcmp(s[mid].name, names[i]) != 0 && differ++ < 3)
                        printf("  names differ: agent \"%s\", proc PMDA \"%s\"\n", s[mid].name, names[i]);
                    break;
                }
            }
        }
        printf("instance names: %d of %d PIDs compared with the proc PMDA's, %d differ"
               " (both keep the name first seen: kworkers rename, processes exec)\n", compared, count, differ);
    }
    procscan_close(ps);
    free(ids);
    free(names);
}
#else
static int
seed_open(struct seed *sd)
{
    snprintf(sd->why, sizeof(sd->why), "built without libpcp");
    return -1;
}

static double
seed_fetch(struct seed *sd)
{
    (void)sd;
    return -1;
}
#endif

/* Wall time of a whole `pminfo -f` run, output discarded. */
static double
pminfo_run(void)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("pminfo", "pminfo", "-f", "proc.psinfo.utime", "proc.psinfo.stime", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return now_ms() - t0;
}

/* The mean cost over one cycle of the safety nets, by class medians. */
static double
amortise(struct agent *a)
{
    double plain = median(a->refresh, a->nrefresh), listing = median(a->listing, a->nlisting);
    if (listing < 0)
        listing = plain;
    return (504 * plain + 8 * listing) / 512;
}

/* ---- one size */

static const char *
verdict(bool ok)
{
    return ok ? "PASS" : "FAIL";
}

static void
run_size(size_t target, struct children *kids)
{
    struct agent *cpu = malloc(sizeof(*cpu)), *utime = malloc(sizeof(*utime));
    struct seed sd = { .ctx = -1 };
    double naive[REFRESHES / COMPARE_EVERY], seed[REFRESHES / COMPARE_EVERY], pminfo[REFRESHES / PMINFO_EVERY];
    int nnaive = 0, nseed = 0, npminfo = 0;
    size_t naive_n = 0;

    if (cpu == NULL || utime == NULL || spawn_children(kids, target) < 0) {
        printf("could not fork %zu children: %s\n", target, strerror(errno));
        return;
    }
    usleep(200000);     /* let the last children reach pause() */
    printf("\n== %zu idle children, %zu processes on the host ==\n", kids->n, count_processes());

    /* the agent's memory: its tables at full size, before anything else allocates */
    malloc_trim(0);
    size_t heap0 = mallinfo2().uordblks;
    long rss0 = vm_rss_kb();
    if (agent_open(cpu, PROCSCAN_CPU) < 0) {
        printf("agent: cannot open\n");
        return;
    }
    double first = agent_refresh(cpu, false);
    agent_refresh(cpu, false);
    double heap_mib = (double)(mallinfo2().uordblks - heap0) / 1048576.0;
    double rss_mib = (double)(vm_rss_kb() - rss0) / 1024.0;
    double accounted_mib = (double)(procscan_memory(cpu->scan) + ledger_memory(cpu->ledger)) / 1048576.0;

    agent_open(utime, PROCSCAN_UTIME);
    agent_refresh(utime, false);
    bool have_seed = seed_open(&sd) == 0;

    for (int i = 1; i <= REFRESHES; i++) {
        agent_refresh(cpu, true);
        agent_refresh(utime, true);
        if (i % COMPARE_EVERY == 0) {
            naive[nnaive++] = naive_scan(&naive_n);
            double t = have_seed ? seed_fetch(&sd) : -1;
            if (t >= 0)
                seed[nseed++] = t;
        }
        if (i % PMINFO_EVERY == 0) {
            double t = pminfo_run();
            if (t >= 0)
                pminfo[npminfo++] = t;
        }
    }

    double refresh = median(cpu->refresh, cpu->nrefresh), listing = median(cpu->listing, cpu->nlisting);
    double amortised = amortise(cpu);
    double naive_ms = median(naive, nnaive), seed_ms = median(seed, nseed), pminfo_ms = median(pminfo, npminfo);
    double utime_amortised = amortise(utime);

    printf("agent refresh            %8.2f ms  median of %d [scan %.2f + ledger %.3f]; %zu processes\n",
           refresh, cpu->nrefresh, median(cpu->scan_ms, cpu->nrefresh), median(cpu->ledger_ms, cpu->nrefresh),
           cpu->processes);
    printf("agent listing refresh    %8.2f ms  median of %d; every 64th lists /proc\n", listing, cpu->nlisting);
    printf("agent worst refresh      %8.2f ms  of the 512 (the start-time audit rolls: no scan checks them all)\n",
           cpu->worst);
    printf("agent amortised          %8.2f ms  (504 plain + 8 listing) / 512; the very first refresh %.1f ms\n",
           amortised, first);
    printf("agent, utime basis       %8.2f ms  amortised\n", utime_amortised);
    printf("naive open/read/close    %8.2f ms  median of %d; %zu processes\n", naive_ms, nnaive, naive_n);
    if (nseed > 0)
        printf("seed: pmFetch via pmcd   %8.2f ms  median of %d; %zu instances of proc.psinfo.utime + .stime\n",
               seed_ms, nseed, sd.instances);
    else
        printf("seed: pmFetch via pmcd   unavailable (%s)\n", sd.why);
    if (npminfo > 0)
        printf("seed: pminfo -f run      %8.2f ms  median of %d; whole command, startup included\n", pminfo_ms,
               npminfo);
    printf("agent memory: heap %.2f MiB (mallinfo2 delta), VmRSS delta %.2f MiB, self-accounted %.2f MiB;"
           " 3 fds whatever the process count\n", heap_mib, rss_mib, accounted_mib);
#ifdef HAVE_PCP
    if (have_seed)
        compare_names(&sd);
#endif
    printf("ratio agent/naive        %8.3f  amortised (refresh alone %.3f)\n", amortised / naive_ms,
           refresh / naive_ms);
    if (nseed > 0)
        printf("ratio seed/agent         %8.1f  pmFetch, amortised (refresh alone %.1f)\n", seed_ms / amortised,
               seed_ms / refresh);
    if (npminfo > 0)
        printf("ratio seed/agent         %8.1f  pminfo run, amortised\n", pminfo_ms / amortised);
    if (target >= 10000) {
        printf("target refresh <= 0.6x naive       %s (%.3f)\n", verdict(amortised <= 0.6 * naive_ms),
               amortised / naive_ms);
        if (nseed > 0)
            printf("target >= 10x cheaper than seed    %s (%.1fx, a bare pmFetch, no script)\n",
                   verdict(seed_ms >= 10 * amortised), seed_ms / amortised);
        double rss = rss_mib > heap_mib ? rss_mib : heap_mib;
        printf("target agent RSS < 16 MiB          %s (%.2f MiB)\n", verdict(rss < 16), rss);
    }
    fflush(stdout);

#ifdef HAVE_PCP
    if (sd.ctx >= 0)
        pmDestroyContext(sd.ctx);
#endif
    agent_close(cpu);
    agent_close(utime);
    free(cpu);
    free(utime);
}

int
main(int argc, char **argv)
{
    size_t sizes[16], nsizes = 0;
    struct children kids = { 0 };

    for (int i = 1; i < argc && nsizes < 16; i++)
        sizes[nsizes++] = (size_t)strtoul(argv[i], NULL, 10);
    if (nsizes == 0) {
        sizes[nsizes++] = 1000;
        sizes[nsizes++] = 10000;
    }
    printf("proc_scan_bench: %ld CPUs, load ", sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
    if (system("cut -d' ' -f1-3 /proc/loadavg") != 0)
        printf("\n");

    for (size_t i = 0; i < nsizes; i++)
        run_size(sizes[i], &kids);
    reap_children(&kids);
    free(kids.pids);
    printf("\nchildren reaped; %zu processes left on the host\n", count_processes());
    return 0;
}
