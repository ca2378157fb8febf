#!/usr/bin/env bash
# Batteries through a private pmcd: instance names and ids, discharge power,
# the energy counter, power.system from the battery only off AC, charging, a
# battery removed and back, the energy_now rate where power_now is missing,
# bad input, help text and units; then the real snapshots from PCP's QA.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
PS=$ROOT/sys/class/power_supply
mkdir -p "$ROOT/proc"
cp /proc/stat "$ROOT/proc/stat"

# put_if_there FILE TEXT: as put_file (common.sh), but never creating the directory: a
# writer that raced a battery's removal with mkdir -p made an empty BAT1,
# and the real one, moved back, landed inside it (seen once under load)
put_if_there() {
    { printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"; } 2>/dev/null
}

put_file "$PS/AC/type" Mains
put_file "$PS/AC/online" 0
put_file "$PS/BAT0/type" Battery
put_file "$PS/BAT0/status" Discharging
put_file "$PS/BAT0/power_now" 15000000
put_file "$PS/BAT0/energy_now" 40000000
put_file "$PS/BAT0/capacity" 75
# BAT1 has no power_now: its energy_now falls at 10 W (2777.8 uWh/s),
# refreshed every 0.5 s as firmware would, from the clock so timing slips
# do not change the mean
put_file "$PS/BAT1/type" Battery
put_file "$PS/BAT1/status" Discharging
put_file "$PS/BAT1/energy_now" 20000000
put_file "$PS/BAT1/capacity" 50
# drain FILE START_UWH WATTS [FILE START_UWH WATTS ...]: each energy_now
# falls at WATTS, rewritten every 0.5 s from the clock ($EPOCHREALTIME: no
# date or awk started per write, which a loaded machine delays by a good
# part of a second and skewed a rate by 40 % once)
drain() {
    local args=("$@") t0=${EPOCHREALTIME//[.,]/} elapsed_us i
    while :; do
        elapsed_us=$(( ${EPOCHREALTIME//[.,]/} - t0 ))
        for ((i = 0; i < ${#args[@]}; i += 3)); do
            put_if_there "${args[i]}" $(( args[i + 1] - elapsed_us * args[i + 2] / 3600 ))
        done
        sleep 0.5
    done
}
drain "$PS/BAT1/energy_now" 20000000 10 &
DRAIN=$!
trap 'kill $DRAIN 2>/dev/null; advance_stop; pmcd_stop' EXIT

# "E T": BAT0's energy counter and the agent's clock (power.model.energy, see
# the config below), from ONE fetch
bat0_energy_and_clock() { values 'power.battery.energy[BAT0]' power.model.energy; }

# A flat model curve (1 W busy or idle) makes power.model.energy the agent's
# own clock: it adds 1 J per second between the agent's samples, the same
# sample times the batteries are integrated over.
printf '[model]\nidle_watts = 1\nmax_watts = 1\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 3

out=$(pminfo $PMH -f power.battery.status)
check_match "$out" 'inst \[0 or "BAT0"\] value "Discharging"' "BAT0 is instance 0, status Discharging"
check_match "$out" 'inst \[1 or "BAT1"\]' "BAT1 is instance 1"
near "$(value power.battery.power BAT0)" 15 1e-9 "BAT0 power from power_now: 15 W"
check_eq "$(value power.battery.method BAT0)" power_now "BAT0 method power_now"
check_eq "$(value power.battery.discharging BAT0)" 1 "BAT0 judged discharging"
near "$(value power.battery.energy_now BAT0)" 144000 1e-9 "BAT0 has 40 Wh = 144000 J left"
near "$(value power.battery.capacity BAT0)" 75 0 "BAT0 capacity 75 %"
check_eq "$(value power.battery.method BAT1)" "energy_now rate" "BAT1 without power_now: the energy_now rate"

# the rate needs two refreshes of energy_now
wait_until 30 has_value power.battery.power BAT1
wait_samples 20
near "$(value power.battery.power BAT1)" 10 0.35 "BAT1 power from its energy_now rate: about 10 W"
check_eq "$(value power.system.source)" battery "on batteries alone power.system comes from them"
# The counter's rate over the agent's own time between two of its samples:
# both values of each pair come from one fetch, so from one agent sample
# (reading them in two fetches let a sample fall between them: 15 W * 11/10
# = 16.5 W once on a loaded machine).
read -r e1 t1 <<<"$(bat0_energy_and_clock)"
wait_samples 10
read -r e2 t2 <<<"$(bat0_energy_and_clock)"
echo "# BAT0 counter $e1 J at agent time $t1 s, $e2 J at $t2 s"
near "$(awk -v a="$e1" -v b="$e2" -v s="$t1" -v t="$t2" 'BEGIN { if (t > s) print (b - a) / (t - s) }')" 15 1e-6 \
    "BAT0 energy counter rises at 15 W of the agent's own time"
# pmval's rate over a 5 s window: each end is as old as the agent's latest
# sample, one interval (0.2 s) or, on a loaded machine, a late sample more
# (2 s windows read 19.3 and 29.5 W once: one end 0.45 s stale); 5 s keep
# a second of staleness inside the band
rates=$(pmval $PMH -f 3 -t 5 -s 2 power.system.energy 2>&1 | awk '/^[ 0-9.]+$/ { print $1 }' | tail -1)
bad=$(echo "$rates" | awk '$1 < 20 || $1 > 30' | wc -l)
check_nonempty "$rates" "pmval rate-converts power.system.energy"
check_eq "$bad" 0 "pmval rate of power.system.energy is the batteries' 15 + 10 W" "rates: $(echo $rates)"

# plugged in: BAT0 charges, the counter stands still, power.system falls through
put_file "$PS/AC/online" 1
put_file "$PS/BAT0/status" Charging
put_file "$PS/BAT0/power_now" 30000000
wait_samples 3
near "$(value power.battery.power BAT0)" 0 0 "charging: BAT0 discharge power is 0 W"
check_eq "$(value power.battery.status BAT0)" Charging "status Charging"
check_eq "$(value power.battery.discharging BAT0)" 0 "charging: not discharging"
e1=$(value power.battery.energy BAT0); wait_samples 3; e2=$(value power.battery.energy BAT0)
check_eq "$e2" "$e1" "nothing is counted while charging"
check_eq "$(value power.system.source)" model "on AC power.system falls through to the next source"
check_match "$(value power.source.reason battery)" 'on AC power' "the battery's reason says why"

put_file "$PS/AC/online" 0
put_file "$PS/BAT0/status" Discharging
put_file "$PS/BAT0/power_now" 15000000
# BAT1's rate starts afresh after a plug or unplug: two more refreshes
wait_until 30 value_is battery power.system.source
check_eq "$(value power.system.source)" battery "unplugged again: back to the battery once BAT1's rate is known"

# BAT1 pulled out while sampled: its instance stays with no values
mv "$PS/BAT1" "$ROOT/BAT1.away"
wait_samples 3
check_eq "$(pmprobe $PMH power.battery.power | awk '{ print $2 }')" 1 "only BAT0 has a power now" \
    "$(pmprobe $PMH power.battery.power)"
check_eq "$(pmprobe $PMH power.battery.capacity | awk '{ print $2 }')" 1 "and only BAT0 a capacity"
check_match "$(pmprobe $PMH -I power.battery.status)" '"BAT1"' "BAT1 is still an instance"
check_eq "$(value power.battery.status BAT1)" Removed "its status says Removed"
check_match "$(value power.source.reason battery)" 'BAT1 removed' "the reason says BAT1 removed"
check_eq "$(value power.source.state battery)" active "the source stays active on BAT0"
check_eq "$(value power.system.source)" battery "BAT0 alone still carries the host"
check_file_has "$WORK/log/power.log" 'BAT1 removed' "the agent log says so"
mv "$ROOT/BAT1.away" "$PS/BAT1"
wait_samples 3
check_nonempty "$(value power.battery.capacity BAT1)" "BAT1 is back with values"
check_file_has "$WORK/log/power.log" 'BAT1 is back' "and the log says it is back"

# bad input: counted, logged, no value rather than a zero
errors0=$(value power.source.errors battery)
put_file "$PS/BAT0/power_now" "15 watts"
wait_samples 3
check_empty "$(value power.battery.power BAT0)" "a malformed power_now gives no value"
check_num "$(value power.source.errors battery)" '>' "$errors0" "and is counted in power.source.errors"
check_file_has "$WORK/log/power.log" 'BAT0/\{power_now\} unreadable or malformed' "and logged with the file"
put_file "$PS/BAT0/power_now" 15000000
wait_samples 2
near "$(value power.battery.power BAT0)" 15 1e-9 "good again: 15 W"

check_match "$(pminfo $PMH -T power.battery.power)" 'A voltage is never assumed' "help text served for power.battery.power"
check_eq "$(pminfo $PMH -T power.battery.energy power.battery.energy_now power.battery.capacity power.battery.status \
            power.battery.discharging power.battery.method | grep -c "^Help:")" 6 "every battery metric has help"
battery_indom_help() {
    pminfo $PMH -T $DOMAIN.4 2>/dev/null | grep -q "BATn" ||
        chkhelp -n "$TOP/pmda/root" -i -H "$BUILD/help" | grep -q 'BATn" is n'
}
check_cmd "the battery indom has help, saying how ids are chosen" -- battery_indom_help
check_match "$(pminfo $PMH -l power.battery.energy)" '"units":"joules"' "energy carries units=joules"
check_match "$(pminfo $PMH -l power.battery.energy_now)" '"units":"joules"' "energy_now carries units=joules"
check_match "$(pminfo $PMH -l power.battery.power)" '"units":"watts"' "power carries units=watts"
check_match "$(pminfo $PMH -d power.battery.energy)" 'Semantics: counter' "energy is a counter"
pminfo $PMH -f power.battery | sed 's/^/# /'
kill $DRAIN 2>/dev/null; wait $DRAIN 2>/dev/null
pmcd_stop
sanitizer_check

# Field firmware, each as upower's linux backend (freedesktop upower,
# src/up-device-battery.c, src/linux/up-device-supply.c) and the kernel
# (drivers/acpi/battery.c, Documentation/ABI/testing/sysfs-class-power)
# have it: BAT0 leaves power_now at 0 while Discharging; BAT1's power_now
# answers ENODEV (the firmware's "unknown"); a USB-C charger (ucsi: type USB,
# usb_type, online); then a power_now no battery can give. The agent runs
# with tests/helpers/enodev_shim.c preloaded, libasan first: a file reading
# "#ENODEV" answers ENODEV.
FW=$WORK/fw
FPS=$FW/sys/class/power_supply
UCSI=ucsi-source-psy-USBC000:001
mkdir -p "$FW/proc"
cp /proc/stat "$FW/proc/stat"
put_file "$FPS/AC/type" Mains
put_file "$FPS/AC/online" 0
put_file "$FPS/BAT0/type" Battery
put_file "$FPS/BAT0/status" Discharging
put_file "$FPS/BAT0/power_now" 0
put_file "$FPS/BAT0/energy_now" 40000000
put_file "$FPS/BAT1/type" Battery
put_file "$FPS/BAT1/status" Discharging
put_file "$FPS/BAT1/power_now" "#ENODEV"
put_file "$FPS/BAT1/energy_now" 30000000
put_file "$FPS/$UCSI/type" USB
put_file "$FPS/$UCSI/usb_type" "C [PD] PD_PPS"
put_file "$FPS/$UCSI/scope" System
put_file "$FPS/$UCSI/online" 0
# the levels fall with the clock: BAT0 at 12 W, BAT1 at 6 W
drain "$FPS/BAT0/energy_now" 40000000 12 "$FPS/BAT1/energy_now" 30000000 6 &
DRAIN=$!
cc -shared -fPIC -DENODEV_SHIM_LIB -o "$WORK/enodev_shim.so" "$TOP/tests/helpers/enodev_shim.c" -ldl ||
    not_ok "ENODEV shim built"
ASAN_LIB=$(ldd "$BUILD/san/pmdapower" | awk '/libasan/ { print $3; exit }')
printf '#!/bin/sh\nLD_PRELOAD="%s %s" exec "%s" "$@"\n' "$ASAN_LIB" "$WORK/enodev_shim.so" \
    "$BUILD/san/pmdapower" > "$WORK/agent.sh"
chmod +x "$WORK/agent.sh"
PLAIN_AGENT=$AGENT
AGENT=$WORK/agent.sh
pmcd_start -r "$FW" -t 0.2 || not_ok "agent over the field-firmware tree"
AGENT=$PLAIN_AGENT
both_rates() { has_value power.battery.power BAT0 && has_value power.battery.power BAT1; }
wait_until 30 both_rates
# 5 s: each rate then spans several refreshes, so a refresh seen one agent
# interval (0.2 s) late is a small part of its window
wait_samples 25
check_eq "$(value power.battery.method BAT0)" "energy_now rate" \
    "BAT0 with power_now 0 W while Discharging: power from the energy_now rate"
near "$(value power.battery.power BAT0)" 12 0.35 "BAT0 draws about 12 W, not 0 W"
check_eq "$(value power.battery.method BAT1)" "energy_now rate" \
    "BAT1 whose power_now answers ENODEV: power from the energy_now rate"
near "$(value power.battery.power BAT1)" 6 0.35 "BAT1 draws about 6 W"
check_eq "$(value power.system.source)" battery "on batteries alone power.system comes from them" \
    "$(value power.source.reason battery)"
near "$(value power.system.power)" 18 0.35 "power.system is about 12 + 6 W, never 0 W"
check_eq "$(value power.source.errors battery)" 1 "ENODEV counted once, not on every sample" \
    "after $(value power.control.samples) samples"
check_eq "$(grep -c "BAT1/power_now answers ENODEV" "$WORK/log/power.log")" 1 "and logged once"
check_eq "$(grep -c "BAT0: power_now reads 0 W while Discharging" "$WORK/log/power.log")" 1 \
    "the 0 W firmware is logged once"
pminfo $PMH -f power.battery.power power.battery.method power.system.source | sed 's/^/# /'
grep -E "answers ENODEV|reads 0 W while" "$WORK/log/power.log" | sed 's/^/# /'

# a USB-PD charger plugged in: external power, as upower counts it
put_file "$FPS/$UCSI/online" 1
wait_samples 3
check_ne "$(value power.system.source)" battery "behind a USB-C charger power.system is not the battery"
check_match "$(value power.source.reason battery)" "on AC power \(USB supply $UCSI online\)" \
    "the reason names the USB-C charger"
put_file "$FPS/$UCSI/online" 0
wait_until 30 value_is battery power.system.source
check_eq "$(value power.system.source)" battery "unplugged: the batteries again"

# a rate no battery can give
errors0=$(value power.source.errors battery)
put_file "$FPS/BAT0/power_now" 400000000
wait_samples 3
check_empty "$(value power.battery.power BAT0)" "400 W from power_now: no value"
check_num "$(value power.source.errors battery)" '>' "$errors0" "counted"
check_file_has "$WORK/log/power.log" 'BAT0: power_now gives 400\.0 W, more than a battery can deliver' "and logged"
check_ne "$(value power.system.source)" battery "not used for power.system"
pminfo $PMH -f power.battery.power power.battery.method power.source.reason | sed 's/^/# /'
kill $DRAIN 2>/dev/null; wait $DRAIN 2>/dev/null
pmcd_stop
sanitizer_check

# the real snapshots: no status file, no AC supply, trailing NULs
FIX=${POWER_FIXTURES:-$TOP/tests/fixtures}
for snap in Thinkpad_L480_bat_busy Thinkpad_T460s_2_batteries apple_silicon_macbook; do
    rm -rf "$WORK/snap" && mkdir -p "$WORK/snap" && tar -C "$WORK/snap" -xzf "$FIX/sysfs/$snap.tgz"
    mkdir -p "$WORK/snap/$snap/proc" && cp /proc/stat "$WORK/snap/$snap/proc/stat"
    pmcd_start -r "$WORK/snap/$snap" -t 0.2 || not_ok "agent over $snap"
    wait_samples 2
    out=$(pminfo $PMH -f power.battery.power power.battery.energy_now power.battery.status)
    case $snap in
    Thinkpad_L480_bat_busy)
        check_match "$out" 'inst \[0 or "BAT0"\] value 26\.439$' "$snap: BAT0 26.439 W"
        check_match "$out" 'inst \[0 or "BAT0"\] value 124956$' "$snap: 34.71 Wh left"
        check_match "$out" 'value "Unknown"' "$snap: no status file reads Unknown"
        check_eq "$(value power.system.source)" battery "$snap: on battery, power.system from it" ;;
    Thinkpad_T460s_2_batteries)
        check_match "$out" 'inst \[0 or "BAT0"\] value 1\.576$' "$snap: BAT0 1.576 W"
        check_match "$out" 'inst \[1 or "BAT1"\] value 0$' "$snap: BAT1 idle at 0 W"
        check_eq "$(value power.system.source)" battery "$snap: one discharging, one idle: battery" ;;
    apple_silicon_macbook)
        check_match "$out" 'or "macsmc-battery"\] value 4\.077$' "$snap: macsmc-battery 4.077 W from a negative power_now"
        check_empty "$(value power.battery.energy_now macsmc-battery)" "$snap: no energy left without voltage_now" ;;
    esac
    pmcd_stop
done
sanitizer_check
finish
