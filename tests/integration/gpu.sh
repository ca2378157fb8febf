#!/usr/bin/env bash
# power.gpu through a private pmcd: two NVIDIA GPUs from the stand-in NVML
# (tests/helpers/fake_nvml.c, on its scripted clock), one with an energy
# counter and one without, and the GPU hwmon sensors of the desktop tree
# (tests/fixtures/hwmon/build-tree.sh). NVML stalls: the agent keeps
# sampling and answering. The driver reloads: its counter restarts and
# power.gpu.energy does not go back.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pmpower.sh"

ROOT=$WORK/root
mkdir -p "$ROOT"
sh "$TOP/tests/fixtures/hwmon/build-tree.sh" desktop "$ROOT"
make_rapl_tree "$ROOT"     # counters that stay at 0: power.system's RAPL part is 0 J
rm -rf "$ROOT/proc" && ln -s /proc "$ROOT/proc"     # the processes to share GPU energy among
# a process that lives until the test ends it (or the test exits), however
# slow a loaded machine makes the test
sleep infinity &
SLEEPER=$!
trap 'kill "$SLEEPER" 2>/dev/null; advance_stop; pmcd_stop' EXIT
export FAKE_NVML_STATE=$WORK/nvml.state

# nvml TEXT: a new state for the fake, renamed into place
nvml() {
    printf '%s\n' "$1" > "$FAKE_NVML_STATE.new"
    mv "$FAKE_NVML_STATE.new" "$FAKE_NVML_STATE"
}

# NVML is read on the agent's thread a sample late, and later on a loaded
# machine: after each change of the fake's state the test waits (wait_until)
# for what the change must bring about; the checks that follow say what was
# wrong if it never held
# energy_reached INSTANCE JOULES: the GPU's power.gpu.energy is at least JOULES
energy_reached() { awk -v e="$(value power.gpu.energy "$1")" -v w="$2" 'BEGIN { exit !(e != "" && e + 0 >= w + 0) }'; }

A='gpu name="NVIDIA A100-SXM4-40GB" uuid=GPU-1d2e3f40-aaaa-bbbb-cccc-000000000001 pci=00000000:07:00.0 limit_mw=400000 unsupported=utilization'
P="process gpu=0 pid=$SLEEPER kind=compute used_bytes=1048576"
B='gpu name="Tesla P100-PCIE-16GB" uuid=GPU-1d2e3f40-aaaa-bbbb-cccc-000000000002 pci=00000000:3B:00.0 limit_mw=250000 unsupported=energy'
nvml "clock seconds=100
$A power_mw=60000 energy_mj=7000000
$B power_mw=30000
$P"
cat > "$WORK/power.conf" <<CONF
[nvidia]
library = $BUILD/tests/libnvidia-ml.so.1
[system]
priority = rapl:package+dram
CONF
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
nvidia1_read() { has_value power.gpu.limit nvidia1 && has_value power.gpu.energy nvidia1; }
wait_until 60 nvidia1_read

check_eq "$(value power.source.state gpu)" active "the gpu source is active" "$(value power.source.state gpu): $(value power.source.reason gpu)"
names=$(instances power.gpu.energy | tr ' ' '\n' | sed 's/^[0-9]*://' | sort | tr '\n' ' ')
check_eq "$names" "amdgpu-0000:09:00.0 amdgpu-0000:0c:00.0 amdgpu-0000:c4:00.0 i915-0000:03:00.0 nouveau-0000:05:00.0 nvidia0 nvidia1 xe-0000:04:00.0 " \
    "NVIDIA GPUs by NVML index, hwmon GPUs by driver and PCI address"
labels=$(pminfo $PMH -l power.gpu.power)
# the label lines of one instance (pminfo -l prints one line of labels per instance)
labels_of() { grep -F -e "\"$1\"" <<<"$labels"; }
check_match "$(labels_of nvidia0)" '"uuid":"GPU-1d2e3f40-aaaa-bbbb-cccc-000000000001"' "nvidia0 carries its UUID" "$labels"
check_match "$(labels_of nvidia0)" '"model":"NVIDIA A100-SXM4-40GB"' "and its model" "$labels"
check_match "$(labels_of nvidia0)" '"pci_bus_id":"00000000:07:00\.0"' "and its PCI bus id" "$labels"
check_match "$(labels_of nvidia1)" '"energy_method":"power integral"' "nvidia1 (no counter) says its energy is the power integral" "$labels"
check_match "$(pminfo $PMH -l power.gpu.energy)" '"units":"joules"' "power.gpu.energy carries units=joules"
check_match "$(pminfo $PMH -T power.gpu.energy)" 'nvmlDeviceGetTotalEnergyConsumption' "help text for power.gpu.energy"
near "$(value power.gpu.power nvidia0)" 60 1e-12 "nvidia0: 60 W"
near "$(value power.gpu.limit nvidia0)" 400 1e-12 "nvidia0: limit 400 W"
near "$(value power.gpu.power amdgpu-0000:09:00.0)" 41.045 1e-12 "RX 580 through hwmon: 41.045 W"
check_eq "$(value power.gpu.integrated amdgpu-0000:c4:00.0)" 1 "the APU is integrated"

# RAPL package+dram excludes the GPUs: their energy is added, and the name says so
check_eq "$(value power.system.source)" rapl:package+dram+gpu "power.system.source is rapl:package+dram+gpu"
# system_gpu: power.system.energy and power.gpu.total.energy from one fetch (one sample)
system_gpu() { pmprobe -v $PMH power.system.energy power.gpu.total.energy | awk '{ printf "%s ", $3 }'; }
read -r sys0 tot0 <<<"$(system_gpu)"
wait_samples 3
read -r sys1 tot1 <<<"$(system_gpu)"
near "$(awk -v a="$sys0" -v b="$sys1" 'BEGIN { print b - a }')" "$(awk -v a="$tot0" -v b="$tot1" 'BEGIN { print b - a }')" 1e-9 \
    "power.system grew by the discrete GPUs' energy (RAPL's part is 0 J; the APU is not added)"
check_num "$tot1" '>' "$tot0" "the GPUs' total advanced" "$tot0 -> $tot1"

id0=$(instances power.gpu.energy | tr ' ' '\n' | sed -n 's/:nvidia0$//p')
e0=$(value power.gpu.energy nvidia0)

# ten seconds of the fake's clock at 60 W: 600 J more on nvidia0's counter
nvml "clock seconds=110
$A power_mw=60000
$B power_mw=30000
$P"
wait_until 60 energy_reached nvidia0 "$(awk -v e="$e0" 'BEGIN { print e + 600 }')"
near "$(value power.gpu.energy nvidia0)" "$(awk -v e="$e0" 'BEGIN { print e + 600 }')" 1e-9 "nvidia0 advanced by the counter's 600 J"

# the A100's energy goes to the one process in its compute list (no per-process
# utilisation on it: the running list shares it), into power.proc.energy too
sleeper=$(printf '%06d' "$SLEEPER")
# proc_gpu: the sleeper's power.proc.gpu.energy and .energy, and nvidia0's energy, from one fetch
proc_gpu() {
    pminfo $PMH -f power.proc.gpu.energy power.proc.energy power.gpu.energy |
        awk -v p="$sleeper " -v OFS=' ' '/^power/ { m = $1 } index($0, "\"" p) && m == "power.proc.gpu.energy" { g = $NF }
             index($0, "\"" p) && m == "power.proc.energy" { e = $NF }
             /"nvidia0"/ && m == "power.gpu.energy" { n = $NF } END { print g, e, n }'
}
read -r g0 e0p n0 <<<"$(proc_gpu)"
nvml "clock seconds=120
$A power_mw=60000
$B power_mw=30000
$P"
wait_until 60 energy_reached nvidia0 "$(awk -v e="$n0" 'BEGIN { print e + 600 }')"
wait_samples 2
read -r g1 e1p n1 <<<"$(proc_gpu)"
near "$(awk -v a="$g0" -v b="$g1" 'BEGIN { print b - a }')" "$(awk -v a="$n0" -v b="$n1" 'BEGIN { print b - a }')" 1e-9 \
    "power.proc.gpu.energy of the process on the A100 grew by the A100's energy ($n0 -> $n1 J)"
check_num "$g1" '>' "$g0" "the process's GPU energy grew" "gpu $g0 -> $g1, energy $e0p -> $e1p"
check_num "$(awk -v a="$e0p" -v b="$e1p" 'BEGIN { print b - a }')" '>=' "$(awk -v a="$g0" -v b="$g1" 'BEGIN { print b - a - 1e-9 }')" \
    "and power.proc.energy includes it" "gpu $g0 -> $g1, energy $e0p -> $e1p"

# the process exits while the driver still lists it: its share is GPU unattributed
kill "$SLEEPER" 2>/dev/null; wait "$SLEEPER" 2>/dev/null
wait_samples 2
unattributed_gpu() { pmprobe -v $PMH power.proc.gpu.unattributed.energy | awk '{ print $3 }'; }
u0=$(unattributed_gpu)
nvml "clock seconds=130
$A power_mw=60000
$B power_mw=30000
$P"
wait_until 60 energy_reached nvidia0 "$(awk -v e="$n1" 'BEGIN { print e + 600 }')"
wait_samples 2
near "$(awk -v a="$u0" -v b="$(unattributed_gpu)" 'BEGIN { print b - a }')" 600 1e-9 \
    "an exited process's 600 J share is power.proc.gpu.unattributed.energy"

# pmpower top lists the GPUs among the sources
top=$("$PMPOWER" top $PMH -n 1 2>&1)
check_match "$top" 'gpu:nvidia0 60\.00 W' "pmpower top shows each GPU" "$(echo "$top" | head -4)"
check_match "$top" 'source rapl:package\+dram\+gpu' "and the source with +gpu" "$(echo "$top" | head -4)"
# pmpower measure: the GPUs' energy of each trial; here all of power.system's (RAPL's is 0 J)
"$PMPOWER" measure $PMH --trials 1 --min-trial-time 0.3 --json -- true > "$WORK/measure.json" 2>"$WORK/measure.err"
near "$(jq -r '.trials[0].gpu_energy_j' "$WORK/measure.json")" "$(jq -r '.trials[0].energy_j' "$WORK/measure.json")" 1e-9 \
    "pmpower measure gives the GPUs' energy of a trial (all of power.system's here)"
header=$("$PMPOWER" csv $PMH -o - -s 1 2>&1 | head -1)
check_match "$header" ',gpu_nvidia0_energy_j,gpu_nvidia0_power_w,' "pmpower csv has each GPU's columns by default" "$header"
check_match "$header" ',gpu_total_energy_j,' "and the GPUs' total" "$header"

# NVML hangs: the agent's timer and pmcd's fetches go on
s0=$(value power.control.samples)
nvml "clock seconds=110
$A power_mw=60000 stall=1
$B power_mw=30000"
wait_samples 5
s1=$(value power.control.samples)
check_num "$s1" '>=' $((s0 + 5)) "while NVML stalls the agent samples on ($s0 -> $s1) and answers" "samples $s0 -> $s1"

# the driver reloads: the counter starts again from 1 J
e1=$(value power.gpu.energy nvidia0)
nvml "clock seconds=111
$A power_mw=60000 energy_mj=1000 reloaded=1
$B power_mw=30000"
wait_until 60 value_is 1 power.gpu.resets nvidia0
check_eq "$(value power.gpu.resets nvidia0)" 1 "a driver reload is one reset"
near "$(value power.gpu.energy nvidia0)" "$e1" 1e-9 "and power.gpu.energy does not go back"
pmcd_stop

# ids survive a restart, with the GPUs in another order
nvml "clock seconds=111
$B power_mw=30000
$A power_mw=60000"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd restarted"; finish; exit 1; }
nvidia1_listed() { instances power.gpu.energy | grep -q ":nvidia1"; }
wait_until 60 nvidia1_listed
id1=$(instances power.gpu.energy | tr ' ' '\n' | sed -n 's/:nvidia1$//p')
check_nonempty "$id0" "the A100 had an instance id as nvidia0"
check_eq "$id1" "$id0" "the A100, now nvidia1, keeps its instance id"

# no library: the source is absent and says why, the agent runs on
pmcd_stop
cat > "$WORK/power.conf" <<CONF
[nvidia]
library = $WORK/no-such-libnvidia-ml.so.1
[gpu]
hwmon = no
CONF
pmcd_start -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd without NVML"; finish; exit 1; }
cannot_load() { value power.source.reason gpu | grep -q "cannot load"; }
wait_until 60 cannot_load
check_eq "$(value power.source.state gpu)" absent "no NVML: the gpu source is absent"
check_match "$(value power.source.reason gpu)" 'cannot load' "and says it cannot load the library"
sanitizer_check
finish
