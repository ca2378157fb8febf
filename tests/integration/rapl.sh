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
# a flat 1 W model: power.model.energy is the agent's own clock (1 J a
# second between its samples), read in the same fetch as the counters
printf '[model]\nidle_watts = 1\nmax_watts = 1\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.1 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 6

names=$(pminfo $PMH -f power.rapl.energy | sed -n 's/.*or "\(.*\)"\].*/\1/p' | sort | tr '\n' ' ')
check_eq "$names" "package-0 package-0/core package-0/dram psys " "zone instances named by package"
# "samples clock psys-energy psys-power package-energy package-power wraps system-power", one fetch
rapl_snap() {
    values power.control.samples power.model.energy 'power.rapl.energy[psys]' 'power.rapl.power[psys]' \
        'power.rapl.energy[package-0]' 'power.rapl.power[package-0]' 'power.rapl.wraps[package-0]' power.system.power
}
# The counters rise at the zones' watts over the agent's own time: 50
# samples at 0.1 s, so a writer late at either end (tests/helpers/advance
# is a process like any other on a loaded machine) is a small part of it.
read -r s1 c1 pe1 _ ke1 _ w1 _ <<<"$(rapl_snap)"
wait_samples 50
read -r s2 c2 pe2 _ ke2 _ w2 _ <<<"$(rapl_snap)"
echo "# samples $s1 -> $s2, clock $c1 -> $c2 s; psys $pe1 -> $pe2 J; package-0 $ke1 -> $ke2 J, wraps $w1 -> $w2"
near "$(awk -v a="$pe1" -v b="$pe2" -v s="$c1" -v t="$c2" 'BEGIN { if (t > s) print (b - a) / (t - s) }')" 80 0.05 \
    "psys energy rises at 80 W of the agent's own time"
near "$(awk -v a="$ke1" -v b="$ke2" -v s="$c1" -v t="$c2" 'BEGIN { if (t > s) print (b - a) / (t - s) }')" 50 0.05 \
    "package-0 energy rises at 50 W across $((w2 - w1)) wraps"
# power.rapl.power is the counter's rise over the agent's latest interval:
# two fetches of consecutive samples, the second across a wrap of package-0
# (one wraps every 6 samples). A late write of the fake counter makes an
# interval read less, and the next more, so the watts are not checked here
# but the arithmetic over the agent's own interval, exactly.
pair=
read -r sa ca pea ppa kea kpa wa spa <<<"$(rapl_snap)"
for _ in $(seq 400); do
    read -r sb cb peb ppb keb kpb wb spb <<<"$(rapl_snap)"
    if [ "$sb" = $((sa + 1)) ] 2>/dev/null && [ "$wb" -gt "$wa" ] 2>/dev/null; then pair=1; break; fi
    read -r sa ca pea ppa kea kpa wa spa <<<"$sb $cb $peb $ppb $keb $kpb $wb $spb"
done
check_nonempty "$pair" "two fetches of consecutive samples, across a wrap" "last: samples $sa -> $sb, wraps $wa -> $wb"
echo "# samples $sa -> $sb, clock $ca -> $cb s; psys $pea -> $peb J at $ppb W; package-0 $kea -> $keb J at $kpb W, wraps $wa -> $wb"
rise() { awk -v a="$1" -v b="$2" -v s="$ca" -v t="$cb" 'BEGIN { if (t > s) printf "%.17g", (b - a) / (t - s) }'; }
near "$ppb" "$(rise "$pea" "$peb")" 1e-6 "psys power is its energy's rise over the agent's interval ($ppb W)"
near "$kpb" "$(rise "$kea" "$keb")" 1e-6 "package-0 power is its energy's rise across a wrap ($kpb W)"
check_num "${w2:-0}" '>=' 1 "package-0 wraps are counted"
near "$(value power.rapl.max_energy_range package-0)" 29.999999 1e-9 "max_energy_range in joules"
check_eq "$(value power.system.source)" rapl:psys "power.system comes from psys by default"
near "$spb" "$ppb" 1e-9 "power.system.power is psys's, in the same sample"

# pmval rate-converts the counter; each end of a window is as old as the
# agent's latest sample (0.1 s, more when a loaded machine makes it late),
# so one 5 s window keeps 0.6 s of staleness inside the 12 % band (1 s
# windows left a late sample 2 % of slack)
rates=$(pmval $PMH -f 3 -t 5 -s 2 -i package-0 power.rapl.energy 2>&1 | awk '/^[ 0-9.]+$/ { print $1 }' | tail -1)
bad=$(echo "$rates" | awk '$1 < 44 || $1 > 56' | wc -l)
check_nonempty "$rates" "pmval rate-converts power.rapl.energy"
check_eq "$bad" 0 "pmval rate of power.rapl.energy is 50 W in every interval" "rates: $(echo $rates)"
e1=$(value power.rapl.energy package-0); wait_samples 3; e2=$(value power.rapl.energy package-0)
check_num "$e2" '>' "$e1" "the extended counter keeps rising through wraps"

help=$(pminfo $PMH -T power.rapl.energy)
check_match "$help" 'extended to 64 bits' "help text served for power.rapl.energy"
indom_help() { grep -q "RAPL powercap zones" <<<"$help" || pminfo $PMH -tT power.rapl.energy >/dev/null; }
check_cmd "indom help present" -- indom_help
check_match "$(pminfo $PMH -l power.rapl.energy)" '"units":"joules"' "energy metrics carry units=joules"
check_match "$(pminfo $PMH -l power.rapl.power)" '"units":"watts"' "power metrics carry units=watts"
check_match "$(pmprobe $PMH -I power.rapl.energy)" '"psys"' "pmprobe lists instances"
check_match "$help" 'the core subzone counts one core only' "help says an AMD core zone is one core, never to be summed"
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
check_eq "$names" "package-0 package-0/dram package-1 package-1/dram psys-1 " \
    "two sockets: the platform zone keeps the kernel's name psys-1"
check_eq "$(value power.system.source)" rapl:psys "power.system comes from psys-1, not package+dram"
# both counters from one fetch, so from one agent sample
read -r s1 p1 <<<"$(values power.system.energy 'power.rapl.energy[psys-1]')"
wait_samples 5
read -r s2 p2 <<<"$(values power.system.energy 'power.rapl.energy[psys-1]')"
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
        check_match "$out" '"package-0/uncore"\] value 2711\.815506' "$snap: package-0/uncore reads 2711.815506 J"
        check_match "$out" '"psys"\] value 850\.171102' "$snap: psys reads 850.171102 J"
        # on battery with no AC adapter: the battery outranks psys
        check_eq "$(value power.system.source)" battery "$snap: on battery alone, power.system names the battery" ;;
    bigsystem)
        check_match "$out" '"package-1/core"\] value 3483\.880882' "$snap: two sockets, package-1/core"
        check_match "$out" '"package-0"\] value 13719\.626935' "$snap: package-0 of the second zone" ;;
    esac
    pmcd_stop
done
sanitizer_check
finish
