/*
 * hostlock.h: one measurement at a time on this host (measure), as
 * JouleTrace's "socket-0 lock": two commands measured together would each
 * count the other's energy. An flock(2) on a file every pmpower shares; the
 * holder writes its pid and command into it so that the one refused can say
 * who holds it. The kernel drops the lock when the holder exits, however it
 * exits, so a crash never leaves it held. Pure: no PCP.
 */
#ifndef PMPOWER_HOSTLOCK_H
#define PMPOWER_HOSTLOCK_H

#include <stddef.h>

/* $PMPOWER_LOCK_FILE when set (tests, containers that share no /run/lock),
 * else /run/lock/pmpower-measure.lock, or in /tmp where /run/lock is missing */
const char *hostlock_default_path(void);

/*
 * Take the lock at path, waiting up to wait_s seconds (0: not at all).
 * Returns the open descriptor holding it (close it to let go), or -1 with
 * why in err: held by another (its holder's "pid command" line quoted), or
 * the file cannot be opened.
 */
int hostlock_take(const char *path, double wait_s, const char *what, char *err, size_t errsize);

/* Let go of it, leaving no holder's line behind for the next refused. */
void hostlock_release(int fd);

#endif
