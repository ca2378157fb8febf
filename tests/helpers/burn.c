/*
 * burn DUTY [PERIOD_MS]: a CPU burner busy DUTY (0..1) of every period
 * (default 20 ms) and asleep the rest, until killed.
 *
 * burn -f PEER SHARE: a burner that keeps its CPU time to SHARE times what
 * the process PEER uses from then on (to within SLACK_MS, 5 ms), until
 * killed. PEER is a PID, or a file that will hold one: until it does, and
 * once the peer has gone, the burner runs flat out.
 *
 * Two burners that follow each other keep their ratio at every moment
 * however loaded the machine, since neither can run ahead of the other:
 *     burn -f FILE 2 &     burn -f <its pid> 0.5 &     (then that pid > FILE)
 * One that only follows drifts when the scheduler starves it (3.2:1 once on
 * a 2-core machine at load 11), and a duty cycle does not hold either: a
 * burner that gets less than half a CPU never finishes its busy time within
 * the period, never sleeps, and comes out 1:1 with "burn 1".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define SLACK_S 0.005

static int
clock_s(clockid_t clock, double *s)
{
    struct timespec ts;

    if (clock_gettime(clock, &ts) != 0)
        return -1;
    *s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    return 0;
}

static double
own_cpu_s(void)
{
    double s = 0;

    clock_s(CLOCK_PROCESS_CPUTIME_ID, &s);
    return s;
}

static void
sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

    nanosleep(&ts, NULL);
}

static void
spin(void)
{
    static volatile unsigned long spins;

    for (int i = 0; i < 20000; i++)
        spins++;
}

static _Noreturn void
burn_duty(double duty, double period)
{
    /* Busy for duty * period of CPU time, so a burner preempted while busy
     * still gets its share of each period. */
    for (;;) {
        double start = 0, now, cpu0 = own_cpu_s(), rest;

        clock_s(CLOCK_MONOTONIC, &start);
        while (own_cpu_s() - cpu0 < duty * period)
            spin();
        now = start;
        clock_s(CLOCK_MONOTONIC, &now);
        if (duty < 1 && (rest = period - (now - start)) > 0)
            sleep_s(rest);
    }
}

/* The peer's CPU clock, from a PID or from a file holding one. */
static bool
find_peer(const char *peer, clockid_t *clock)
{
    char *end;
    long pid = strtol(peer, &end, 10);

    if (*end != '\0') {
        FILE *f = fopen(peer, "r");
        pid = 0;
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
    }
    return pid > 0 && clock_getcpuclockid((pid_t)pid, clock) == 0;
}

static _Noreturn void
burn_following(const char *peer, double share)
{
    clockid_t other;
    double other0, own0, now;

    for (;;) {     /* flat out until there is a peer to follow */
        if (find_peer(peer, &other) && clock_s(other, &other0) == 0)
            break;
        for (int i = 0; i < 100; i++)
            spin();
    }
    own0 = own_cpu_s();
    /* Behind the target: spin a little and look again. Ahead: sleep a
     * millisecond, in which the other gains at most that much CPU time. */
    while (clock_s(other, &now) == 0) {
        if (own_cpu_s() - own0 < share * (now - other0) + SLACK_S)
            spin();
        else
            sleep_s(0.001);
    }
    for (;;)        /* the peer has gone */
        spin();
}

int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "-f") == 0) {
        double share = atof(argv[3]);
        if (share > 0)
            burn_following(argv[2], share);
    } else if (argc <= 3 && (argc < 2 || strcmp(argv[1], "-f") != 0)) {
        double duty = argc > 1 ? atof(argv[1]) : 1.0;
        double period = (argc > 2 ? atof(argv[2]) : 20.0) / 1e3;
        if (duty >= 0 && duty <= 1 && period > 0)
            burn_duty(duty, period);
    }
    fprintf(stderr, "usage: burn DUTY(0..1) [PERIOD_MS] | burn -f PID|PIDFILE SHARE\n");
    return 2;
}
