/*
 * test_procscan.c: the /proc reader over a fake ROOT (odd comms, kernel
 * threads, vanished and reused PIDs, range discovery driven by a fake PID
 * cursor, its wrap and its safety nets) and over the live /proc (this test
 * finds itself with all its threads' CPU time, its child, not its thread,
 * without listing /proc each scan, and a PID reused on purpose).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "procscan.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char fake_root[PATH_MAX];

static void
put_file(const char *rel, const char *text, size_t len)
{
    char path[PATH_MAX * 2], *slash;
    snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
    for (slash = strchr(path + strlen(fake_root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        perror(path);
        exit(2);
    }
    close(fd);
}

static void
put_text(const char *rel, const char *text)
{
    put_file(rel, text, strlen(text));
}

/* A realistic /proc/PID/stat line (field numbers as in proc(5)). */
static void
put_stat(int pid, const char *comm, uint64_t utime, uint64_t stime, uint64_t start)
{
    char rel[64], text[1024];
    snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
    snprintf(text, sizeof(text),
             "%d (%s) S 1 %d %d 0 -1 4194560 1000 0 2 0 %" PRIu64 " %" PRIu64 " 0 0 20 0 1 0 %" PRIu64
             " 12345678 300 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 1 0 0 0 0 0"
             " 0 0 0 0 0 0 0 0\n",
             pid, comm, pid, pid, utime, stime, start);
    put_text(rel, text);
}

/* The fake kernel's PID cursor and fork count. */
static void
put_cursor(int last_pid, uint64_t forks)
{
    char text[256];
    snprintf(text, sizeof(text), "0.00 0.01 0.05 1/120 %d\n", last_pid);
    put_text("proc/loadavg", text);
    snprintf(text, sizeof(text),
             "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 12345 1 2 3\nctxt 999\n"
             "btime 1700000000\nprocesses %" PRIu64 "\nprocs_running 1\nprocs_blocked 0\n", forks);
    put_text("proc/stat", text);
}

static void
remove_process(int pid)
{
    static const char *files[] = { "stat", "schedstat", "cmdline", "cgroup" };
    char path[PATH_MAX * 2];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/proc/%d/%s", fake_root, pid, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/proc/%d", fake_root, pid);
    rmdir(path);
}

static const struct proc_sample *
find(const struct proc_sample *s, size_t n, int32_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].pid == pid)
            return &s[i];
    return NULL;
}

static bool
ascending(const struct proc_sample *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i - 1].pid >= s[i].pid)
            return false;
    return true;
}

static void
build_fake_root(void)
{
    char longcmd[1001], self[PATH_MAX * 2];

    snprintf(fake_root, sizeof(fake_root), "/tmp/test_procscan.XXXXXX");
    if (mkdtemp(fake_root) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    put_text("proc/sys/kernel/pid_max", "32768\n");
    put_cursor(900, 5000);
    /* init: a command line with arguments, a cgroup among v1 lines */
    put_stat(1, "systemd", 50, 30, 2);
    put_file("proc/1/cmdline", "/sbin/init\0splash\0", 18);
    put_text("proc/1/cgroup", "12:pids:/init.scope\n1:name=systemd:/init.scope\n0::/init.scope\n");
    /* a kernel thread: empty cmdline, no cgroup file */
    put_stat(2, "kthreadd", 0, 7, 3);
    put_text("proc/2/cmdline", "");
    /* a comm with spaces and parentheses: fields count from the last ')' */
    put_stat(300, "my prog) (x", 120, 80, 500);
    put_file("proc/300/cmdline", "./my\0prog\0--flag\0", 17);
    put_text("proc/300/cgroup", "0::/user.slice/user-1000.slice/session-2.scope\n");
    put_stat(301, "my prog) (x", 0, 0, 501);            /* kernel thread, spaced comm */
    put_stat(302, "sshd", 1, 1, 502);
    put_text("proc/302/cmdline", "sshd: root@pts/0");   /* argv rewritten as one string */
    put_stat(303, "sleep", 1, 1, 503);
    put_file("proc/303/cmdline", "\0" "100\0", 5);      /* exec -a "" */
    /* schedstat is there but must not be used: it counts the main thread only */
    put_stat(400, "worker", 10, 5, 600);
    put_text("proc/400/schedstat", "123456789 1000 5\n");
    memset(longcmd, 'a', 1000);
    longcmd[1000] = '\0';
    put_text("proc/400/cmdline", longcmd);
    put_text("proc/400/cgroup", "0::/system.slice/w.service\n");
    /* not processes */
    put_text("proc/12x/stat", "12 (no) S\n");
    put_text("proc/77", "a file where a directory should be\n");
    snprintf(self, sizeof(self), "%s/proc/self", fake_root);
    if (symlink("300", self) != 0)
        perror("symlink");
    /* unparsable stat: counted as an error, left out */
    put_text("proc/500/stat", "garbage\n");
}

static void
test_fake_root_first_scan(uint64_t tick)
{
    struct procscan *scan = procscan_open(fake_root, PROCSCAN_CPU);
    const struct proc_sample *s;
    size_t n;

    CHECK(scan != NULL, "procscan_open on a fake ROOT");
    if (scan == NULL)
        return;
    CHECK(!procscan_stats(scan)->process_clocks, "a fake ROOT reads stat files, not this host's process clocks");
    CHECK(procscan_scan(scan, &s, &n) == 0, "first scan of the fake ROOT succeeds");
    CHECK(n == 7, "seven processes in the fake ROOT (got %zu)", n);
    CHECK(ascending(s, n), "snapshot in ascending PID order");

    const struct proc_sample *p = find(s, n, 1);
    CHECK(p && p->cpu_ns == 80 * tick, "cpu_ns = (utime + stime) ticks in ns (%" PRIu64 ")", p ? p->cpu_ns : 0);
    CHECK(p && p->start_ticks == 2, "start_ticks from field 22");
    CHECK_STR(p ? p->name : NULL, "000001 /sbin/init", "name is %06d + the command line's first word, as the proc PMDA's");
    CHECK_STR(p ? p->cgroup : NULL, "/init.scope", "cgroup from the 0:: line");
    p = find(s, n, 2);
    CHECK_STR(p ? p->name : NULL, "000002 (kthreadd)", "a kernel thread is named (comm)");
    CHECK_STR(p ? p->cgroup : NULL, "/", "no cgroup file: /");
    p = find(s, n, 300);
    CHECK(p && p->cpu_ns == 200 * tick && p->start_ticks == 500,
          "comm with spaces and ')': utime, stime, start parsed after the last ')' (%" PRIu64 ", %" PRIu64 ")",
          p ? p->cpu_ns : 0, p ? p->start_ticks : 0);
    CHECK_STR(p ? p->name : NULL, "000300 ./my", "name stops at the first NUL");
    CHECK_STR(p ? p->cgroup : NULL, "/user.slice/user-1000.slice/session-2.scope", "cgroup v2 path");
    p = find(s, n, 301);
    CHECK_STR(p ? p->name : NULL, "000301 (my", "an empty cmdline gives (comm), cut at a space as the proc PMDA does");
    p = find(s, n, 302);
    CHECK_STR(p ? p->name : NULL, "000302 sshd:", "an argv rewritten as one string stops at its first space");
    p = find(s, n, 303);
    CHECK_STR(p ? p->name : NULL, "000303 ", "an empty argv[0] gives an empty word, as the proc PMDA does");
    p = find(s, n, 400);
    CHECK(p && p->cpu_ns == 15 * tick, "schedstat (main thread only) is ignored (%" PRIu64 ")", p ? p->cpu_ns : 0);
    CHECK(p && strlen(p->name) == 7 + 1000, "a long first word is kept whole (%zu bytes)", p ? strlen(p->name) : 0);
    CHECK(find(s, n, 77) == NULL && find(s, n, 500) == NULL, "non-process entries left out");
    CHECK(procscan_stats(scan)->errors == 1, "the unparsable stat counts one error (%" PRIu64 ")",
          procscan_stats(scan)->errors);
    CHECK(procscan_stats(scan)->full_scans == 1, "the first scan lists ROOT/proc");
    CHECK(procscan_memory(scan) > 0, "memory accounted");
    procscan_close(scan);

    scan = procscan_open(fake_root, PROCSCAN_UTIME);
    procscan_scan(scan, &s, &n);
    p = find(s, n, 300);
    CHECK(p && p->cpu_ns == 120 * tick, "utime basis: utime only (%" PRIu64 ")", p ? p->cpu_ns : 0);
    procscan_close(scan);
}

static void
test_fake_root_range_discovery(uint64_t tick)
{
    struct procscan *scan = procscan_open(fake_root, PROCSCAN_CPU);
    const struct procscan_stats *st = procscan_stats(scan);
    const struct proc_sample *s, *p;
    size_t n;

    procscan_scan(scan, &s, &n);

    /* no forks: no listing, no probes, counters still fresh, exits seen */
    put_stat(300, "my prog) (x", 150, 80, 500);
    remove_process(2);
    procscan_scan(scan, &s, &n);
    CHECK(st->full_scans == 1 && st->probes == 0, "no forks: ROOT/proc not listed, nothing probed (%" PRIu64
          " listings, %" PRIu64 " probes)", st->full_scans, st->probes);
    p = find(s, n, 300);
    CHECK(p && p->cpu_ns == 230 * tick, "a known process is re-read without a listing (%" PRIu64 ")",
          p ? p->cpu_ns : 0);
    CHECK(find(s, n, 2) == NULL && n == 6, "an exited process drops out without a listing (%zu left)", n);

    /* forks: PID 1 reused, 1000 new inside the cursor's range, 150 outside it */
    put_stat(1, "bash", 1, 1, 9000);
    put_text("proc/1/cmdline", "-bash");
    put_stat(1000, "new", 0, 0, 9100);
    put_file("proc/1000/cmdline", "new\0", 4);
    put_stat(150, "restored", 0, 0, 9200);
    put_cursor(1000, 5003);
    procscan_scan(scan, &s, &n);
    CHECK(st->full_scans == 1, "forks within range: still no listing");
    CHECK(st->probes == 100 + 64, "probed the 100 PIDs the cursor handed out and a 64 margin (%" PRIu64 ")",
          st->probes);
    CHECK(find(s, n, 1000) != NULL, "a new process inside the range is found by probing");
    p = find(s, n, 1);
    CHECK(p && p->start_ticks == 9000, "a reused PID is read as a new process (start %" PRIu64 ")",
          p ? p->start_ticks : 0);
    CHECK_STR(p ? p->name : NULL, "000001 -bash", "a reused PID gets the new command line");
    CHECK(st->pid_reuses == 1, "reuse counted (%" PRIu64 ")", st->pid_reuses);
    CHECK(find(s, n, 150) == NULL, "a process outside the range (set_tid restore) is not probed");

    /* the safety-net listing finds it within 64 scans */
    int scans = 0;
    while (st->full_scans == 1 && scans < 100) {
        procscan_scan(scan, &s, &n);
        scans++;
    }
    CHECK(st->full_scans == 2 && st->scans == 65, "a listing every 64 scans (the second was scan %" PRIu64 ")",
          st->scans);
    CHECK(find(s, n, 150) != NULL, "the listing finds the process outside the range");
    CHECK(st->range_discovery, "a fake ROOT's start times say nothing of misses: probing stays on");

    /* the cursor wraps at pid_max to 300 */
    put_cursor(32700, 6000);
    procscan_scan(scan, &s, &n);
    put_stat(32750, "late", 0, 0, 9300);
    put_stat(310, "early", 0, 0, 9301);
    put_cursor(320, 6030);
    uint64_t listings = st->full_scans;
    procscan_scan(scan, &s, &n);
    CHECK(st->full_scans == listings, "a wrapped range is probed, not listed");
    CHECK(find(s, n, 32750) && find(s, n, 310), "both sides of the wrap are found");
    CHECK(ascending(s, n), "still ascending after a wrap");

    /* as many forks as PIDs: the cursor may have gone round, so list */
    put_cursor(330, 6030 + 40000);
    procscan_scan(scan, &s, &n);
    CHECK(st->full_scans == listings + 1, "forks beyond the PID space force a listing");

    /* a range wider than probing pays for */
    put_cursor(20000, 6030 + 40010);
    procscan_scan(scan, &s, &n);
    CHECK(st->full_scans == listings + 2, "a wide range is listed, not probed");
    CHECK(st->errors == st->full_scans, "the unparsable stat is the only error, once per listing (%" PRIu64 ")",
          st->errors);
    procscan_close(scan);

    /* no cursor at all: list every time */
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/proc/loadavg", fake_root);
    unlink(path);
    scan = procscan_open(fake_root, PROCSCAN_CPU);
    st = procscan_stats(scan);
    for (int i = 0; i < 3; i++)
        procscan_scan(scan, &s, &n);
    CHECK(st->full_scans == 3, "without /proc/loadavg every scan lists ROOT/proc");
    procscan_close(scan);
}

/* ---- the live /proc */

static volatile uint64_t burn_sink;

static void
burn_cpu(double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 100000; i++)
            burn_sink += (uint64_t)i * 2654435761u;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

static uint64_t
start_ticks_of(pid_t pid)
{
    char path[64], buf[1024];
    uint64_t start = 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p)
        sscanf(p + 1, "%" SCNu64, &start);
    return start;
}

/* The proc PMDA's name for this process, built independently. */
static const char *
expected_own_name(void)
{
    static char name[4200];
    char cmd[4096] = "";
    FILE *f = fopen("/proc/self/cmdline", "r");
    size_t len = f ? fread(cmd, 1, sizeof(cmd) - 1, f) : 0;
    if (f)
        fclose(f);
    cmd[len] = '\0';
    cmd[strcspn(cmd, " ")] = '\0';
    snprintf(name, sizeof(name), "%06d %s", (int)getpid(), cmd);
    return name;
}

static size_t
open_fds(void)
{
    size_t count = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));)
        count += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return count - 1;   /* the listing's own */
}

struct worker {
    pthread_mutex_t lock;
    pthread_cond_t  cond;
    pid_t           tid;
    bool            go, done, stop;
};

/* Burns 60 ms of CPU when told, so the process's time grows in a thread
 * other than the main one. */
static void *
worker_thread(void *arg)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->lock);
    w->tid = (pid_t)syscall(SYS_gettid);
    pthread_cond_broadcast(&w->cond);
    while (!w->stop) {
        if (w->go && !w->done) {
            pthread_mutex_unlock(&w->lock);
            burn_cpu(0.06);
            pthread_mutex_lock(&w->lock);
            w->done = true;
            pthread_cond_broadcast(&w->cond);
        }
        pthread_cond_wait(&w->cond, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static pid_t
spawn_idle(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    return pid;
}

static void
reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static uint64_t
own_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The start-time audit rolls: each scan checks the known PIDs in its slot
 * (PID mod 512), so over 512 scans every process is checked once and no
 * scan checks them all (that scan took ~130 ms at 10,000 processes and
 * held up pmcd's requests). */
static void
test_live_rolling_audit(void)
{
    struct procscan *scan = procscan_open("", PROCSCAN_CPU);
    const struct procscan_stats *st = procscan_stats(scan);
    const struct proc_sample *s;
    size_t n = 0, first_n;
    uint64_t most = 0, audits_before;
    pid_t kids[40];

    for (size_t i = 0; i < 40; i++)
        kids[i] = spawn_idle();
    procscan_scan(scan, &s, &n);
    first_n = n;
    audits_before = st->audits;
    uint64_t audited_before = st->audited;
    for (int i = 0; i < 512; i++) {
        uint64_t before = st->audited;
        procscan_scan(scan, &s, &n);
        if (st->audited - before > most)
            most = st->audited - before;
    }
    uint64_t audited = st->audited - audited_before;
    CHECK(audited >= first_n * 9 / 10 && audited <= first_n + first_n / 2,
          "512 scans audit each of the %zu processes about once (%" PRIu64 " checks)", first_n, audited);
    CHECK(most <= 4 + first_n / 16, "no scan audits more than a slice (at most %" PRIu64 " of %zu)", most, first_n);
    CHECK(st->audits == audits_before + 1, "one audit round completed (%" PRIu64 ")", st->audits - audits_before);
    for (size_t i = 0; i < 40; i++)
        reap(kids[i]);
    procscan_close(scan);
}

static void
test_live_proc(void)
{
    size_t fds_before = open_fds();
    struct procscan *scan = procscan_open("", PROCSCAN_CPU);
    const struct proc_sample *s, *me;
    size_t n;
    pid_t self = getpid();

    CHECK(scan != NULL, "procscan_open on the live /proc");
    if (scan == NULL)
        return;
    const struct procscan_stats *st = procscan_stats(scan);
    CHECK(st->process_clocks && st->range_discovery, "the live /proc is read through process clocks and PID ranges");
    burn_cpu(0.02);
    CHECK(procscan_scan(scan, &s, &n) == 0 && n > 1, "live scan finds processes (%zu)", n);
    me = find(s, n, self);
    CHECK(me != NULL, "live scan finds this test's own PID %d", (int)self);
    if (me == NULL) {
        procscan_close(scan);
        return;
    }
    CHECK_STR(me->name, expected_own_name(), "own name is %06d + this test's command name");
    CHECK(me->start_ticks == start_ticks_of(self), "own start_ticks matches /proc/self/stat (%" PRIu64 ")",
          me->start_ticks);
    uint64_t clock_now = own_clock_ns();
    CHECK(me->cpu_ns >= 20000000 && me->cpu_ns <= clock_now, "own cpu_ns is this process's CPU clock (%" PRIu64
          " <= %" PRIu64 ")", me->cpu_ns, clock_now);
    CHECK(me->cgroup && me->cgroup[0] == '/', "own cgroup is a path: %s", me->cgroup ? me->cgroup : "(null)");
    CHECK(open_fds() == fds_before + 3, "the scanner holds 3 fds whatever the process count (%zu)",
          open_fds() - fds_before);
    uint64_t before = me->cpu_ns;

    /* a worker thread burns 60 ms; a child is forked */
    struct worker w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false, false };
    pthread_t thread;
    pthread_create(&thread, NULL, worker_thread, &w);
    pthread_mutex_lock(&w.lock);
    while (w.tid == 0)
        pthread_cond_wait(&w.cond, &w.lock);
    w.go = true;
    pthread_cond_broadcast(&w.cond);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pid_t child = spawn_idle();

    procscan_scan(scan, &s, &n);
    me = find(s, n, self);
    CHECK(me && me->cpu_ns - before >= 55000000, "CPU burnt in a worker thread counts (+%.1f ms; schedstat would miss it)",
          me ? (double)(me->cpu_ns - before) / 1e6 : 0.0);
    CHECK(find(s, n, w.tid) == NULL, "a thread (tid %d) is not a process", (int)w.tid);
    CHECK(find(s, n, child) != NULL, "a new child %d is found", (int)child);
    CHECK(st->full_scans == 1, "found by probing the PID range, without listing /proc (%" PRIu64 " listings)",
          st->full_scans);

    reap(child);
    procscan_scan(scan, &s, &n);
    CHECK(find(s, n, child) == NULL, "a reaped child is gone from the next scan");
    CHECK(st->vanished >= 1, "vanished counted");
    CHECK(st->errors == 0 && st->discovery_misses == 0, "no read errors, no discovery misses (%" PRIu64 ", %" PRIu64 ")",
          st->errors, st->discovery_misses);

    pthread_mutex_lock(&w.lock);
    w.stop = true;
    pthread_cond_broadcast(&w.cond);
    pthread_mutex_unlock(&w.lock);
    pthread_join(thread, NULL);
    procscan_close(scan);
    CHECK(open_fds() == fds_before, "procscan_close releases its fds");
}

static bool
rewind_pid_cursor(pid_t last)
{
    FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
    if (f == NULL)
        return false;
    bool ok = fprintf(f, "%d", (int)last) > 0;
    return fclose(f) == 0 && ok;
}

/* Reuses a PID on purpose through ns_last_pid (needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE; skipped without). bystander: fork another
 * process after the first, so the reuse lands behind the cursor as after a
 * wrap at pid_max; without, the cursor ends exactly where the previous scan
 * saw it, which looks like no fork at all: the clock running backwards or
 * the periodic start-time audit tell. */
static void
test_live_pid_reuse(bool bystander)
{
    struct procscan *scan = procscan_open("", PROCSCAN_CPU);
    const struct procscan_stats *st = procscan_stats(scan);
    const struct proc_sample *s, *p;
    struct timespec pause_ts = { 0, 30000000 };
    const char *how = bystander ? "cursor wrapped" : "cursor rewound to where it was";
    size_t n;

    procscan_scan(scan, &s, &n);
    pid_t first = spawn_idle();
    pid_t other = bystander ? spawn_idle() : -1;
    nanosleep(&pause_ts, NULL);     /* another start tick for the next holder */
    procscan_scan(scan, &s, &n);
    p = find(s, n, first);
    uint64_t first_start = p ? p->start_ticks : 0;
    reap(first);

    pid_t second = rewind_pid_cursor(first - 1) ? spawn_idle() : -1;
    if (second != first) {
        printf("ok - # SKIP PID reuse (%s): could not make the kernel hand out PID %d again\n", how, (int)first);
        if (second > 0)
            reap(second);
        if (other > 0)
            reap(other);
        procscan_close(scan);
        return;
    }
    int scans = 0;
    do {
        procscan_scan(scan, &s, &n);
        p = find(s, n, first);
        scans++;
    } while (p && p->start_ticks == first_start && scans < 600);
    CHECK(p && p->start_ticks == start_ticks_of(second) && p->start_ticks != first_start && st->pid_reuses >= 1,
          "%s: a reused PID comes out as the new process (start %" PRIu64 " -> %" PRIu64 ")", how,
          first_start, p ? p->start_ticks : 0);
    if (bystander)
        CHECK(scans == 1, "%s: found at the next scan (%d)", how, scans);
    else
        CHECK(scans <= 512, "%s: found within 512 scans, by the start-time audit at worst (%d)", how, scans);
    reap(second);
    if (other > 0)
        reap(other);
    procscan_close(scan);
}

/* The pure parsers behind the scan, on what the fuzz harnesses found
 * (fuzz/fuzz_pid_stat.c; the inputs are kept in fuzz/corpus/pid_stat). */
static void
test_parsers(void)
{
    char name[PROCSCAN_NAME_MAX + 1];
    struct proc_stat_fields f;
    static const char stat[] = "42 (a\0b c) S 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 99 0 0\n";
    size_t len;

    CHECK(procscan_parse_stat(stat, sizeof(stat) - 1, &f) && f.comm_len == 5 && f.utime == 7 &&
          f.stime == 3 && f.start_ticks == 99, "a comm holding a NUL still parses by the last ')'");
    len = procscan_format_name(name, 42, NULL, 0, f.comm, f.comm_len);
    CHECK(len == strlen(name) && strcmp(name, "000042 (a") == 0,
          "the name from that comm stops at the NUL, so its length is its string's (%zu, \"%s\")", len, name);
    len = procscan_format_name(name, 42, "sleep\0" "100", 9, "sleep", 5);
    CHECK(len == strlen(name) && strcmp(name, "000042 sleep") == 0, "a command line's first word: %s", name);
}

int
main(void)
{
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t tick = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
    char cmd[PATH_MAX + 16];

    test_parsers();
    build_fake_root();
    test_fake_root_first_scan(tick);
    test_fake_root_range_discovery(tick);
    test_live_proc();
    test_live_rolling_audit();
    test_live_pid_reuse(true);
    test_live_pid_reuse(false);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fake_root);
    return CHECK_DONE();
}
