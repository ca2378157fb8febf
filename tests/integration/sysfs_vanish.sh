#!/usr/bin/env bash
# sysfs files that go away under the agent. Real sysfs (kernfs) fails the
# read of a file whose node was removed after it was opened with ENODEV
# (linux fs/kernfs/file.c, kernfs_fop_read_iter: kernfs_get_active() fails);
# the test makes that happen for real with cgroup v2 files, which are
# kernfs nodes too: a RAPL energy_uj that is a symlink to one, held open by
# the agent, dies with its cgroup. A battery or VM file whose read fails
# (kernfs answers EINVAL for a write-only file; the ACPI battery driver
# answers ENODEV for an absent battery, drivers/acpi/battery.c
# acpi_battery_get_property) is a counted error. In a tree that is not
# sysfs, a RAPL file can also be replaced by a rename while the agent holds
# the old one. Each time: no crash, no stale value, a counted error, and
# the values come back when the file does, without counting the gap.
. "$(dirname "$0")/../lib/common.sh"

W=10
ROOT=$WORK/root
make_rapl_tree "$ROOT"
DEV=$ROOT/sys/devices/virtual/powercap/intel-rapl
PSYS=$DEV/intel-rapl:1/energy_uj
PS=$ROOT/sys/class/power_supply
SCAPH=$ROOT/var/lib/libvirt/scaphandre/alpha/intel-rapl:0
mkdir -p "$PS/BAT0" "$SCAPH"
printf 'Battery\n' > "$PS/BAT0/type"
printf 'Discharging\n' > "$PS/BAT0/status"
printf '12000000\n' > "$PS/BAT0/power_now"
printf '40000000\n' > "$PS/BAT0/energy_now"
printf '5000000' > "$SCAPH/energy_uj"

# a kernfs file to stand for sysfs: cgroup v2's, where it can be written
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
KF=
if [ -n "$CG" ] && mkdir "$CG/power-test-kf-$$" 2>/dev/null; then
    KF=$CG/power-test-kf-$$
fi
WRITER=
cleanup() {
    [ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null && wait "$WRITER" 2>/dev/null
    [ -n "$KF" ] && rmdir "$KF" 2>/dev/null
    advance_stop; pmcd_stop
}
trap cleanup EXIT
# kf_writer AHEAD_US: the kernfs file counts microjoules at W watts from now,
# plus AHEAD_US microseconds' worth, rewritten every 20 ms
kf_writer() {
    ( t0=$(( ${EPOCHREALTIME/./} - $1 ))
      while :; do
          now=${EPOCHREALTIME/./}
          echo $(((now - t0) * W)) 2>/dev/null > "$KF/cgroup.max.descendants"
          sleep 0.02
      done ) 2>/dev/null &
    WRITER=$!
}
if [ -n "$KF" ]; then
    # package-0's energy_uj is the kernfs file cgroup.max.descendants (an
    # int: 2147 J at most, minutes at 10 W), written at W watts from the clock
    echo 0 > "$KF/cgroup.max.descendants"
    echo 2147483647 > "$DEV/intel-rapl:0/max_energy_range_uj"
    ln -sf "$KF/cgroup.max.descendants" "$DEV/intel-rapl:0/energy_uj"
    kf_writer 0
fi
advance_start "$PSYS" $W
# the VM file is a true microjoule counter here, as format microjoules reads it
printf '[system]\npriority = rapl:psys\n[rapl]\nrescan = 1\n[vm]\nformat = microjoules\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent starts"; finish; exit 1; }
wait_samples 5
errors() { value power.source.errors "$1"; }
# most_joules SINCE: the most a W-watt zone can have counted since the
# test's clock read SINCE (EPOCHREALTIME), with two agent intervals to spare:
# an upper bound that a slow host only widens, never breaks
most_joules() { awk -v s="$1" -v n="$EPOCHREALTIME" -v w=$W 'BEGIN { printf "%.3f", w * (n - s + 0.4) }'; }

# 1. a RAPL zone removed from sysfs while the agent holds its energy_uj
if [ -n "$KF" ]; then
    check_nonempty "$(value power.rapl.power package-0)" "the kernfs-backed zone has power" "$(pminfo $PMH -f power.rapl.power)"
    since=$EPOCHREALTIME
    e0=$(value power.rapl.energy package-0)
    err0=$(errors rapl)
    kill "$WRITER"; wait "$WRITER" 2>/dev/null; WRITER=
    rmdir "$KF"
    wait_samples 10        # 2 s away
    check_empty "$(value power.rapl.energy package-0)" \
        "pread on the removed kernfs file fails (ENODEV): the zone has no energy, not a stale one"
    check_empty "$(value power.rapl.power package-0)" "nor a power"
    check_num "$(errors rapl)" '>' "$err0" "the failed read is counted in power.source.errors"
    gone=$(errors rapl)
    wait_samples 5
    check_eq "$(errors rapl)" "$gone" "a zone that is gone is absent, not an error every sample"
    # it comes back (its counter moved on meanwhile: the new node reads the writer's total)
    mkdir "$KF"
    kf_writer 30000000      # as if 30 s at W had passed
    wait_until 60 has_value power.rapl.power package-0
    check_nonempty "$(value power.rapl.power package-0)" "the zone is back with power after a rescan"
    e1=$(value power.rapl.energy package-0)
    most=$(most_joules "$since")
    echo "# package-0: $e0 J before, $e1 J once back; at most $most J in the time that passed"
    check_between "$(awk -v a="$e0" -v b="$e1" 'BEGIN { print b - a }')" 0 "$most" \
        "its counter goes on from where it was: the gap (and the 300 J it jumped) is not counted ($e0 -> $e1 J)"
else
    ok "a RAPL zone removed from sysfs: skipped, no writable cgroup v2 for a kernfs file # SKIP"
fi

# 2. energy_uj replaced by a rename while the agent holds the old file (not sysfs)
check_nonempty "$(value power.rapl.power psys)" "psys has power" "$(pminfo $PMH -f power.rapl.power)"
err0=$(errors rapl)
advance_stop
since=$EPOCHREALTIME
e0=$(value power.rapl.energy psys)
printf '%s\n' 900000000 > "$PSYS.new" && mv "$PSYS.new" "$PSYS"
advance_start "$PSYS" $W
wait_samples 10
p=$(value power.rapl.power psys)
echo "# psys after the rename: $p W"
near "$p" $W 0.25 "psys power follows the new file, not the frozen old one"
check_num "$(errors rapl)" '>' "$err0" "the replaced file is counted in power.source.errors"
check_file_has "$WORK/log/power.log" 'energy_uj was removed or replaced' "and logged"
e1=$(value power.rapl.energy psys)
check_between "$(awk -v a="$e0" -v b="$e1" 'BEGIN { print b - a }')" 0 "$(most_joules "$since")" \
    "the jump to the new file's 900 J is not counted ($e0 -> $e1 J)"
near "$(value power.system.power)" $W 0.25 "power.system (psys) is right again"

# 3. a battery file whose read fails, then reads again
check_nonempty "$(value power.battery.power BAT0)" "BAT0 has power"
err0=$(errors battery)
if [ -n "$KF" ]; then
    mv "$PS/BAT0/power_now" "$WORK/power_now"
    ln -s "$KF/cgroup.kill" "$PS/BAT0/power_now"     # kernfs: open succeeds, read fails
    wait_samples 5
    check_empty "$(value power.battery.power BAT0)" "a power_now whose read fails gives no power, not a stale one"
    check_num "$(errors battery)" '>' "$err0" "the failed read is counted"
    rm "$PS/BAT0/power_now"
    mv "$WORK/power_now" "$PS/BAT0/power_now"
    wait_samples 5
    near "$(value power.battery.power BAT0)" 12 0.001 "BAT0's power is back when the file reads again"
else
    ok "a battery file whose read fails: skipped, no kernfs file # SKIP"
fi

# 4. a VM file whose read fails, then a good one
near "$(value power.vm.energy alpha)" 5 1e-9 "the VM's counter is read"
err0=$(errors vm)
if [ -n "$KF" ]; then
    mv "$SCAPH/energy_uj" "$WORK/vm_energy"
    ln -s "$KF/cgroup.kill" "$SCAPH/energy_uj"
    wait_samples 5
    check_num "$(errors vm)" '>' "$err0" "a VM file whose read fails is counted"
    check_eq "$(value power.source.state vm)" active "and the source carries on"
    rm "$SCAPH/energy_uj"
else
    rm "$SCAPH/energy_uj"
    ok "a VM file whose read fails: skipped, no kernfs file # SKIP"
fi
printf '6000000' > "$SCAPH/energy_uj.new" && mv "$SCAPH/energy_uj.new" "$SCAPH/energy_uj"
wait_samples 5
e=$(value power.vm.energy alpha)
check_between "$e" 5 6.000000001 "the VM's counter comes back, never below where it was"

check_cmd "pmcd is up throughout" -- ! exited "$PMCD_PID"
check_cmd "and the agent" -- agent_serves
pmcd_stop
sanitizer_check
finish
