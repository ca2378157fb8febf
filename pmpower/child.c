#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

bool
child_on_path(const char *cmd)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];

    if (strchr(cmd, '/'))
        return access(cmd, X_OK) == 0;
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", cmd);
        if (access(buf, X_OK) == 0)
            return true;
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

/* Fork and exec; the exec's errno comes back through a close-on-exec pipe. */
pid_t
child_start(char **argv)
{
    return child_start_on(argv, NULL);
}

pid_t
child_start_on(char **argv, const cpu_set_t *cpus)
{
    int fds[2], err = 0;
    pid_t pid;
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (!cpus || sched_setaffinity(0, sizeof(*cpus), cpus) == 0)
            execvp(argv[0], argv);
        err = errno;
        if (write(fds[1], &err, sizeof(err)) < 0)
            _exit(127);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], &err, sizeof(err))) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    if (n == (ssize_t)sizeof(err)) {
        waitpid(pid, NULL, 0);
        errno = err;
        return -1;
    }
    return pid;
}

void
child_describe(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "ended with wait status %d", status);
}
