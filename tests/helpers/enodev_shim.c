/*
 * enodev_shim.c: makes a fake sysfs file answer a read with ENODEV, as the
 * kernel's ACPI battery driver does for a value the firmware reports as
 * unknown (drivers/acpi/battery.c, acpi_battery_get_property: voltage_now,
 * current_now and power_now, energy_now and charge_now return -ENODEV when
 * the value is ACPI_BATTERY_VALUE_UNKNOWN). Tests only; never installed.
 *
 * A regular file whose text starts with "#ENODEV" opens as usual (sysfs
 * opens the attribute; the error comes from its show callback), and every
 * read or pread of it fails with errno ENODEV. Everything else goes to the
 * real calls.
 *
 * As an LD_PRELOAD library (tests/integration/battery.sh):
 *     cc -shared -fPIC -DENODEV_SHIM_LIB -o enodev_shim.so enodev_shim.c -ldl
 * with libasan listed first in LD_PRELOAD for the ASan agent. A unit test
 * may instead #define ENODEV_SHIM_LIB and #include this file, so that its
 * own definitions of open and read take the calls of the code it links.
 * The GNUmakefile builds every .c in tests/helpers as a program: without
 * ENODEV_SHIM_LIB this file has a main() that says how to use it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENODEV_MARK "#ENODEV"
#define ENODEV_MAX_FDS 4096

static unsigned char enodev_fds[ENODEV_MAX_FDS];

static void *
enodev_next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static void
enodev_check(int fd, int flags)
{
    static ssize_t (*real_pread)(int, void *, size_t, off_t);
    char buf[sizeof(ENODEV_MARK)];
    size_t len = sizeof(ENODEV_MARK) - 1;
    struct stat sb;

    if (fd < 0 || fd >= ENODEV_MAX_FDS)
        return;
    enodev_fds[fd] = 0;
    if ((flags & O_ACCMODE) != O_RDONLY || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size < (off_t)len)
        return;
    if (!real_pread)
        real_pread = (ssize_t (*)(int, void *, size_t, off_t))enodev_next("pread");
    if (real_pread(fd, buf, len, 0) == (ssize_t)len && memcmp(buf, ENODEV_MARK, len) == 0)
        enodev_fds[fd] = 1;
}

static int
enodev_marked(int fd)
{
    if (fd < 0 || fd >= ENODEV_MAX_FDS || !enodev_fds[fd])
        return 0;
    errno = ENODEV;
    return 1;
}

static mode_t
enodev_mode(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

#define ENODEV_OPEN(name, ...)                                                     \
    static int (*real)(__VA_ARGS__, ...);                                          \
    va_list ap;                                                                    \
    mode_t mode;                                                                   \
    int fd;                                                                        \
    va_start(ap, flags);                                                           \
    mode = enodev_mode(flags, ap);                                                 \
    va_end(ap);                                                                    \
    if (!real)                                                                     \
        real = (int (*)(__VA_ARGS__, ...))enodev_next(name);

int
open(const char *path, int flags, ...)
{
    ENODEV_OPEN("open", const char *, int)
    fd = real(path, flags, mode);
    enodev_check(fd, flags);
    return fd;
}

int
open64(const char *path, int flags, ...)
{
    ENODEV_OPEN("open64", const char *, int)
    fd = real(path, flags, mode);
    enodev_check(fd, flags);
    return fd;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
    ENODEV_OPEN("openat", int, const char *, int)
    fd = real(dirfd, path, flags, mode);
    enodev_check(fd, flags);
    return fd;
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
    ENODEV_OPEN("openat64", int, const char *, int)
    fd = real(dirfd, path, flags, mode);
    enodev_check(fd, flags);
    return fd;
}

ssize_t
read(int fd, void *buf, size_t size)
{
    static ssize_t (*real)(int, void *, size_t);

    if (enodev_marked(fd))
        return -1;
    if (!real)
        real = (ssize_t (*)(int, void *, size_t))enodev_next("read");
    return real(fd, buf, size);
}

ssize_t
pread(int fd, void *buf, size_t size, off_t offset)
{
    static ssize_t (*real)(int, void *, size_t, off_t);

    if (enodev_marked(fd))
        return -1;
    if (!real)
        real = (ssize_t (*)(int, void *, size_t, off_t))enodev_next("pread");
    return real(fd, buf, size, offset);
}

ssize_t
pread64(int fd, void *buf, size_t size, off_t offset)
{
    static ssize_t (*real)(int, void *, size_t, off_t);

    if (enodev_marked(fd))
        return -1;
    if (!real)
        real = (ssize_t (*)(int, void *, size_t, off_t))enodev_next("pread64");
    return real(fd, buf, size, offset);
}

int
close(int fd)
{
    static int (*real)(int);

    if (fd >= 0 && fd < ENODEV_MAX_FDS)
        enodev_fds[fd] = 0;
    if (!real)
        real = (int (*)(int))enodev_next("close");
    return real(fd);
}

#ifndef ENODEV_SHIM_LIB
int
main(void)
{
    fprintf(stderr, "enodev_shim is an LD_PRELOAD library: build it with\n"
            "  cc -shared -fPIC -DENODEV_SHIM_LIB -o enodev_shim.so tests/helpers/enodev_shim.c -ldl\n");
    return 2;
}
#endif
