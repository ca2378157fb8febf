#!/usr/bin/env bash
# RAPL through a private pmcd: zone names, values, rates, wraps, help text,
# power.system from psys, over a fake tree advanced at known watts and over
# the real sysfs snapshots.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
DEV=$ROOT/sys/devices/virtual/powercap/intel-rapl
# package-0 wraps every 0.6 s at 50 W (a 30 J range); psys runs at 80 W
echo 29999999 > "$DEV/intel-rapl:0/max_energy_range_uj"
advance_start "$DEV/intel-rapl:0/energy_uj" 50 29999999
advance_start "$DEV/intel-rapl:1/energy_uj" 80
pmcd_start -r "$ROOT" -t 0.1 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 6

names=$(pminfo $PMH -f power.rapl.energy | sed -n 's/.*or "\(.*\)"\].*/\1/p' | sort | tr '\n' ' ')
check '[ "$names" = "package-0 package-0/core package-0/dram psys " ]' "zone instances named by package" "got '$names'"
near "$(value power.rapl.power psys)" 80 0.05 "psys power is 80 W"
near "$(value power.rapl.power package-0)" 50 0.05 "package-0 power is 50 W across wraps"
wraps=$(value power.rapl.wraps package-0)
check '[ "${wraps:-0}" -ge 1 ]' "package-0 wraps are counted" "wraps=$wraps"
near "$(value power.rapl.max_energy_range package-0)" 29.999999 1e-9 "max_energy_range in joules"
check '[ "$(value power.system.source)" = rapl:psys ]' "power.system comes from psys by default" "$(value power.system.source)"
near "$(value power.system.power)" 80 0.05 "power.system.power is psys's 80 W"

# pmval rate-converts the counter; each end of a window is as old as the
# agent's latest sample (0.1 s, more when a loaded machine makes it late),
# so one 5 s window keeps 0.6 s of staleness inside the 12 % band (1 s
# windows left a late sample 2 % of slack)
rates=$(pmval $PMH -f 3 -t 5 -s 2 -i package-0 power.rapl.energy 2>&1 | awk '/^[ 0-9.]+$/ { print $1 }' | tail -1)
bad=$(echo "$rates" | awk '$1 < 44 || $1 > 56' | wc -l)
check '[ -n "$rates" ] && [ "$bad" -eq 0 ]' "pmval rate of power.rapl.energy is 50 W in every interval" "rates: $(echo $rates)"
e1=$(value power.rapl.energy package-0); wait_samples 3; e2=$(value power.rapl.energy package-0)
check 'awk -v a="$e1" -v b="$e2" "BEGIN { exit !(b > a) }"' "the extended counter keeps rising through wraps" "$e1 -> $e2"

help=$(pminfo $PMH -T power.rapl.energy)
check 'echo "$help" | grep -q "extended to 64 bits"' "help text served for power.rapl.energy"
check 'pminfo $PMH -T power.rapl.energy | grep -q "RAPL powercap zones" || pminfo $PMH -tT power.rapl.energy >/dev/null' "indom help present"
labels=$(pminfo $PMH -l power.rapl.energy)
check 'echo "$labels" | grep -q "\"units\":\"joules\""' "energy metrics carry units=joules"
check 'pminfo $PMH -l power.rapl.power | grep -q "\"units\":\"watts\""' "power metrics carry units=watts"
check 'pmprobe $PMH -I power.rapl.energy | grep -q "\"psys\""' "pmprobe lists instances"
check 'pminfo $PMH -T power.rapl.energy | grep -q "the core subzone counts one core only"' \
    "help says an AMD core zone is one core, never to be summed"
pmcd_stop
sanitizer_check

# A two-socket server whose platform counter is read through package 1, as
# on Sapphire Rapids and TPMI parts: the kernel registers package-0
# (intel-rapl:0), package-1 (intel-rapl:1) and, as a top-level zone, "psys-1"
# (intel-rapl:2) (drivers/powercap/intel_rapl_common.c, rapl_init_domains and
# rapl_package_register_powercap)
ROOT2=$WORK/root2
DEV2=$ROOT2/sys/devices/virtual/powercap/intel-rapl
mkdir -p "$ROOT2/sys/class/powercap" "$ROOT2/proc"
cp /proc/stat "$ROOT2/proc/stat"
for z in intel-rapl:0:package-0 intel-rapl:0/intel-rapl:0:0:dram intel-rapl:1:package-1 \
         intel-rapl:1/intel-rapl:1:0:dram intel-rapl:2:psys-1; do
    path=${z%:*} name=${z##*:}
    mkdir -p "$DEV2/$path"
    echo "$name" > "$DEV2/$path/name"
    echo 0 > "$DEV2/$path/energy_uj"
    echo 262143328850 > "$DEV2/$path/max_energy_range_uj"
    ln -s "../../devices/virtual/powercap/intel-rapl/$path" "$ROOT2/sys/class/powercap/$(basename "$path")"
done
advance_start "$DEV2/intel-rapl:0/energy_uj" 60
advance_start "$DEV2/intel-rapl:1/energy_uj" 70
advance_start "$DEV2/intel-rapl:2/energy_uj" 200
pmcd_start -r "$ROOT2" -t 0.1 || not_ok "agent over the two-socket tree"
wait_samples 6
names=$(pminfo $PMH -f power.rapl.energy | sed -n 's/.*or "\(.*\)"\].*/\1/p' | sort | tr '\n' ' ')
check '[ "$names" = "package-0 package-0/dram package-1 package-1/dram psys-1 " ]' \
    "two sockets: the platform zone keeps the kernel's name psys-1" "got '$names'"
check '[ "$(value power.system.source)" = rapl:psys ]' "power.system comes from psys-1, not package+dram" \
    "$(value power.system.source)"
# "SYSTEM PSYS1": both counters from one fetch, so from one agent sample
system_and_psys1() {
    pminfo $PMH -f power.system.energy power.rapl.energy |
    awk '/^power\./ { m = $1 } m == "power.system.energy" && $1 == "value" { s = $2 }
         m == "power.rapl.energy" && /"psys-1"/ { p = $NF } END { print s, p }'
}
read -r s1 p1 <<<"$(system_and_psys1)"
wait_samples 5
read -r s2 p2 <<<"$(system_and_psys1)"
echo "# power.system.energy $s1 -> $s2 J, psys-1 $p1 -> $p2 J"
near "$(awk -v a="$s1" -v b="$s2" 'BEGIN { print b - a }')" "$(awk -v a="$p1" -v b="$p2" 'BEGIN { print b - a }')" 1e-9 \
    "power.system.energy adds exactly psys-1's energy"
pmcd_stop
advance_stop
sanitizer_check

# the real snapshots from PCP's QA (zones only below intel-rapl/, trailing NULs)
FIX=${POWER_FIXTURES:-$TOP/tests/fixtures}
for snap in Thinkpad_L480_bat_busy bigsystem; do
    rm -rf "$WORK/snap" && mkdir -p "$WORK/snap" && tar -C "$WORK/snap" -xzf "$FIX/sysfs/$snap.tgz"
    mkdir -p "$WORK/snap/$snap/proc" && cp /proc/stat "$WORK/snap/$snap/proc/stat"
    pmcd_start -r "$WORK/snap/$snap" -t 0.2 || not_ok "agent over $snap"
    wait_samples 2
    out=$(pminfo $PMH -f power.rapl.energy)
    case $snap in
    Thinkpad_L480_bat_busy)
        check 'echo "$out" | grep -q "\"package-0/uncore\"\] value 2711.815506"' "$snap: package-0/uncore reads 2711.815506 J"
        check 'echo "$out" | grep -q "\"psys\"\] value 850.171102"' "$snap: psys reads 850.171102 J"
        # on battery with no AC adapter: the battery outranks psys
        check '[ "$(value power.system.source)" = battery ]' "$snap: on battery alone, power.system names the battery" "$(value power.system.source)" ;;
    bigsystem)
        check 'echo "$out" | grep -q "\"package-1/core\"\] value 3483.880882"' "$snap: two sockets, package-1/core"
        check 'echo "$out" | grep -q "\"package-0\"\] value 13719.626935"' "$snap: package-0 of the second zone" ;;
    esac
    pmcd_stop
done
sanitizer_check
finish
