/*
 * reload.h: power.conf changed while the agent runs. Each timer tick
 * stats the file (one syscall); when its inode, size or modification
 * time differ from what was read, the agent re-reads the sections that
 * can change live, [model] (pmpower calibrate --write) and [attribution]
 * idle, and logs that it did. Everything else still needs a restart.
 */
#ifndef POWER_RELOAD_H
#define POWER_RELOAD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "log.h"

struct idle_baseline;
struct model_state;

struct config_watch {
    bool            have;
    dev_t           dev;
    ino_t           ino;
    off_t           size;
    struct timespec mtime;
};

/* Remember the file as it is now (at open). */
void config_watch_init(struct config_watch *w, const char *path);

/* True when the file differs from what was remembered; remembers it. */
bool config_watch_changed(struct config_watch *w, const char *path);

/* Re-read [model] into the model source's state (NULL when that source is
 * not open) and [attribution] idle into the baseline when the file at path
 * changed since the watcher last saw it. The caller hands over what a
 * reload touches, so this module needs nothing of the agent's context. */
void config_reload_if_changed(struct config_watch *w, const char *path, power_log_fn log,
                              struct model_state *model, struct idle_baseline *baseline);

#endif
