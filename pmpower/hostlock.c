#include "hostlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *
hostlock_default_path(void)
{
    const char *env = getenv("PMPOWER_LOCK_FILE");
    struct stat st;

    if (env && *env)
        return env;
    return stat("/run/lock", &st) == 0 && S_ISDIR(st.st_mode) ? "/run/lock/pmpower-measure.lock"
                                                              : "/tmp/pmpower-measure.lock";
}

static double
mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
holder(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);

    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0])
        snprintf(buf, size, "another process");
}

int
hostlock_take(const char *path, double wait_s, const char *what, char *err, size_t errsize)
{
    /* 0666 less the umask: every user's measurements share it */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    double deadline = mono_s() + wait_s;
    char line[256];

    if (fd < 0) {
        snprintf(err, errsize, "cannot open the measurement lock %s: %s (choose another with --lock-file)",
                 path, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errsize, "cannot lock %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (mono_s() >= deadline) {
            holder(fd, line, sizeof(line));
            snprintf(err, errsize, "another measurement is running on this host (%s holds %s): "
                     "wait for it, or give --lock-wait S to wait up to S seconds", line, path);
            close(fd);
            return -1;
        }
        {
            struct timespec ts = { 0, 50000000 };
            nanosleep(&ts, NULL);
        }
    }
    snprintf(line, sizeof(line), "pid %ld: %s\n", (long)getpid(), what);
    /* who holds it is only for the message of the one refused: best effort */
    if (ftruncate(fd, 0) == 0) {
        ssize_t written = pwrite(fd, line, strlen(line), 0);
        (void)written;
    }
    return fd;
}

void
hostlock_release(int fd)
{
    if (fd < 0)
        return;
    /* best effort: a line left behind only names a holder that is gone */
    int truncated = ftruncate(fd, 0);
    (void)truncated;
    close(fd);
}
