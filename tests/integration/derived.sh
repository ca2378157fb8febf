#!/usr/bin/env bash
# The derived metrics of derived/power.conf, installed where PCP 6 clients
# load them ($PCP_SYSCONF_DIR/derived, pmLoadDerivedConfig(3); the test
# points PCP_DERIVED_CONFIG at the DESTDIR copy), fetched through the
# private pmcd with the linux agent beside ours (hinv.ncpu): they load
# without a warning, pminfo -f shows values, and each equals its formula
# over the agent's own metrics from the same fetch (pmprobe batches them,
# so all come from one agent sample). The fake RAPL zone runs at 25 W
# under the utilisation model as power.system, with a CPU burner so that
# some CPU time is busy.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"
BURNER=
trap '[ -n "$BURNER" ] && kill "$BURNER" 2>/dev/null; pmpower_cleanup' EXIT

mkdir -p "$WORK/log"
DEST=$WORK/dest
DESTDIR=$DEST sh "$TOP/scripts/install-files" install > "$WORK/log/install.log" 2>&1
DERIVED=$DEST$PCP_SYSCONF_DIR/derived
check_cmd "make install puts derived/power.conf in \$PCP_SYSCONF_DIR/derived" "$(cat "$WORK/log/install.log")" \
    -- test -f "$DERIVED/power.conf"
export PCP_DERIVED_CONFIG=$DERIVED

fake_rapl "$WORK/root" 25
ln -s /proc "$WORK/root/proc"
printf '[system]\npriority = model\n' > "$WORK/power.conf"
( while :; do :; done ) &
BURNER=$!
PMCD_LINUX=1 pmcd_start -r "$WORK/root" -t 0.25 -c "$WORK/power.conf" ||
    { not_ok "private pmcd with the agent and the linux agent starts"; exit 1; }
wait_samples 4

pminfo $PMH -f power.derived > "$WORK/pminfo.out" 2> "$WORK/pminfo.err"
sed 's/^/# /' "$WORK/pminfo.out" | head -30
check_empty "$(cat "$WORK/pminfo.err")" "the derived metrics load without a warning"
for m in idle_power joules_per_busy_cpu_second share.rapl share.meter share.vm share.soc share.battery; do
    check_file_has "$WORK/pminfo.out" "^power\.derived\.$m\$" "pminfo lists power.derived.$m"
done
check_match "$(sed -n '/^power.derived.idle_power$/,/^$/p' "$WORK/pminfo.out")" 'value [0-9]' \
    "pminfo -f shows power.derived.idle_power"
check_match "$(sed -n '/^power.derived.share.rapl$/,/^$/p' "$WORK/pminfo.out")" 'inst \[0 or "package-0"\] value [0-9]' \
    "pminfo -f shows power.derived.share.rapl for package-0"
check_match "$(pminfo $PMH -T power.derived.share.rapl)" 'Zones nest' "the help text comes with them"

# each against its formula, all values from one fetch
for _ in 1 2 3; do
    pmprobe -v $PMH power.derived.idle_power power.derived.joules_per_busy_cpu_second \
        power.derived.share.rapl power.system.power power.system.active_power \
        power.system.utilization power.rapl.power hinv.ncpu > "$WORK/probe.out" 2>&1
    u=$(awk '$1 == "power.system.utilization" { print $3 }' "$WORK/probe.out")
    awk -v u="$u" 'BEGIN { exit !(u > 0) }' && break
    wait_samples 2
done
sed 's/^/# /' "$WORK/probe.out"
v() { awk -v m="$1" '$1 == m && $2 >= 1 { print $3 }' "$WORK/probe.out"; }
p=$(v power.system.power) a=$(v power.system.active_power) u=$(v power.system.utilization)
r=$(v power.rapl.power) n=$(v hinv.ncpu)
near "$(v power.derived.idle_power)" "$(awk -v p="$p" -v a="$a" 'BEGIN { printf "%.12g", p - a }')" 1e-9 \
    "idle_power is power.system.power - power.system.active_power"
near "$(v power.derived.joules_per_busy_cpu_second)" \
    "$(awk -v p="$p" -v u="$u" -v n="$n" 'BEGIN { printf "%.12g", p / (u * n) }')" 1e-9 \
    "joules_per_busy_cpu_second is power.system.power / (utilization x hinv.ncpu)"
near "$(v power.derived.share.rapl)" "$(awk -v p="$p" -v r="$r" 'BEGIN { printf "%.12g", r / p }')" 1e-9 \
    "share.rapl is the zone's power over power.system.power"
# the share is of a zone that draws power (its watts are not checked: one 0.25 s sample of a
# shell-written zone swings with the machine's load, 22 to 37 W seen for 25; the formulas
# above, from one fetch, are the test)
check_num "$r" '>' 0 "the zone draws power"
fake_rapl_stop
sanitizer_check
finish
