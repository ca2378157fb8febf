/*
 * spawn N CONCURRENCY MAX_BUSY_US: start N short-lived processes, at most
 * CONCURRENCY alive at once, each spinning on the CPU for a pseudo-random
 * 0..MAX_BUSY_US microseconds of its own CPU time before it exits; reap
 * every one. Prints "spawned N" when done. For the process-churn test: a
 * fork per process, no exec, so thousands take seconds, not minutes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
child(long busy_us)
{
    double until = cpu_seconds() + (double)busy_us / 1e6;
    volatile unsigned long spin = 0;

    while (cpu_seconds() < until)
        spin++;
    _exit(0);
}

int
main(int argc, char **argv)
{
    long n, concurrency, max_busy, started = 0, alive = 0, reaped = 0;
    unsigned seed = 12345;

    if (argc != 4 || (n = atol(argv[1])) <= 0 || (concurrency = atol(argv[2])) <= 0 ||
        (max_busy = atol(argv[3])) < 0) {
        fprintf(stderr, "usage: spawn N CONCURRENCY MAX_BUSY_US\n");
        return 2;
    }
    while (reaped < n) {
        while (started < n && alive < concurrency) {
            long busy = max_busy ? (long)(rand_r(&seed) % (unsigned)(max_busy + 1)) : 0;
            pid_t pid = fork();
            if (pid == 0)
                child(busy);
            if (pid < 0) {
                if (errno == EAGAIN && alive > 0)
                    break;          /* at the process limit: reap first */
                perror("spawn: fork");
                return 1;
            }
            started++;
            alive++;
        }
        if (wait(NULL) > 0) {
            alive--;
            reaped++;
        } else if (errno != EINTR) {
            perror("spawn: wait");
            return 1;
        }
    }
    printf("spawned %ld\n", started);
    return 0;
}
