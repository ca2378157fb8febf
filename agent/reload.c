#include "reload.h"
#include "baseline.h"
#include "config.h"
#include "model.h"

#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

static bool
same_file(const struct config_watch *w, const struct stat *st)
{
    return w->dev == st->st_dev && w->ino == st->st_ino && w->size == st->st_size &&
           w->mtime.tv_sec == st->st_mtim.tv_sec && w->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

void
config_watch_init(struct config_watch *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    config_watch_changed(w, path);
}

bool
config_watch_changed(struct config_watch *w, const char *path)
{
    struct stat st;
    bool changed;

    if (!path || !path[0] || stat(path, &st) < 0) {
        /* a file being replaced may be missing for an instant: wait for it */
        return false;
    }
    changed = !w->have || !same_file(w, &st);
    w->have = true;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->size = st.st_size;
    w->mtime = st.st_mtim;
    return changed;
}

void
config_reload_if_changed(struct config_watch *w, const char *path, power_log_fn log,
                         struct model_state *model, struct idle_baseline *baseline)
{
    struct power_config *fresh;

    if (!config_watch_changed(w, path))
        return;
    if ((fresh = config_load(path, log)) == NULL)
        return;
    if (model)
        model_configure(model, fresh);
    baseline_configure(baseline, fresh);
    log(LOG_INFO, "%s changed: [model] and [attribution] idle re-read (%s)", path,
        baseline->wanted == IDLE_BASELINE ? "idle = baseline" : "idle = utilisation");
    config_free(fresh);
}
