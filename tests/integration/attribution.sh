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

# each burner in a cgroup of its own where cgroup v2 can be written
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGA= CGB=
if [ -n "$CG" ] && mkdir -p "$CG/power-test-a-$$" "$CG/power-test-b-$$" 2>/dev/null; then
    CGA=$CG/power-test-a-$$ CGB=$CG/power-test-b-$$
fi
# started from this shell (not in $(...)) so that it can reap them
start_burner() {   # cgroup-dir duty
    if [ -n "$1" ]; then
        sh -c "echo \$\$ > '$1/cgroup.procs'; exec '$BUILD/tests/burn' $2" >/dev/null 2>&1 &
    else
        "$BUILD/tests/burn" "$2" >/dev/null 2>&1 &
    fi
}
start_burner "$CGA" 1.0; A=$!
start_burner "$CGB" 0.5; B=$!
cleanup_burners() {
    kill $A $B 2>/dev/null; wait $A $B 2>/dev/null
    [ -n "$CGA" ] && rmdir "$CGA" "$CGB" 2>/dev/null
}
sleep 0.3
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.5 || not_ok "agent started"
wait_samples 3

cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/$1/stat; }
energy_of() { pminfo $PMH -f power.proc.energy | awk -v p="$(printf '%06d ' "$1")" 'index($0, "\"" p) { print $NF; exit }'; }
a1=$(energy_of $A); b1=$(energy_of $B); ta1=$(cpu_ticks $A); tb1=$(cpu_ticks $B)
sleep 4
a2=$(energy_of $A); b2=$(energy_of $B); ta2=$(cpu_ticks $A); tb2=$(cpu_ticks $B)
# on a loaded 2-core machine the burners may not get exactly 2:1: the
# kernel's own count of their CPU time is the reference
ratio=$(awk -v a=$((ta2 - ta1)) -v b=$((tb2 - tb1)) 'BEGIN { if (b > 0) print a / b }')
da=$(awk -v x="$a1" -v y="$a2" 'BEGIN { print y - x }')
db=$(awk -v x="$b1" -v y="$b2" 'BEGIN { print y - x }')
check '[ -n "$a1" ] && [ -n "$b1" ]' "both burners are power.proc instances named as proc does ($(printf '%06d' $A) ...)"
near "$ratio" 2 0.35 "the burners used CPU time about 2:1 (kernel ticks ratio $ratio)"
near "$(awk -v a="$da" -v b="$db" 'BEGIN { if (b > 0) print a / b }')" "$ratio" 0.10 "their energy splits in the ratio of their CPU time ($da J vs $db J)"
# 40 W x 4 s; the active share is what is apportioned
check 'awk -v a="$da" -v b="$db" "BEGIN { exit !(a + b > 20 && a + b <= 160 * 1.02) }"' "the burners' energy is a plausible share of 40 W x 4 s"

# conservation: one fetch, so every counter is from the same sample
read -r act att una exi sum <<<"$(proc_totals)"
near "$(awk -v a="$att" -v u="$una" 'BEGIN { print a + u }')" "$act" 0.01 "attributed + unattributed = active energy"
near "$(awk -v s="$sum" -v e="$exi" 'BEGIN { print s + e }')" "$att" 0.01 "listed processes + exited = attributed"
pwr=$(pminfo $PMH -f power.proc.power | awk -v p="$(printf '%06d ' $A)" 'index($0, "\"" p) { print $NF }')
check 'awk -v p="$pwr" "BEGIN { exit !(p > 5 && p <= 40.5) }"' "power.proc.power of the busy burner is in watts ($pwr W)"

if [ -n "$CGA" ]; then
    cga=$(pminfo $PMH -f power.cgroup.energy | awk -v c="/${CGA##*/}\"" 'index($0, c) { print $NF }')
    near "$cga" "$(energy_of $A)" 0.02 "the cgroup of burner A carries its energy"
    cgb=$(pminfo $PMH -f power.cgroup.energy | awk -v c="/${CGB##*/}\"" 'index($0, c) { print $NF }')
    near "$cgb" "$(energy_of $B)" 0.02 "the cgroup of burner B carries its energy"
else
    check 'pminfo $PMH -f power.cgroup.energy | grep -q value' "cgroup energies are published (no writable cgroup v2 here)"
fi

# mode all spreads idle too: the processes then carry the whole energy
out=$(pmstore $PMH_LOCAL power.control.attribute_mode all 2>&1)
check '[ "$(value power.control.attribute_mode)" = all ]' "pmstore switches the attribution mode" "$out"
out=$(pmstore $PMH_LOCAL power.control.attribute_mode sideways 2>&1)
check '[ "$(value power.control.attribute_mode)" = all ]' "a bad mode is refused" "$out"
wait_samples 2
read -r s1 att1 una1 <<<"$(pmprobe -v $PMH power.system.energy power.proc.attributed.energy power.proc.unattributed.energy | awk '{ printf "%s ", $3 }')"
wait_samples 4
read -r s2 att2 una2 <<<"$(pmprobe -v $PMH power.system.energy power.proc.attributed.energy power.proc.unattributed.energy | awk '{ printf "%s ", $3 }')"
near "$(awk -v a="$att1" -v b="$att2" -v c="$una1" -v d="$una2" 'BEGIN { print (b - a) + (d - c) }')" \
     "$(awk -v a="$s1" -v b="$s2" 'BEGIN { print b - a }')" 0.01 "mode all: processes + unattributed = the whole energy"

# an exited process leaves after the grace period; its energy stays counted
cg_energy() { pminfo $PMH -f power.cgroup.energy | awk -v c="/${1##*/}\"" 'index($0, c) { print $NF }'; }
cgb_before=
[ -n "$CGB" ] && cgb_before=$(cg_energy "$CGB")
kill $B; wait $B 2>/dev/null
eb=$(energy_of $B)
sleep 3.5
check '[ -z "$(energy_of $B)" ]' "an exited process leaves the instance domain after the grace period"
exi=$(value power.proc.exited.energy)
check 'awk -v e="$exi" -v b="$eb" "BEGIN { exit !(e >= b) }"' "its energy stays in power.proc.exited.energy ($exi J >= $eb J)"
if [ -n "$CGB" ]; then
    # the emptied cgroup was forgotten; a new process in the same path must
    # not make its instance's counter go backwards
    start_burner "$CGB" 0.5; B=$!
    wait_samples 4
    cgb_after=$(cg_energy "$CGB")
    check 'awk -v a="$cgb_before" -v b="$cgb_after" "BEGIN { exit !(b != \"\" && b >= a) }"' \
        "a cgroup that empties and fills again keeps a rising counter ($cgb_before J -> $cgb_after J)"
fi
cleanup_burners
pmcd_stop
sanitizer_check
finish
