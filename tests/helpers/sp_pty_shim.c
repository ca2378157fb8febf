/*
 * sp_pty_shim.c: an LD_PRELOAD shim that lets libserialport 0.1.1 open a
 * pseudo-terminal, so the meter source can be tested against an emulated
 * WattsUp. Tests only; never installed.
 *
 * libserialport refuses a pty in two places: sp_get_port_by_name() looks
 * for /sys/class/tty/<dev> (a pty has none, "Device not found"), and
 * sp_open() reads and sets the modem-control lines (TIOCMGET, TIOCMSET,
 * TIOCMBIS, TIOCMBIC), which a pty does not have. For /dev/pts/N only,
 * the shim makes /sys/class/tty/pts/N look like a virtual tty and lets the
 * modem ioctls succeed; everything else goes to the real call.
 *
 * Built by the test script (tests/integration/meter.sh):
 *     cc -shared -fPIC -DSP_PTY_SHIM_SO -o shim.so sp_pty_shim.c -ldl
 * The GNUmakefile builds every .c in tests/helpers as a program, so without
 * SP_PTY_SHIM_SO this file also has a main() that says how to use it.
 * With the ASan agent, list libasan first in LD_PRELOAD (or set
 * ASAN_OPTIONS=verify_asan_link_order=0).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SYS_PTS "/sys/class/tty/pts/"
/* what the kernel's link for a virtual tty looks like */
#define FAKE_LINK "../../devices/virtual/tty/pts"

static int
is_fake_sys_path(const char *path)
{
    return path && strncmp(path, SYS_PTS, sizeof(SYS_PTS) - 1) == 0 &&
           path[sizeof(SYS_PTS) - 1] >= '0' && path[sizeof(SYS_PTS) - 1] <= '9' &&
           strchr(path + sizeof(SYS_PTS) - 1, '/') == NULL;
}

/* Unix98 pty slaves have majors 136..143 */
static int
is_pty_fd(int fd)
{
    struct stat sb;

    return fstat(fd, &sb) == 0 && S_ISCHR(sb.st_mode) &&
           major(sb.st_rdev) >= 136 && major(sb.st_rdev) <= 143;
}

ssize_t
readlink(const char *path, char *buf, size_t size)
{
    static ssize_t (*real)(const char *, char *, size_t);

    if (is_fake_sys_path(path)) {
        size_t n = strlen(FAKE_LINK);
        if (n > size)
            n = size;
        memcpy(buf, FAKE_LINK, n);
        return (ssize_t)n;
    }
    if (!real)
        real = (ssize_t (*)(const char *, char *, size_t))dlsym(RTLD_NEXT, "readlink");
    return real(path, buf, size);
}

static void
fake_link_stat(struct stat *sb)
{
    memset(sb, 0, sizeof(*sb));
    sb->st_mode = S_IFLNK | 0777;
    sb->st_size = (off_t)strlen(FAKE_LINK);
}

/* libserialport 0.1.1 was built against a glibc whose lstat is __lxstat */
int
__lxstat(int ver, const char *path, struct stat *sb)
{
    static int (*real)(int, const char *, struct stat *);

    if (is_fake_sys_path(path)) {
        fake_link_stat(sb);
        return 0;
    }
    if (!real)
        real = (int (*)(int, const char *, struct stat *))dlsym(RTLD_NEXT, "__lxstat");
    return real(ver, path, sb);
}

int
lstat(const char *path, struct stat *sb)
{
    static int (*real)(const char *, struct stat *);

    if (is_fake_sys_path(path)) {
        fake_link_stat(sb);
        return 0;
    }
    if (!real)
        real = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "lstat");
    return real(path, sb);
}

int
ioctl(int fd, unsigned long request, ...)
{
    static int (*real)(int, unsigned long, ...);
    va_list ap;
    void *arg;
    int sts, saved;

    va_start(ap, request);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (!real)
        real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    sts = real(fd, request, arg);
    if (sts == 0)
        return sts;
    saved = errno;
    switch (request) {
    case TIOCMGET:
        if (is_pty_fd(fd)) {
            *(int *)arg = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
            return 0;
        }
        break;
    case TIOCMSET:
    case TIOCMBIS:
    case TIOCMBIC:
        if (is_pty_fd(fd))
            return 0;
        break;
    }
    errno = saved;
    return sts;
}

#ifndef SP_PTY_SHIM_SO
int
main(void)
{
    fprintf(stderr, "sp_pty_shim is an LD_PRELOAD library: build it with\n"
            "  cc -shared -fPIC -DSP_PTY_SHIM_SO -o sp_pty_shim.so tests/helpers/sp_pty_shim.c -ldl\n");
    return 2;
}
#endif
