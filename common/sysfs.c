#include "sysfs.h"
#include "counter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
sysfs_text_from_bytes(char *buf, size_t len)
{
    buf[len] = '\0';
    len = strlen(buf);          /* fixtures from PCP's QA carry trailing NULs */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
}

static double
mtime_seconds(const struct stat *sb)
{
    return (double)sb->st_mtim.tv_sec + (double)sb->st_mtim.tv_nsec / 1e9;
}

static int
read_text(const char *path, char *buf, size_t size, double *mtime_s)
{
    struct stat before, after;
    int fd, err = 0;
    ssize_t n;

    if (size == 0)
        return -EINVAL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -errno;
    if (mtime_s && fstat(fd, &before) < 0)
        err = errno;
    n = err ? -1 : read(fd, buf, size - 1);
    if (n < 0 && !err)
        err = errno;
    if (!err && mtime_s) {
        if (fstat(fd, &after) < 0)
            err = errno;
        else if (after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                 after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)
            err = EAGAIN;
        else
            *mtime_s = mtime_seconds(&after);
    }
    close(fd);
    if (err)
        return -err;
    sysfs_text_from_bytes(buf, (size_t)n);
    return 0;
}

int
sysfs_read_text(const char *path, char *buf, size_t size)
{
    return read_text(path, buf, size, NULL);
}

int
sysfs_read_text_stamped(const char *path, char *buf, size_t size, double *mtime_s)
{
    return read_text(path, buf, size, mtime_s);
}

static int
parse_counter(const char *buf, uint64_t *value)
{
    if (buf[0] == '\0')
        return -EINVAL;
    return parse_u64_text(buf, value) ? 0 : -EINVAL;
}

int
sysfs_read_u64(const char *path, uint64_t *value)
{
    char buf[64];
    int sts = sysfs_read_text(path, buf, sizeof(buf));

    return sts < 0 ? sts : parse_counter(buf, value);
}

int
sysfs_pread_u64(int fd, uint64_t *value)
{
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    if (n < 0)
        return -errno;
    return sysfs_u64_from_bytes(buf, (size_t)n, value);
}

int
sysfs_u64_from_bytes(char *buf, size_t len, uint64_t *value)
{
    sysfs_text_from_bytes(buf, len);
    return parse_counter(buf, value);
}

int
path_join(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}
