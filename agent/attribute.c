#include "attribute.h"
#include "config.h"
#include "system.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

void
attribute_open(struct attribute_state *st, const char *root,
               struct power_config *config, power_log_fn log)
{
    const char *mode, *basis;
    enum attribute_mode m = ATTRIBUTE_ACTIVE;
    double grace;

    memset(st, 0, sizeof(*st));
    st->log = log;
    st->enabled = config_bool(config, "attribution", "enabled", true);
    mode = config_string(config, "attribution", "mode", "active");
    basis = config_string(config, "attribution", "basis", "cpu");
    grace = config_double(config, "attribution", "grace", 10.0, 0.0, 86400.0);
    st->cgroup_retain_s = config_double(config, "attribution", "cgroup_retain", 86400.0, 1.0, 31536000.0);
    if (strcmp(mode, "all") == 0)
        m = ATTRIBUTE_ALL;
    else if (strcmp(mode, "active") != 0)
        config_bad_value(config, "attribution", "mode", "active or all");
    if (strcmp(basis, "utime") == 0)
        st->basis = PROCSCAN_UTIME;
    else if (strcmp(basis, "cpu") != 0)
        config_bad_value(config, "attribution", "basis", "cpu or utime");
    if (!st->enabled)
        return;
    if ((st->ledger = ledger_new(m, grace)) == NULL) {
        st->enabled = false;
        log(LOG_ERR, "attribution: out of memory; power.proc and power.cgroup are off");
        return;
    }
    if ((st->scan = procscan_open(root, st->basis)) == NULL) {
        log(LOG_ERR, "attribution: cannot read %s/proc (%s); power.proc and power.cgroup are off",
            root, strerror(errno));
        ledger_free(st->ledger);
        st->ledger = NULL;
        st->enabled = false;
    }
}

void
attribute_close(struct attribute_state *st)
{
    if (st->scan)
        procscan_close(st->scan);
    if (st->ledger)
        ledger_free(st->ledger);
    st->scan = NULL;
    st->ledger = NULL;
}

void
attribute_update(struct attribute_state *st, double now_s, const struct system_state *system,
                 const struct proc_gpu_energy *gpu, size_t ngpu)
{
    const struct proc_sample *procs;
    size_t n;
    double start = monotonic_seconds(), dt;
    int sts;

    if (!st->enabled)
        return;
    if ((sts = procscan_scan(st->scan, &procs, &n)) < 0) {
        /* the next scan's CPU deltas would span two intervals of energy:
         * let it only re-base, so no process is charged the wrong share */
        ledger_rebase(st->ledger);
        st->last_s = now_s;
        st->errors++;
        if (!st->told_failure) {
            st->told_failure = true;
            st->log(LOG_WARNING, "attribution: scan of /proc failed (%s); retrying each interval",
                    strerror(-sts));
        }
        return;
    }
    st->told_failure = false;
    /* the first update only records every process's starting point */
    dt = st->last_s > 0 ? now_s - st->last_s : 0.0;
    ledger_set_idle(st->ledger, system->idle_basis, system->idle_w);
    /* the GPUs' shared part goes by GPU use, the rest by CPU time */
    if (ledger_update(st->ledger, now_s, dt, dt > 0 ? system->interval_energy_j - system->interval_gpu_j : 0.0,
                      system->interval_busy_ns, system->interval_total_ns, procs, n) < 0)
        st->errors++;
    if (dt > 0)
        ledger_add_gpu(st->ledger, dt, system->interval_gpu_j, system->interval_gpu_active_j, system->gpu_scale,
                       gpu, ngpu);
    st->last_s = now_s;
    st->scan_ms = (monotonic_seconds() - start) * 1e3;
}

bool
attribute_set_mode(struct attribute_state *st, const char *mode)
{
    if (!st->ledger)
        return false;
    if (strcmp(mode, "active") == 0)
        ledger_set_mode(st->ledger, ATTRIBUTE_ACTIVE);
    else if (strcmp(mode, "all") == 0)
        ledger_set_mode(st->ledger, ATTRIBUTE_ALL);
    else
        return false;
    return true;
}

const char *
attribute_mode_name(const struct attribute_state *st)
{
    if (!st->ledger)
        return "off";
    return ledger_mode(st->ledger) == ATTRIBUTE_ALL ? "all" : "active";
}

uint64_t
attribute_memory(const struct attribute_state *st)
{
    return (st->scan ? procscan_memory(st->scan) : 0) + (st->ledger ? ledger_memory(st->ledger) : 0);
}
