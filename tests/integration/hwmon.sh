#!/usr/bin/env bash
# power.hwmon and the ACPI power meter as power.system through a private
# pmcd, on the server tree of tests/fixtures/hwmon/build-tree.sh (an old-style
# acpi_power_meter with its files on the ACPI device, amd_energy's two
# sockets of two cores) beside a RAPL tree: with the default priority the
# platform meter, which sees the whole host, is chosen over RAPL.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pmpower.sh"

ROOT=$WORK/root
mkdir -p "$ROOT"
sh "$TOP/tests/fixtures/hwmon/build-tree.sh" server "$ROOT"
make_rapl_tree "$ROOT"
METER=$ROOT/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00
SOCKET0=$ROOT/sys/devices/platform/amd_energy.0/hwmon/hwmon1/energy5_input
printf '[nvidia]\nenabled = no\n' > "$WORK/power.conf"
# hv METRIC INSTANCE: value() for instance names with a "/" in them
hv() { pminfo $PMH -f "$1" | awk -v n="or \"$2\"]" 'index($0, n) { print $NF }'; }
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 3

check_eq "$(value power.source.state hwmon)" active "the hwmon source is active" "$(value power.source.state hwmon): $(value power.source.reason hwmon)"
names=$(instances power.hwmon.energy | tr ' ' '\n' | sed 's/^[0-9]*://')
check_match "$names" '^power_meter-ACPI000D:00/power1$' "instances by driver and device: the power meter" "$(echo $names)"
check_match "$names" '^amd_energy-amd_energy\.0/Esocket1$' "and amd_energy's sockets and cores" "$(echo $names)"
check_eq "$(echo $names | wc -w)" 7 "seven sensors (one meter, four cores, two sockets; k10temp has none)" "$(echo $names)"
check_match "$(pminfo $PMH -l power.hwmon.power | grep -F power_meter)" '"class":"platform-meter"' "the meter is labelled class platform-meter"
near "$(hv power.hwmon.power power_meter-ACPI000D:00/power1)" 245 1e-12 "the power meter reads 245 W"
check_eq "$(value power.system.source)" hwmon:power_meter "power.system comes from the ACPI power meter, ranked above RAPL"
near "$(value power.system.power)" 245 1e-9 "power.system.power is the meter's 245 W"

# pmpower report lists each sensor, its figures in the same columns as the system's
rep=$("$PMPOWER" report $PMH -S +0 -T +1sec 2>&1)
col() { echo "$rep" | awk -v n="$1" '$1 == n { print index($0, $2) }'; }
check_nonempty "$(col system)" "pmpower report has the system's line" "$(echo "$rep" | tail -9)"
check_eq "$(col hwmon:power_meter-ACPI000D:00/power1)" "$(col system)" \
    "pmpower report lists the meter's sensor, aligned with the system's line" "$(echo "$rep" | tail -9)"

# a socket's counter advances 3 J, then goes back (the driver reloaded)
e0=$(hv power.hwmon.energy amd_energy-amd_energy.0/Esocket0)
echo 303000000 > "$SOCKET0"
wait_samples 2
near "$(hv power.hwmon.energy amd_energy-amd_energy.0/Esocket0)" "$(awk -v e="$e0" 'BEGIN { print e + 3 }')" 1e-9 "Esocket0 advanced by 3 J"
echo 1000 > "$SOCKET0"
wait_samples 2
check_eq "$(hv power.hwmon.resets amd_energy-amd_energy.0/Esocket0)" 1 "a counter that goes back is a reset"
near "$(hv power.hwmon.energy amd_energy-amd_energy.0/Esocket0)" "$(awk -v e="$e0" 'BEGIN { print e + 3 }')" 1e-9 "and adds nothing"

# pmpower calibrate takes the ACPI power meter as its reference, ranked as
# the agent ranks it: after a wall meter, before RAPL. This fake root's
# /proc/stat stands still and the meter is steady, so only the choice and
# the reading are checked here, not a fit (calibrate.sh checks fits).
"$PMPOWER" calibrate $PMH --cpus 1 --window 0.6 --settle 0.5 --step-time 3 --max-busy 1 \
    > "$WORK/cal.out" 2> "$WORK/cal.err"
sed 's/^/# calibrate /' "$WORK/cal.out" "$WORK/cal.err"
check_file_has "$WORK/cal.out" '^reference hwmon:power_meter \(power_meter-ACPI000D:00/power1\)' \
    "pmpower calibrate's reference is the ACPI power meter, its instance named" "$(tail -3 "$WORK/cal.err")"
check_file_has "$WORK/cal.out" '^step 0: .* 245\.00 W' "and its steps read the meter's 245 W"

# the meter's file turns to garbage: no value, counted; power.system falls to RAPL
err0=$(value power.source.errors hwmon)
echo 'n/a' > "$METER/power1_average"
wait_samples 3
check_empty "$(hv power.hwmon.power power_meter-ACPI000D:00/power1)" "an unreadable meter has no power value"
check_num "$(value power.source.errors hwmon)" '>' "$err0" "and is counted in power.source.errors"
check_eq "$(value power.system.source)" rapl:psys "power.system falls through to RAPL"
check_file_has "$WORK/log/power.log" 'power_meter-ACPI000D:00/power1: cannot read' "the log says which file"
sanitizer_check
finish
