/*
 * attribution.h: apportion the host's energy to processes and cgroups by
 * their share of CPU time (design.md, "Attribution").
 *
 * Pure arithmetic: no I/O, no clock, no PCP. The caller (the agent's timer)
 * hands in, once per interval, the system energy delta, the /proc/stat busy
 * and total CPU deltas, and a snapshot of every process's cumulative on-CPU
 * time; the ledger matches processes across snapshots and keeps cumulative
 * per-process and per-cgroup accounts the agent publishes as counters.
 *
 * Per interval, with dE the energy delta, B and T the busy and total CPU
 * time deltas and c_i the growth of process i's cpu_ns (only for processes
 * present in both this snapshot and the previous one), C = sum c_i:
 *
 *   active = dE * B/T                       idle = dE - active
 *     (or, with ledger_set_idle(IDLE_BASELINE, idle_w), active =
 *     dE - idle_w * dt, never negative: idle.h)
 *   ATTRIBUTE_ACTIVE: e_i = active * c_i / max(B, C)
 *                     unattributed += active - sum e_i
 *   ATTRIBUTE_ALL:    e_i = dE * c_i / C   (sum e_i = dE)
 *                     when C == 0 nobody ran that we saw, so all of dE goes
 *                     to unattributed; conservation still holds.
 *
 * The "base" of an interval is what it apportions: active, or dE in mode
 * all. Invariants (held by tests/unit/test_attribution.c):
 *   - no energy is ever negative; every cumulative figure never decreases
 *     (T == 0, dE <= 0 or dE not finite apportion nothing);
 *   - attributed + unattributed == base, per interval and cumulatively;
 *   - attributed == sum of listed processes' energy + exited;
 *   - attributed == sum of cgroups' energy + energy of removed cgroups;
 *   - (pid, start_ticks) identifies a process: a reused PID is a new
 *     process whose energy starts at 0.
 */
#ifndef POWER_ATTRIBUTION_H
#define POWER_ATTRIBUTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idle.h"

/* One process in one snapshot. The strings are only read during the
 * ledger_update call that first sees the process (the ledger copies them);
 * they may be NULL on later snapshots. */
struct proc_sample {
    int32_t     pid;
    uint64_t    start_ticks;   /* /proc/PID/stat field 22; with pid, the identity */
    uint64_t    cpu_ns;        /* cumulative on-CPU time, in the chosen basis */
    const char *name;          /* "%06d cmd", the proc PMDA's instance name; NULL -> "%06d" */
    const char *cgroup;        /* cgroup v2 path; NULL -> "/" */
};

enum attribute_mode {
    ATTRIBUTE_ACTIVE,   /* apportion only the busy share of the energy (default) */
    ATTRIBUTE_ALL       /* spread idle energy too: processes carry all of dE */
};

struct cgroup_account;

/* What the agent publishes per process (power.proc.*). PCP instance id is
 * pid, instance name is name. */
struct proc_account {
    int32_t     pid;
    uint64_t    start_ticks;
    const char *name;               /* owned by the ledger */
    const struct cgroup_account *cgroup;
    uint64_t    cpu_ns;             /* latest basis seen (frozen once gone) */
    double      energy_j;           /* cumulative; never decreases */
    double      power_w;            /* mean over the latest interval; 0 once gone */
    double      share;              /* e_i / base of the latest interval; 0 once gone */
    double      gpu_energy_j;       /* the part of energy_j from GPUs (ledger_add_gpu) */
    bool        gone;               /* absent from the latest snapshot, kept for the grace period */
};

/* power.cgroup.*: sums of the member processes, including members that have
 * exited, so energy_j never decreases while the cgroup is listed. A cgroup
 * is listed while it has members, live or gone-in-grace (so it outlives its
 * last process by grace_s); a path that returns after that is a new
 * instance whose energy restarts at 0. A process belongs to the cgroup it
 * was in when first seen. */
struct cgroup_account {
    const char *path;               /* owned by the ledger */
    double      energy_j;           /* cumulative */
    double      power_w;            /* mean over the latest interval */
    double      last_j;             /* energy of the latest interval (power_w * dt) */
    size_t      members;            /* listed processes (live or gone-in-grace) */
};

/* Energy figures in joules, either cumulative since ledger_new
 * (ledger_total) or for the latest interval alone (ledger_last). */
struct ledger_energy {
    double system;          /* sum of dE (negative / non-finite dE count as 0) */
    double active;          /* dE * B/T, or dE - idle_w * dt (idle.h) */
    double idle;            /* dE - active */
    double unexplained;     /* baseline only: idle_w * dt beyond dE, not in system */
    double base;            /* what was apportioned: active, or dE in mode all */
    double attributed;      /* sum e_i */
    double unattributed;    /* base - sum e_i  (power.proc.unattributed.energy) */
    double exited;          /* energy of processes removed from the table */
    double cgroups_removed; /* energy of cgroups removed from the table */
    /* the GPUs' part of the above (ledger_add_gpu); system etc. include it */
    double gpu_system;      /* GPU energy shared by GPU use */
    double gpu_active;      /* its busy part */
    double gpu_base;        /* gpu_active, or gpu_system in mode all */
    double gpu_attributed;  /* given to listed processes */
    double gpu_unattributed;/* gpu_base - gpu_attributed */
};

/* Event counts since ledger_new, for diagnostics and tests. */
struct ledger_stats {
    uint64_t updates;
    uint64_t procs_new;         /* processes first seen */
    uint64_t procs_removed;     /* left the table (grace expired or PID reused) */
    uint64_t pid_reuses;        /* a PID came back with another start_ticks */
    uint64_t counter_resets;    /* cpu_ns went backwards; re-based */
    uint64_t duplicates;        /* a PID listed twice in one snapshot; later copy ignored */
    uint64_t dropped;           /* processes not tracked for want of memory */
    uint64_t no_attribution;    /* intervals with T == 0 or dE <= 0 */
};

struct ledger;

/* grace_s: how long a vanished process (and an emptied cgroup) stays
 * listed, counters frozen, so a client polling slower than the timer
 * still sees its final energy. NULL when out of memory. */
struct ledger *ledger_new(enum attribute_mode mode, double grace_s);
void ledger_free(struct ledger *ledger);

/* Takes effect from the next ledger_update. */
void ledger_set_mode(struct ledger *ledger, enum attribute_mode mode);

/* How active energy is told from idle (idle.h), from the next
 * ledger_update on: IDLE_UTILISATION (the default) or IDLE_BASELINE with
 * the host's idle power idle_w, applied over each update's dt_s. */
void ledger_set_idle(struct ledger *ledger, enum idle_basis basis, double idle_w);

/* The next ledger_update only records every process's basis and
 * attributes nothing to processes (its base goes to unattributed): call it
 * when the meaning of cpu_ns changed (another procscan basis), so no
 * process is charged the jump between bases. Energies are kept. */
void ledger_rebase(struct ledger *ledger);

enum attribute_mode ledger_mode(const struct ledger *ledger);

/*
 * One interval ending at now_s (monotonic seconds) of length dt_s, over
 * which the system used dE_j joules, with busy_ns and total_ns CPU time
 * from /proc/stat (cpu_totals_busy / cpu_totals_all deltas), and procs the
 * snapshot taken at its end (any order). The first call only records the
 * processes' bases: pass dE_j = 0 then.
 *
 * Returns 0, or -ENOMEM when some new processes could not be tracked: the
 * ledger stays consistent, those processes are left out (stats.dropped)
 * and their CPU time falls to unattributed (mode active).
 *
 * Cost: O(n + listed processes + cgroups); no allocation for processes
 * already known.
 */
int ledger_update(struct ledger *ledger, double now_s, double dt_s,
                  double dE_j, uint64_t busy_ns, uint64_t total_ns,
                  const struct proc_sample *procs, size_t n);

/* One process's share of the GPUs' energy in an interval
 * (sources/gpu_share.h): active_j under mode active, all_j under mode all. */
struct proc_gpu_energy {
    int32_t pid;
    double  active_j;
    double  all_j;
};

/*
 * The GPUs' part of the interval ledger_update just apportioned (call it
 * right after, with the same dt_s; ledger_update's dE_j excluded it):
 * gpu_j of GPU energy, gpu_active_j of it busy, shared among the
 * processes in procs (by pid; each share times scale). A pid not listed
 * by the latest ledger_update (outside the scanned /proc) leaves its share
 * unattributed. The conservation invariants hold with it: the processes'
 * GPU shares + gpu_unattributed = gpu_base (gpu_active in mode active,
 * gpu_j in mode all), and every total above includes the GPUs' part.
 */
void ledger_add_gpu(struct ledger *ledger, double dt_s, double gpu_j, double gpu_active_j, double scale,
                    const struct proc_gpu_energy *procs, size_t n);

/* Read side. Indices run 0..count-1 and are valid until the next
 * ledger_update (which may reorder them); the pointers likewise. */
size_t ledger_proc_count(const struct ledger *ledger);
const struct proc_account *ledger_proc(const struct ledger *ledger, size_t i);
const struct proc_account *ledger_proc_find(const struct ledger *ledger, int32_t pid);
size_t ledger_cgroup_count(const struct ledger *ledger);
const struct cgroup_account *ledger_cgroup(const struct ledger *ledger, size_t i);
const struct cgroup_account *ledger_cgroup_find(const struct ledger *ledger, const char *path);

const struct ledger_energy *ledger_total(const struct ledger *ledger);
const struct ledger_energy *ledger_last(const struct ledger *ledger);
const struct ledger_stats *ledger_stats(const struct ledger *ledger);

/* Bytes the ledger has allocated (tables, accounts, strings): for the
 * agent's own diagnostics and the memory-bound test. */
size_t ledger_memory(const struct ledger *ledger);

#endif
