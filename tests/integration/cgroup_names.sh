#!/usr/bin/env bash
# Names for cgroups and VMs without Scaphandre: power.cgroup instances carry
# the systemd unit, container id and runtime, Kubernetes pod UID and QoS
# class, and libvirt domain as instance labels (procfs/cgroup_names.h, whose
# unit test holds the real paths and their sources); power.vm.attributed
# measures libvirt VMs from their qemu cgroups, named by domain and labelled
# attributed, beside power.vm's Scaphandre figure (labelled exported).
# Processes live in a fake /proc under the agent's root; their CPU time and
# the host's grow together, so the zone's 40 W is shared by known numbers.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pmpower.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
advance_start "$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj" 40
P=$ROOT/proc
mkdir -p "$P/sys/kernel"
echo 32768 > "$P/sys/kernel/pid_max"
echo "0.00 0.00 0.00 1/100 4300" > "$P/loadavg"
DOCKER=2fa3e04b676df750842faf017052dd37ea0cc5bc7259a3487a1718c7fe100c94
CRI=99f3a16ea25b7724cb56a4f0c0df1113ad9474fbf5545bead97fd5c7f61c13f4
POD=eab5a334_93fe_48a8_b139_9e8079c1f163
PODMAN=06dc5f321aad8726aa26559f16ec203bc099245bc44894b14a89fc02b022d1d5
declare -A CG=(
    [4201]='/machine.slice/machine-qemu\x2d1\x2dweb01.scope/libvirt/emulator'
    [4202]='/machine.slice/machine-qemu\x2d2\x2ddb\x2d1.scope/libvirt/emulator'
    [4203]="/system.slice/docker-$DOCKER.scope"
    [4204]="/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$POD.slice/cri-containerd-$CRI.scope"
    [4205]='/system.slice/sshd.service'
    [4206]="/machine.slice/libpod-$PODMAN.scope/container"
)
# stat PID TICKS: the process as proc(5) lays out /proc/PID/stat, TICKS of user time
stat_line() { echo "$1 (p$1) S 1 $1 $1 0 -1 4194560 100 0 0 0 $2 0 0 0 20 0 1 0 1000 1000000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0"; }
for pid in "${!CG[@]}"; do
    mkdir -p "$P/$pid"
    stat_line "$pid" 0 > "$P/$pid/stat"
    printf '/usr/bin/qemu-system-x86_64\0' > "$P/$pid/cmdline"
    printf '0::%s\n' "${CG[$pid]}" > "$P/$pid/cgroup"
done
# the six processes run one tick each per step, of a host of 12 ticks a
# step: half the host's time is busy, and each process has a twelfth
( n=0; while :; do
    n=$((n + 1))
    for pid in "${!CG[@]}"; do stat_line "$pid" $n > "$P/$pid/stat.new"; mv "$P/$pid/stat.new" "$P/$pid/stat"; done
    printf 'cpu  %d 0 0 %d 0 0 0 0\ncpu0 %d 0 0 %d 0 0 0 0\n' $((6 * n)) $((6 * n)) $((6 * n)) $((6 * n)) > "$P/stat.new"
    mv "$P/stat.new" "$P/stat"
    sleep 0.05
  done ) &
WRITER=$!
# a Scaphandre file for web01 too: the exported figure beside the attributed one
mkdir -p "$ROOT/var/lib/libvirt/scaphandre/web01/intel-rapl:0"
printf 5000000 > "$ROOT/var/lib/libvirt/scaphandre/web01/intel-rapl:0/energy_uj"
trap 'kill $WRITER 2>/dev/null; advance_stop; pmcd_stop' EXIT
printf '[system]\npriority = rapl:package+dram\n[attribution]\ngrace = 1\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent started"
wait_samples 10

pminfo $PMH -l power.cgroup.energy > "$WORK/labels"
sed 's/^/# /' "$WORK/labels"
# label_of PATH-TEXT: the labels line of the instance whose name has the text
label_of() { awk -v k="$1" 'index($0, k) { found = 1 } found && /labels/ { print; exit }' "$WORK/labels"; }
# labelled PATH-TEXT LABEL...: that instance carries every LABEL (text as pminfo shows it)
labelled() {
    local labels label
    labels=$(label_of "$1")
    shift
    for label; do grep -qF -e "$label" <<<"$labels" || return 1; done
}
check_cmd "a systemd service: its unit" "$(label_of sshd.service)" -- labelled sshd.service '"unit":"sshd.service"'
check_cmd "a docker container: its id and runtime" "$(label_of "docker-$DOCKER")" -- \
    labelled "docker-$DOCKER" "\"container_id\":\"$DOCKER\"" '"container_runtime":"docker"'
check_cmd "a podman container (rootful, its payload below the scope): its id and runtime" "$(label_of "libpod-$PODMAN")" -- \
    labelled "libpod-$PODMAN" "\"container_id\":\"$PODMAN\"" '"container_runtime":"podman"'
check_cmd "a Kubernetes container: pod UID (with its dashes), QoS class, runtime" "$(label_of "cri-containerd-$CRI")" -- \
    labelled "cri-containerd-$CRI" '"pod_uid":"eab5a334-93fe-48a8-b139-9e8079c1f163"' '"qos_class":"besteffort"' \
    '"container_runtime":"containerd"'
check_cmd "a libvirt VM's qemu: its domain, and its scope as the unit (\\ escaped for JSON)" "$(label_of dweb01)" -- \
    labelled dweb01 '"vm":"web01"' '"unit":"machine-qemu\\x2d1\\x2dweb01.scope"'

# the VMs, measured from their cgroups
vms=$(pminfo $PMH -f power.vm.attributed.energy power.vm.energy)
echo "$vms" | sed 's/^/# /'
check_match "$vms" '"web01"' "power.vm.attributed lists web01 by domain"
check_match "$vms" '"db-1"' "power.vm.attributed lists db-1 by domain"
check_match "$(pminfo $PMH -l power.vm.attributed.energy)" '"measured":"attributed"' "labelled measured=attributed"
check_match "$(pminfo $PMH -f power.vm.energy)" '"web01"' "web01's Scaphandre file is there too"
check_match "$(pminfo $PMH -l power.vm.energy)" '"measured":"exported"' "labelled measured=exported"
# one fetch: a VM's energy is its cgroup's
snap=$(pminfo $PMH -f power.vm.attributed.energy power.cgroup.energy power.system.active_energy)
vm_e=$(echo "$snap" | awk '/^power.vm.attributed.energy/ { m = 1; next } /^power/ { m = 0 } m && /"web01"/ { print $NF }')
cg_e=$(echo "$snap" | awk '/^power.cgroup.energy/ { m = 1; next } /^power/ { m = 0 } m && /dweb01/ { print $NF }')
check_num "$vm_e" '>' 0 "web01 has energy ($vm_e J)"
near "$vm_e" "$cg_e" 1e-9 "web01's energy is its cgroups' ($cg_e J)"
# six processes, one tick in twelve each, with half the time busy (mode active): each
# has a sixth of the active energy. Counters over ten samples, one fetch each end: a
# single interval's power depends on where the writer's steps fell in it.
vm_share() { pmprobe -v $PMH power.vm.attributed.energy power.system.active_energy |
    awk '/^power.vm/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9.e+-]+$/) { v = $i; break } } /^power.system/ { a = $3 } END { print v, a }'; }
read -r v1 a1 <<<"$(vm_share)"
wait_samples 10
read -r v2 a2 <<<"$(vm_share)"
share=$(awk -v v1="$v1" -v v2="$v2" -v a1="$a1" -v a2="$a2" 'BEGIN { print (a2 > a1) ? (v2 - v1) / (a2 - a1) : -1 }')
near "$share" 0.1667 0.15 "a VM with a twelfth of the host's CPU time gets a sixth of the active energy over 10 samples ($v1..$v2 J of $a1..$a2 J)"

# pmpower csv --vms: the per-VM series as VM tools write them, from either figure
"$PMPOWER" csv $PMH --vms either -o "$WORK/either.csv" -s 3 2> "$WORK/csv.err"
"$PMPOWER" csv $PMH --vms attributed -o "$WORK/attributed.csv" -s 3 2>> "$WORK/csv.err"
sed 's/^/# /' "$WORK/either.csv" "$WORK/attributed.csv" "$WORK/csv.err"
check_eq "$(head -1 "$WORK/either.csv")" "ts,web01_energy_j,web01_power_w,db-1_energy_j,db-1_power_w" \
    "--vms either: ts, <vm>_energy_j, <vm>_power_w, web01 from its Scaphandre file and db-1 attributed"
check_eq "$(head -1 "$WORK/attributed.csv")" "ts,web01_energy_j,web01_power_w,db-1_energy_j,db-1_power_w" \
    "--vms attributed: both measured from their cgroups"
check_num "$(wc -l < "$WORK/attributed.csv")" = 4 "--vms attributed: three rows" "$(cat "$WORK/attributed.csv")"
last=$(tail -1 "$WORK/attributed.csv" | cut -d, -f3)
# strictly between 2 and 6 W
check_num "$last" '>' 2 "web01's attributed power in the CSV: about 3.3 W, a sixth of 20 W active ($last), above 2 W"
check_num "$last" '<' 6 "web01's attributed power in the CSV: below 6 W ($last)"
check_match "$("$PMPOWER" csv $PMH --vms sideways -o - 2>&1)" 'either, exported or attributed' "a bad --vms figure is refused"
kill $WRITER; wait $WRITER 2>/dev/null
pmcd_stop
sanitizer_check
finish
