#!/usr/bin/env bash
# Per-process and per-cgroup power: two real CPU burners with CPU time in the
# ratio 2:1 under a fake RAPL tree at a known 40 W; their power splits the
# active power 2:1, every joule is accounted for, each burner's cgroup
# carries its energy, and the attribution mode is storeable.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
rm -rf "$ROOT/proc" && ln -s /proc "$ROOT/proc"      # real processes, fake RAPL
DEV=$ROOT/sys/devices/virtual/powercap/intel-rapl
advance_start "$DEV/intel-rapl:0/energy_uj" 40
cat > "$WORK/power.conf" <<'CONF'
[system]
priority = rapl:package+dram
[attribution]
grace = 2
CONF
# attribution_baseline.sh and churn_baseline.sh run these tests again with [attribution] idle = baseline
[ -n "${IDLE_CONF:-}" ] && printf '%s\n' "$IDLE_CONF" >> "$WORK/power.conf"

# each burner in a cgroup of its own where cgroup v2 can be written
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGA= CGB=
if [ -n "$CG" ] && mkdir -p "$CG/power-test-a-$$" "$CG/power-test-b-$$" 2>/dev/null; then
    CGA=$CG/power-test-a-$$ CGB=$CG/power-test-b-$$
fi
# start_burner CGROUP-DIR BURN-ARGS...: tests/burn, inside CGROUP-DIR when
# one is given, from this shell (not in $(...)) so that it can reap it; sets
# BURNER to its pid and LAUNCHER to the pid to reap. In a cgroup, the burner
# is forked by a shell that has moved itself there first: the agent takes a
# process's cgroup from its first sight of it and does not follow moves
# (procfs/procscan.h), so a burner that moved itself after it started could
# be seen, and counted for good, in this shell's cgroup.
start_burner() {
    local cg=$1 pidfile=$WORK/burner.pid
    shift
    if [ -n "$cg" ]; then
        rm -f "$pidfile"
        sh -c 'echo $$ > "$1/cgroup.procs" || exit 1; shift; "$@" & echo $! > "$0"; wait' \
            "$pidfile" "$cg" "$BUILD/tests/burn" "$@" >/dev/null 2>&1 &
        LAUNCHER=$!
        wait_until 30 test -s "$pidfile"
        BURNER=$(cat "$pidfile" 2>/dev/null)
    else
        "$BUILD/tests/burn" "$@" >/dev/null 2>&1 &
        LAUNCHER=$! BURNER=$!
    fi
}
# A keeps to twice B's CPU time and B to half A's: neither runs ahead of the
# other, so they stay 2:1 at every moment however loaded the machine (a
# duty cycle in wall time or per period does not)
start_burner "$CGA" -f "$WORK/peer-of-a" 2; A=$BURNER LA=$LAUNCHER
start_burner "$CGB" -f "$A" 0.5; B=$BURNER LB=$LAUNCHER
echo "$B" > "$WORK/peer-of-a.new" && mv "$WORK/peer-of-a.new" "$WORK/peer-of-a"
cleanup_burners() {
    kill $A $B 2>/dev/null; wait $LA $LB 2>/dev/null
    [ -n "$CGA" ] && rmdir "$CGA" "$CGB" 2>/dev/null
}
# a burner runs until killed: also when the test stops short
trap 'cleanup_burners; advance_stop; pmcd_stop' EXIT
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.5 || not_ok "agent started"
wait_samples 3

# the kernel's count of a burner's CPU time in ns: schedstat's runtime (the
# burners are single-threaded), or utime + stime where there is no schedstat
TICK_NS=$((1000000000 / $(getconf CLK_TCK)))
cpu_ns() {
    awk '{ print $1; exit }' /proc/$1/schedstat 2>/dev/null ||
        awk -v t=$TICK_NS '{ sub(/.*\) /, ""); printf "%.0f\n", ($12 + $13) * t }' /proc/$1/stat
}
busy_ns() { awk -v t=$TICK_NS '$1 == "cpu" { printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * t; exit }' /proc/stat; }
# snapshot FILE METRIC...: one pminfo, so one fetch (pminfo batches the
# metrics it is given into one pmFetch), so all values from one agent sample
snapshot() { local f=$1; shift; pminfo $PMH -f "$@" > "$f"; }
# from FILE METRIC [INSTANCE-TEXT]: a value of a snapshot (the instance
# whose quoted name contains the text; none for a singular metric). A
# metric's name is a line of its own: pminfo names the instances after the
# fetch, and says "pmNameIndom: ... Unknown or illegal instance" for a
# process that left in between, on a line that is not a metric's.
from() {
    awk -v m="$2" -v k="${3:-}" '/^[^ ]+$/ { in_m = ($1 == m); next }
        in_m && (k == "" ? /^ +value / : index($0, k)) { print $NF; exit }' "$1" | tr -d '"'
}
pid_key() { printf '"%06d ' "$1"; }
# proc_window N: the kernel's CPU times just after an agent sample, and a
# snapshot of that same sample (retried if another sample came between), so
# the kernel's window and the agent's start and end within a fetch's time
proc_window() {
    local s n
    for _ in 1 2 3 4 5; do
        s=$(value power.control.samples)
        for _ in $(seq 100); do n=$(value power.control.samples); [ "$n" != "$s" ] && break; done
        printf -v "ta$1" '%s' "$(cpu_ns $A)"; printf -v "tb$1" '%s' "$(cpu_ns $B)"; printf -v "busy$1" '%s' "$(busy_ns)"
        snapshot "$WORK/snap$1" power.proc.energy power.system.active_energy power.control.samples
        [ "$(from "$WORK/snap$1" power.control.samples)" = "$n" ] && return 0
    done
    echo "# proc_window $1: no snapshot of the sample the CPU times were read at"
}
proc_window 1
wait_samples 8        # more than 3.5 s of the agent's own time at 0.5 s
proc_window 2
energy_at() { from "$WORK/snap$1" power.proc.energy "$(pid_key "$2")"; }
a1=$(energy_at 1 $A) b1=$(energy_at 1 $B) a2=$(energy_at 2 $A) b2=$(energy_at 2 $B)
act=$(awk -v x="$(from "$WORK/snap1" power.system.active_energy)" -v y="$(from "$WORK/snap2" power.system.active_energy)" 'BEGIN { print y - x }')
# the kernel's own count of their CPU time is the reference; they keep
# 2:1 at every moment, so the agent's window need not be exactly the kernel's
ratio=$(awk -v a=$((ta2 - ta1)) -v b=$((tb2 - tb1)) 'BEGIN { if (b > 0) print a / b }')
da=$(awk -v x="$a1" -v y="$a2" 'BEGIN { print y - x }')
db=$(awk -v x="$b1" -v y="$b2" 'BEGIN { print y - x }')
check_nonempty "$a1" "burner A is a power.proc instance named as proc does ($(printf '%06d' $A) ...)"
check_nonempty "$b1" "so is burner B ($(printf '%06d' $B) ...)"
near "$ratio" 2 0.35 "the burners used CPU time about 2:1 (kernel's ratio $ratio)"
near "$(awk -v a="$da" -v b="$db" 'BEGIN { if (b > 0) print a / b }')" "$ratio" 0.10 "their energy splits in the ratio of their CPU time ($da J vs $db J)"
# Their energy is their share of the host's busy CPU time (the kernel's
# counts over the same window) of the active energy the agent counted over
# it, whatever else loads the machine. The two windows' ends differ by the
# time of a fetch, so the shares agree to within what the load changes in
# that time at each end of 4 s.
share=$(awk -v a=$((ta2 - ta1)) -v b=$((tb2 - tb1)) -v t=$((busy2 - busy1)) 'BEGIN { if (t > 0) print (a + b) / t }')
burners=$(awk -v a="$da" -v b="$db" 'BEGIN { print a + b }')
near "$burners" "$(awk -v e="$act" -v s="$share" 'BEGIN { print e * s }')" 0.25 \
    "the burners' energy ($burners J) is their CPU share ($share) of the active energy ($act J)"
check_num "$burners" '<=' "$(awk -v e="$act" 'BEGIN { printf "%.17g", e * (1 + 1e-9) }')" \
    "the burners' energy is within the active energy of the same samples ($da + $db <= $act J)"

# conservation: one fetch, so every counter is from the same sample
read -r act att una exi sum <<<"$(proc_totals)"
near "$(awk -v a="$att" -v u="$una" 'BEGIN { print a + u }')" "$act" 0.01 "attributed + unattributed = active energy"
near "$(awk -v s="$sum" -v e="$exi" 'BEGIN { print s + e }')" "$att" 0.01 "listed processes + exited = attributed"
# watts: the busy burner's power is its share of the active power of the
# same interval (mode active), and no more than the whole host's power
snapshot "$WORK/snap3" power.proc.power power.proc.share power.system.active_power power.system.power
pwr=$(from "$WORK/snap3" power.proc.power "$(pid_key $A)")
shr=$(from "$WORK/snap3" power.proc.share "$(pid_key $A)")
apw=$(from "$WORK/snap3" power.system.active_power)
spw=$(from "$WORK/snap3" power.system.power)
near "$pwr" "$(awk -v s="$shr" -v p="$apw" 'BEGIN { printf "%.17g", s * p }')" 1e-6 \
    "power.proc.power of the busy burner is its share of the active power ($pwr W = $shr x $apw W)"
check_num "$pwr" '>' 0 "power.proc.power of the busy burner is positive"
check_num "$pwr" '<=' "$(awk -v a="$apw" 'BEGIN { printf "%.17g", a * (1 + 1e-9) }')" \
    "power.proc.power is in watts: within the active power ($pwr W <= $apw W)"
check_num "$apw" '<=' "$(awk -v s="$spw" 'BEGIN { printf "%.17g", s * (1 + 1e-9) }')" \
    "and the active power within the host's ($apw W <= $spw W)"

if [ -n "$CGA" ]; then
    # one fetch: a sample between two fetches adds an interval's energy to
    # whichever is read second (a failure once read 103.0 J against 110.2 J)
    snapshot "$WORK/snap4" power.proc.energy power.cgroup.energy
    for x in "A $A $CGA" "B $B $CGB"; do
        set -- $x
        near "$(from "$WORK/snap4" power.cgroup.energy "/${3##*/}\"")" "$(from "$WORK/snap4" power.proc.energy "$(pid_key $2)")" 0.02 \
            "the cgroup of burner $1 carries its energy"
    done
else
    check_match "$(pminfo $PMH -f power.cgroup.energy)" 'value' "cgroup energies are published (no writable cgroup v2 here)"
fi

# mode all spreads idle too: the processes then carry the whole energy
out=$(pmstore $PMH_LOCAL power.control.attribute_mode all 2>&1)
check_eq "$(value power.control.attribute_mode)" all "pmstore switches the attribution mode" "$out"
out=$(pmstore $PMH_LOCAL power.control.attribute_mode sideways 2>&1)
check_eq "$(value power.control.attribute_mode)" all "a bad mode is refused" "$out"
wait_samples 2
read -r s1 att1 una1 <<<"$(pmprobe -v $PMH power.system.energy power.proc.attributed.energy power.proc.unattributed.energy | awk '{ printf "%s ", $3 }')"
wait_samples 4
read -r s2 att2 una2 <<<"$(pmprobe -v $PMH power.system.energy power.proc.attributed.energy power.proc.unattributed.energy | awk '{ printf "%s ", $3 }')"
near "$(awk -v a="$att1" -v b="$att2" -v c="$una1" -v d="$una2" 'BEGIN { print (b - a) + (d - c) }')" \
     "$(awk -v a="$s1" -v b="$s2" 'BEGIN { print b - a }')" 0.01 "mode all: processes + unattributed = the whole energy"

# an exited process leaves after the grace period; its energy stays counted
energy_of() { pminfo $PMH -f power.proc.energy | awk -v p="$(pid_key "$1")" 'index($0, p) { print $NF; exit }'; }
cg_energy() { pminfo $PMH -f power.cgroup.energy | awk -v c="/${1##*/}\"" 'index($0, c) { print $NF }'; }
cgb_before=
[ -n "$CGB" ] && cgb_before=$(cg_energy "$CGB")
# its energy before the kill: after it, a loaded host may not run this shell
# again within the 2 s grace, and the instance is gone (seen: an empty value)
eb=$(energy_of $B)
kill $B; wait $LB 2>/dev/null
# The first sample from now finds it gone. The timer never fires early, so
# a sample m samples after another comes more than m - 1 intervals after
# it: the 6th from now is more than 4 intervals (2 s, the grace) after the
# first, whatever the load.
wait_samples 6
check_empty "$(energy_of $B)" "an exited process leaves the instance domain after the grace period"
exi=$(value power.proc.exited.energy)
check_num "$exi" '>=' "$eb" "its energy stays in power.proc.exited.energy"
if [ -n "$CGB" ]; then
    # the emptied cgroup was forgotten; a new process in the same path must
    # not make its instance's counter go backwards
    start_burner "$CGB" -f "$A" 0.5; B=$BURNER LB=$LAUNCHER
    wait_samples 4
    cgb_after=$(cg_energy "$CGB")
    check_num "$cgb_after" '>=' "$cgb_before" "a cgroup that empties and fills again keeps a rising counter"
fi
cleanup_burners
pmcd_stop
sanitizer_check
finish
