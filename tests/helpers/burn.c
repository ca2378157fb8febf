/*
 * burn DUTY [PERIOD_MS]: a CPU burner busy DUTY (0..1) of every period
 * (default 20 ms) and asleep the rest, until killed. Two burners with
 * duties 1 and 0.5 use CPU time in the ratio 2:1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
clock_s(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    double duty = argc > 1 ? atof(argv[1]) : 1.0;
    double period = (argc > 2 ? atof(argv[2]) : 20.0) / 1e3;
    volatile unsigned long spin = 0;

    if (duty < 0 || duty > 1) {
        fprintf(stderr, "usage: burn DUTY(0..1) [PERIOD_MS]\n");
        return 2;
    }
    /* Busy for duty * period of CPU time, not of wall time: a burner
     * preempted on a loaded machine still gets its share, so two burners
     * keep their ratio. */
    for (;;) {
        double start = clock_s(CLOCK_MONOTONIC), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        while (clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < duty * period)
            spin++;
        if (duty < 1) {
            double rest = period - (clock_s(CLOCK_MONOTONIC) - start);
            if (rest > 0) {
                struct timespec ts = { 0, (long)(rest * 1e9) };
                nanosleep(&ts, NULL);
            }
        }
    }
}
