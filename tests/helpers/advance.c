/*
 * advance FILE WATTS [MAX_UJ] [STEP_MS]: keep FILE, a RAPL-style energy_uj,
 * advancing at WATTS in real time, rewritten in place (as sysfs and
 * Scaphandre do) every STEP_MS milliseconds and wrapping after MAX_UJ.
 * The value is computed from the monotonic clock, so any reader sees the
 * mean power WATTS over any window, to within one step. Writing a number
 * to FILE.watts changes the wattage from that moment on. Runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

static double
read_watts(const char *path, double current)
{
    char buf[64];
    int fd = open(path, O_RDONLY);
    ssize_t n;
    double w;
    char *end;

    if (fd < 0)
        return current;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return current;
    buf[n] = '\0';
    w = strtod(buf, &end);
    return end == buf ? current : w;
}

int
main(int argc, char **argv)
{
    char wpath[4096], text[64];
    double watts, max, step_ms, t0, used_uj = 0;
    unsigned long long base = 0;
    FILE *fp;
    int fd;

    if (argc < 3) {
        fprintf(stderr, "usage: advance FILE WATTS [MAX_UJ] [STEP_MS]\n");
        return 2;
    }
    watts = atof(argv[2]);
    max = argc > 3 ? atof(argv[3]) : 0;
    step_ms = argc > 4 ? atof(argv[4]) : 2;
    snprintf(wpath, sizeof(wpath), "%s.watts", argv[1]);
    if ((fp = fopen(argv[1], "r")) != NULL) {
        if (fscanf(fp, "%llu", &base) != 1)
            base = 0;
        fclose(fp);
    }
    if ((fp = fopen(wpath, "w")) != NULL) {
        fprintf(fp, "%g\n", watts);
        fclose(fp);
    }
    if ((fd = open(argv[1], O_WRONLY | O_CREAT, 0644)) < 0) {
        fprintf(stderr, "advance: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    t0 = now_s();
    for (;;) {
        struct timespec pause = { 0, (long)(step_ms * 1e6) };
        double t = now_s(), w = read_watts(wpath, watts), v;
        int len;

        if (w != watts) {           /* fold what was used so far, then the new rate */
            used_uj += watts * (t - t0) * 1e6;
            t0 = t;
            watts = w;
        }
        v = (double)base + used_uj + watts * (t - t0) * 1e6;
        if (max > 0)
            v -= (double)(unsigned long long)(v / (max + 1)) * (max + 1);
        len = snprintf(text, sizeof(text), "%.0f\n", v);
        if (pwrite(fd, text, (size_t)len, 0) != len || ftruncate(fd, len) < 0)
            return 1;
        nanosleep(&pause, NULL);
    }
}
