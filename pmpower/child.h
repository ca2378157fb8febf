/*
 * child.h: the user's command that pmpower runs (measure, mark -- CMD):
 * looked for before anything starts, started so that a failed exec is told
 * to the parent, and its end said in words.
 */
#ifndef PMPOWER_CHILD_H
#define PMPOWER_CHILD_H

#include <stdbool.h>
#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

/* True when cmd names an executable (a path, or a name on PATH). */
bool  child_on_path(const char *cmd);

/* Fork and exec argv with SIGINT and SIGTERM at their defaults. Returns the
 * pid, or -1 with errno when the fork or the exec failed (nothing left to reap). */
pid_t child_start(char **argv);
/* The same, the command pinned to cpus (sched_setaffinity(2) in the child
 * before the exec, as taskset -c does; NULL: not pinned). */
pid_t child_start_on(char **argv, const cpu_set_t *cpus);

/* "exited with status 3", "was killed by signal 9 (Killed)" */
void  child_describe(int status, char *buf, size_t size);

#endif
