#!/usr/bin/env bash
# power.system.wall_ratio: a wall meter (an emulated WattsUp at 130 W) and
# RAPL (psys advancing at 100 W, package+dram at 80 W) both live: the ratio
# of their energies over the rolling window is the meter's over psys's, and
# without the meter it has no value and its basis says why.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/wattsup.sh"

ROOT=$WORK/root
CONF=$WORK/power.conf
wattsup_setup || { finish; exit 1; }
make_rapl_tree "$ROOT"
DEV=$ROOT/sys/devices/virtual/powercap/intel-rapl
advance_start "$DEV/intel-rapl:1/energy_uj" 100
advance_start "$DEV/intel-rapl:0/energy_uj" 60
advance_start "$DEV/intel-rapl:0/intel-rapl:0:1/energy_uj" 20
start_emu wall -w 130 -v 230.0 -a 0.6 -p 94
wait_emus 1
# the shortest window (10 s): a value once both were live for 1 s of it
printf '[system]\nwall_ratio_window = 10\n[meter wall]\ndevice = %s\n' "$WORK/tty-wall" > "$CONF"
# the basis in full (value and pmprobe cut a string at its first space)
basis_now() { pminfo $PMH -f power.system.wall_ratio_basis | sed -n 's/^ *value "\(.*\)"$/\1/p'; }
pmcd_start -r "$ROOT" -c "$CONF" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }

for _ in $(seq 200); do [ -n "$(value power.system.wall_ratio)" ] && break; sleep 0.05; done
# steady power: over any part of the window the ratio is the meter's 130 W over psys's 100 W
wait_samples 15
ratio=$(value power.system.wall_ratio)
basis=$(basis_now)
echo "# power.system.wall_ratio $ratio: $basis"
near "$ratio" 1.3 0.05 "130 W at the wall over psys's 100 W"
check_match "$basis" '^meter / rapl:psys over the last' "the basis names the meter and psys"
check_eq "$(value power.system.source)" meter "power.system is the meter meanwhile"

# the meter goes away: once it is no longer live, no ratio, and why
stop_emus
for _ in $(seq 200); do [ -z "$(value power.system.wall_ratio)" ] && break; sleep 0.05; done
check_empty "$(value power.system.wall_ratio)" "no value without the meter"
basis=$(basis_now)
check_match "$basis" 'no meter reading' "the basis says the meter is missing"
pmcd_stop
sanitizer_check
finish
