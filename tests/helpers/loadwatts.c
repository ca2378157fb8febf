/*
 * loadwatts FILE IDLE_W WATTS_PER_CPU [-t PID STAT]: keep FILE, a
 * RAPL-style energy_uj, advancing as a host whose power follows its real
 * CPU load: IDLE_W plus WATTS_PER_CPU for each busy CPU, read every 20 ms
 * (25 ms with -t, whose scan of /proc costs more).
 * Over any window the energy is IDLE_W x time + WATTS_PER_CPU x the busy
 * CPU time of that window, to within a step at each end: the reference
 * pmpower calibrate is tested against. Runs until killed.
 *
 * The busy CPU time is the host's, from /proc/stat (user+nice+system+irq+
 * softirq+steal, as the agent counts them); or, with -t, that of process
 * PID and all its descendants (utime+stime of each, from /proc/N/stat,
 * kept for each process after it exits; not its own), also written
 * as a /proc/stat to STAT (for the agent's -r root: busy = that time,
 * idle = the rest of the host's CPUs' time). On a machine shared with
 * other work, -t makes "the host" the test's own processes: its load, and
 * so the fit, is not shifted by work the test does not control.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* busy CPU seconds since boot, or -1 */
static double
busy_seconds(double ticks_per_s)
{
    unsigned long long v[8] = { 0 };
    FILE *fp = fopen("/proc/stat", "r");
    int n;

    if (!fp)
        return -1;
    n = fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]);
    fclose(fp);
    if (n < 7)
        return -1;
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / ticks_per_s;
}

#define MAX_PROCS 65536
#define SEEN_SLOTS 65536            /* processes of the tree ever seen; a power of two */

/* Every process of the tree ever seen, by (pid, start time): its CPU ticks
 * when last seen. The tree's time is their sum, so a process that exits
 * keeps what it used (to within one scan), and no process counts twice:
 * the parent's cutime, which a scan can read before or after the child is
 * reaped (a dip or a double count as large as the child's whole time), is
 * not used. */
struct seen {
    int                pid;         /* 0: empty slot */
    unsigned long long start;
    double             ticks;
};

static struct seen *
seen_slot(struct seen *table, int pid, unsigned long long start)
{
    unsigned h = ((unsigned)pid * 2654435761u) & (SEEN_SLOTS - 1);

    for (unsigned i = 0; i < SEEN_SLOTS; i++, h = (h + 1) & (SEEN_SLOTS - 1))
        if (table[h].pid == 0 || (table[h].pid == pid && table[h].start == start))
            return &table[h];
    return NULL;
}

/* CPU ticks used by tree_pid and its descendants since they were first seen, or -1 */
static double
tree_ticks(int tree_pid)
{
    static int pid[MAX_PROCS], ppid[MAX_PROCS];
    static unsigned long long start[MAX_PROCS];
    static double ticks[MAX_PROCS];
    static char in_tree[MAX_PROCS];
    static struct seen table[SEEN_SLOTS];
    static double total;
    DIR *d = opendir("/proc");
    struct dirent *e;
    size_t n = 0;
    int changed = 1;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL && n < MAX_PROCS) {
        char path[300], buf[1024], *p;
        unsigned long long ut, st, t0;
        int fd, len, pp;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        if ((fd = open(path, O_RDONLY)) < 0)
            continue;
        len = (int)read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len <= 0 || !(p = strrchr((buf[len] = '\0', buf), ')')))
            continue;
        /* after the command (proc(5)): state ppid pgrp session tty tpgid flags minflt cminflt
         * majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime */
        if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
                   &pp, &ut, &st, &t0) != 4)
            continue;
        pid[n] = atoi(e->d_name);
        ppid[n] = pp;
        start[n] = t0;
        ticks[n] = (double)(ut + st);
        in_tree[n] = pid[n] == tree_pid;
        if (!in_tree[n]) {
            struct seen *s = seen_slot(table, pid[n], t0);
            in_tree[n] = s && s->pid != 0;      /* once in the tree, always (a reparented orphan too) */
        }
        n++;
    }
    closedir(d);
    while (changed) {            /* a process list is short: grow the tree until it stops */
        changed = 0;
        for (size_t i = 0; i < n; i++)
            if (!in_tree[i])
                for (size_t j = 0; j < n; j++)
                    if (in_tree[j] && pid[j] == ppid[i]) {
                        in_tree[i] = changed = 1;
                        break;
                    }
    }
    for (size_t i = 0; i < n; i++) {
        struct seen *s;
        if (!in_tree[i] || pid[i] == getpid() || !(s = seen_slot(table, pid[i], start[i])))
            continue;            /* not its own scans; a full table counts no more */
        if (s->pid == 0)
            *s = (struct seen){ .pid = pid[i], .start = start[i], .ticks = ticks[i] };
        if (ticks[i] > s->ticks) {
            total += ticks[i] - s->ticks;
            s->ticks = ticks[i];
        }
    }
    return total;
}

/* A /proc/stat whose busy time is the tree's, renamed into place. */
static void
write_stat(const char *path, double busy_ticks, double all_ticks, long ncpu)
{
    char tmp[4096];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s.new", path);
    if (!(fp = fopen(tmp, "w")))
        return;
    fprintf(fp, "cpu  %.0f 0 0 %.0f 0 0 0 0 0 0\n", busy_ticks, all_ticks - busy_ticks);
    for (long i = 0; i < ncpu; i++)
        fprintf(fp, "cpu%ld %.0f 0 0 %.0f 0 0 0 0 0 0\n", i, busy_ticks / (double)ncpu,
                (all_ticks - busy_ticks) / (double)ncpu);
    fclose(fp);
    rename(tmp, path);
}

int
main(int argc, char **argv)
{
    double idle_w, per_cpu_w, step_ms = 20, ticks = (double)sysconf(_SC_CLK_TCK), uj = 0, t0, b0, tb0 = 0;
    double start, idle_ticks = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *stat_path = NULL;
    int fd, tree_pid = 0;
    char text[64];

    if (argc != 4 && !(argc == 7 && strcmp(argv[4], "-t") == 0)) {
        fprintf(stderr, "usage: loadwatts FILE IDLE_W WATTS_PER_CPU [-t PID STAT]\n");
        return 2;
    }
    idle_w = atof(argv[2]);
    per_cpu_w = atof(argv[3]);
    if (argc == 7) {
        tree_pid = atoi(argv[5]);
        stat_path = argv[6];
        step_ms = 25;
    }
    if ((fd = open(argv[1], O_WRONLY | O_CREAT, 0644)) < 0) {
        fprintf(stderr, "loadwatts: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    start = t0 = now_s();
    if (tree_pid)
        b0 = (tb0 = tree_ticks(tree_pid)) / ticks;
    else
        b0 = busy_seconds(ticks);
    if (b0 < 0)
        return 1;
    for (;;) {
        struct timespec pause = { 0, (long)(step_ms * 1e6) };
        double t = now_s(), b;
        int len;

        if (tree_pid) {
            double tb = tree_ticks(tree_pid);
            /* busy since start as the stat's busy; idle never goes back */
            double all = (t - start) * ticks * (double)ncpu, busy = tb - tb0;
            if (busy < 0)
                busy = 0;
            if (all - busy > idle_ticks)
                idle_ticks = all - busy;
            write_stat(stat_path, busy, busy + idle_ticks, ncpu);
            b = tb / ticks;
        } else {
            b = busy_seconds(ticks);
        }

        if (b >= b0) {
            uj += (idle_w * (t - t0) + per_cpu_w * (b - b0)) * 1e6;
            t0 = t;
            b0 = b;
        }
        len = snprintf(text, sizeof(text), "%.0f\n", uj);
        if (pwrite(fd, text, (size_t)len, 0) != len || ftruncate(fd, len) < 0)
            return 1;
        nanosleep(&pause, NULL);
    }
}
