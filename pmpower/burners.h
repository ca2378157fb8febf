/*
 * burners.h: CPU burners for pmpower calibrate: child processes that spin
 * on one CPU each until stopped. Each is pinned to its own CPU where the
 * affinity mask allows, so "k burners" is k CPUs busy, and dies with its
 * parent (PR_SET_PDEATHSIG), so not even a SIGKILL of pmpower leaves one
 * spinning.
 */
#ifndef PMPOWER_BURNERS_H
#define PMPOWER_BURNERS_H

#include <stddef.h>
#include <sys/types.h>

#define BURNERS_MAX 1024

struct burners {
    pid_t  pid[BURNERS_MAX];
    size_t count;
};

/* Start burners until there are n; 0, or -1 with errno (those started run on). */
int  burners_set(struct burners *b, size_t n);

/* Stop and reap every burner. Safe to call twice. */
void burners_stop(struct burners *b);

#endif
