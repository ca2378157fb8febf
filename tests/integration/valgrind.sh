#!/usr/bin/env bash
# The agent (the normal build, as installed) under valgrind inside a private
# pmcd, over a fake RAPL tree with wraps and GPUs (the stand-in NVML on the
# agent's reader thread, hwmon sensors): no invalid reads or writes, no
# uninitialised values, no definite leaks of ours.
. "$(dirname "$0")/../lib/common.sh"

command -v valgrind >/dev/null || { not_ok "valgrind is installed"; finish; exit 1; }
ROOT=$WORK/root
make_rapl_tree "$ROOT"
DEV=$ROOT/sys/devices/virtual/powercap/intel-rapl
echo 29999999 > "$DEV/intel-rapl:0/max_energy_range_uj"
advance_start "$DEV/intel-rapl:0/energy_uj" 50 29999999
advance_start "$DEV/intel-rapl:1/energy_uj" 80
# GPUs too: the stand-in NVML read on the agent's thread, and GPU hwmon sensors
sh "$TOP/tests/fixtures/hwmon/build-tree.sh" desktop "$ROOT"
export FAKE_NVML_STATE=$WORK/nvml.state
printf 'gpu name=A uuid=GPU-a pci=00000000:07:00.0 power_mw=60000 limit_mw=300000\ngpu name=B uuid=GPU-b pci=00000000:08:00.0 power_mw=20000 unsupported=energy\nprocess gpu=0 pid=1 kind=compute used_bytes=1\n' > "$FAKE_NVML_STATE"
printf '[nvidia]\nlibrary = %s\n' "$BUILD/tests/libnvidia-ml.so.1" > "$WORK/power.conf"
cat > "$WORK/vg-agent" <<VG
#!/bin/sh
exec valgrind -q --suppressions=$TOP/tests/lib/valgrind.supp --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file=$WORK/log/valgrind.%p $BUILD/pmdapower "\$@"
VG
chmod +x "$WORK/vg-agent"
AGENT=$WORK/vg-agent pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent under valgrind started"
wait_samples 8
check_nonempty "$(value power.rapl.power psys)" "agent under valgrind serves values"
check_nonempty "$(value power.gpu.power nvidia1)" "and its GPUs' values"
pminfo $PMH -fdTl power >/dev/null 2>&1
pmstore $PMH_LOCAL power.control.interval 0.3 >/dev/null 2>&1
wait_samples 3
pmcd_stop       # returns once valgrind has exited, its logs complete
report=$(cat "$WORK"/log/valgrind.* 2>/dev/null | grep -v "^==[0-9]*== *$" | grep -v "pmdaDaemon\|libpcp" | head -40)
errors=$(cat "$WORK"/log/valgrind.* 2>/dev/null | grep -c "Invalid \|uninitialised\|definitely lost in" )
check_eq "$errors" 0 "valgrind: no invalid accesses, uninitialised values or definite leaks" "$(echo "$report" | head -20)"
finish
