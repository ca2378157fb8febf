#!/usr/bin/env bash
# power.cgroup's instance cache (pmdaCache, saved under PCP_VAR_DIR) on a
# host whose cgroup paths come and go: a path with no process for
# [attribution] cgroup_retain seconds is purged, saved or loaded; a busy
# path stays. Processes live in a fake /proc under the agent's root.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
advance_start "$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj" 30
P=$ROOT/proc
mkdir -p "$P/sys/kernel"
echo 32768 > "$P/sys/kernel/pid_max"
echo "0.00 0.00 0.00 1/100 4243" > "$P/loadavg"
# proc PID COMM CGROUP: a process as /proc shows it (stat fields as in proc(5))
proc() {
    mkdir -p "$P/$1"
    echo "$1 ($2) S 1 $1 $1 0 -1 4194560 100 0 0 0 5 5 0 0 20 0 1 0 1000 1000000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0" > "$P/$1/stat"
    printf '/usr/bin/%s\0' "$2" > "$P/$1/cmdline"
    echo "0::$3" > "$P/$1/cgroup"
}
proc 4242 job /transient.slice/job-1.scope
proc 4243 db /system.slice/db.service

# the cache as a previous run left it: a path last seen in 2001
cache=$WORK/var/config/pmda/$DOMAIN.3
mkdir -p "$(dirname "$cache")"
printf '2 0 2147483647\n0 1000000000 /system.slice/db.service\n1 1000000000 /ancient.slice/gone.scope\n' > "$cache"

printf '[system]\npriority = rapl:package+dram\n[attribution]\ngrace = 0.5\ncgroup_retain = 2\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "agent started"; finish; exit 1; }
wait_samples 5

cgroups() { pminfo $PMH -f power.cgroup.energy | sed -n 's/^ *inst \[\([0-9]*\) or "\([^"]*\)"\].*/\1:\2/p' | sort | tr '\n' ' '; }
ids=$(cgroups)
check_match "$ids" '(^| )0:/system\.slice/db\.service ' "a path from the saved cache keeps its id"
check_match "$ids" '(^| )2:/transient\.slice/job-1\.scope ' "a new one gets the next"
# libpcp_pmda rewrites the cache file in place (truncate, then write): a
# read can see it empty or half written, so the checks look at one read of
# it, and a purge counts only in a read that holds db, which is never purged
snap=
read_cache() { snap=$(cat "$cache" 2>/dev/null); }
purged() { read_cache; [[ $snap == *db.service* && $snap != *"$1"* ]]; }
wait_until 60 purged ancient
check_no_match "$snap" 'ancient' "a path idle longer than cgroup_retain in the saved cache is purged a period after start"
check_file_has "$WORK/log/power.log" 'purged 1 path with no process' "and the purge is logged"

# the job ends; db keeps running
rm -rf "${P:?}/4242"
wait_until 60 purged job-1
check_no_match "$snap" 'job-1' "a path whose processes ended is purged cgroup_retain s later"
check_match "$snap" '/system\.slice/db\.service' "a busy path is never purged from the cache, however long it has been there"
ids=$(cgroups)
check_match "$ids" '(^| )0:/system\.slice/db\.service ' "nor from power.cgroup"
check_no_match "$ids" 'job-1' "the purged path is gone from power.cgroup"
# more purge periods (one a second: cgroup_retain / 2) of the agent's own
# time: 16 samples at 0.2 s are more than 3 s, the timer never fires early
wait_samples 16
check_eq "$(grep -c "purged 1 path" "$WORK/log/power.log")" 2 "nothing more to purge: each purge is logged once" \
    "$(grep purged "$WORK/log/power.log")"
pmcd_stop
sanitizer_check
finish
