#!/usr/bin/env bash
# pmpower calibrate end to end: a fake RAPL zone whose power follows real
# CPU load (tests/helpers/loadwatts: 20 W + 25 W per busy CPU), so the fit
# must find 20 W and 25 W a CPU. The load is this test's own processes
# (pmpower, its burners, this shell's; loadwatts -t), which loadwatts also
# writes as the agent's /proc/stat: on a machine shared with other jobs
# the steps are still the burners', and whatever CPU they get, the line
# through them is the zone's. Also: it refuses a busy host, --write puts
# the fit in [model] and the agent takes it without a restart, and an
# interrupt or an error stops its burners and writes nothing; --wall-ratio scales a RAPL
# reference to the wall.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pmpower.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
ZONE=$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj
# no psys: it would be the first choice, and make_rapl_tree's stands still
rm -rf "$ROOT/sys/class/powercap/intel-rapl:1" "$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:1"
"$BUILD/tests/loadwatts" "$ZONE" 20 25 -t $$ "$ROOT/proc/stat" & LOADWATTS=$!
for _ in $(seq 100); do grep -q '^cpu ' "$ROOT/proc/stat" 2>/dev/null && break; sleep 0.05; done
NCPU=$(getconf _NPROCESSORS_ONLN)
CONF=$WORK/power.conf
cat > "$CONF" <<'CONF'
# a comment that must stay
[system]
priority = rapl:package+dram
[attribution]
enabled = no
[model]
# the placeholders calibrate replaces
idle_watts = 10
max_watts = 40
#curve = 0:10, 50:30, 100:45
CONF
BURNERS=()
stop_all() { kill "${BURNERS[@]}" $LOADWATTS 2>/dev/null; wait "${BURNERS[@]}" $LOADWATTS 2>/dev/null; advance_stop; pmcd_stop; }
trap stop_all EXIT
pmcd_start -r "$ROOT" -c "$CONF" -t 0.2 || not_ok "agent started"
wait_samples 3

# a busy host is refused, saying how busy
for _ in $(seq "$NCPU"); do "$BUILD/tests/burn" 1 >/dev/null 2>&1 & BURNERS+=($!); done
"$PMPOWER" calibrate $PMH --window 1 > "$WORK/busy.out" 2> "$WORK/busy.err"
sts=$?
kill "${BURNERS[@]}"; wait "${BURNERS[@]}" 2>/dev/null; BURNERS=()
check_num "$sts" = 1 "a host kept busy by other work is refused (exit $sts)"
check_file_has "$WORK/busy.err" 'the host is [0-9.]*% busy \([0-9.]* CPUs\) with other work: calibrate needs it idle' \
    "and told how busy it is and why: $(head -c 300 "$WORK/busy.err")"

# --wall-ratio with a reference other than RAPL is refused
"$PMPOWER" calibrate $PMH --reference meter --wall-ratio 1.2 > /dev/null 2> "$WORK/ratio.err"
sts=$?
check_num "$sts" = 2 "--wall-ratio with a reference other than RAPL is refused (exit $sts)" "$(cat "$WORK/ratio.err")"
check_file_has "$WORK/ratio.err" 'wall-ratio scales a RAPL reference' "and says why"

# the steps, the fit and --write; --max-busy 1: other tests may load this machine.
# RAPL at the wall's scale: a sibling's wall ratio (1.2) scales every step, and the
# model written predicts the wall (reference = meter). Without --wall-ratio the
# same code runs with a ratio of 1 and writes the reference's own name.
R=1.2
"$PMPOWER" calibrate $PMH --wall-ratio $R --window 1 --settle 0.05 --step-time 8 --max-busy 1 --write --config "$CONF" \
    > "$WORK/cal.out" 2> "$WORK/cal.err"
sts=$?
sed 's/^/# /' "$WORK/cal.out" "$WORK/cal.err"
check_num "$sts" = 0 "calibrate ran and wrote (exit $sts)"
check_file_has "$WORK/cal.out" '^reference rapl:package\+dram \(package-0 \+ package-0/dram, times the wall ratio\)' \
    "the reference found through pmcd: RAPL package+dram, times the wall ratio"
steps=$(grep -c '^step [0-9]*: ' "$WORK/cal.out")
check_num "$steps" = $((NCPU + 1)) "one step for idle and one for each of the $NCPU CPUs ($steps)"
conf_value() { sed -n "s/^$1 = //p" "$CONF"; }
sed -n '/^\[model\]/,$p' "$CONF" | sed 's/^/# /'
# the agent and pmcd are this shell's too: their load is in the idle step
# (a loaded machine gives the burners little CPU: the line is then drawn
# through steps close together, and its ends move with each step's error)
near "$(conf_value idle_watts)" 24 0.10 "idle_watts fitted to the zone's 20 W x $R"
near "$(conf_value per_core_watts)" 30 0.10 "per_core_watts fitted to the zone's 25 W a busy CPU x $R"
near "$(conf_value max_watts)" $((24 + 30 * NCPU)) 0.10 "max_watts = idle + 30 W x $NCPU CPUs"
# each step as printed: the zone's own law at the busy CPUs the agent measured
awk '/^step +busy CPUs/ { t = 1; next } t && NF == 6 && $1 ~ /^[0-9]+$/ { print $2, $4 }' "$WORK/cal.out" > "$WORK/steps"
while read -r busy watts; do
    near "$watts" "$(awk -v b="$busy" 'BEGIN { print 1.2 * (20 + 25 * b) }')" 0.06 "at $busy busy CPUs the reference read $R x (20 + 25 x $busy) W ($watts W)"
done < "$WORK/steps"
# each step's error, as printed: the line through the steps fits them all
worst=$(awk '/^step +busy CPUs/ { t = 1; next } t && NF == 6 && $1 ~ /^[0-9]+$/ { e = $6; sub(/%/, "", e); if (e < 0) e = -e; if (e > w) w = e } END { print w + 0 }' "$WORK/cal.out")
check_num "$worst" '<' 6 "the fit's error at every step is under 6% (worst $worst%)"
check_nonempty "$(conf_value curve)" "curve written: $(conf_value curve)"
check_eq "$(conf_value reference)" meter "and the reference at the wall's scale: $(conf_value reference)"
check_file_has "$CONF" '^# a comment that must stay' "the rest of power.conf kept: its comment"
check_file_has "$CONF" '^#curve = 0:10, 50:30, 100:45' "the rest of power.conf kept: the commented-out curve"
check_num "$(grep -c '^idle_watts' "$CONF")" = 1 "the old keys replaced: one idle_watts"
check_file_has "$WORK/cal.out" '^the agent took it: power\.source\.reason\[model\] "an estimate from CPU utilisation, calibrated' \
    "the agent took the new model without a restart"
# the calibrated model now follows the zone: their energies over the same
# samples (one fetch each end) agree
e1=$(pmprobe -v $PMH power.model.energy power.rapl.energy | awk '{ printf "%s ", $3 }')
wait_samples 15
e2=$(pmprobe -v $PMH power.model.energy power.rapl.energy | awk '{ printf "%s ", $3 }')
read -r m1 r1 _ <<<"$e1"; read -r m2 r2 _ <<<"$e2"
near "$(awk -v a="$m1" -v b="$m2" 'BEGIN { print b - a }')" "$(awk -v a="$r1" -v b="$r2" 'BEGIN { print 1.2 * (b - a) }')" 0.10 \
    "the calibrated model's energy follows the zone's x $R over 15 samples"
cp "$CONF" "$WORK/conf.before"

# start_midstep NAME: a calibration (output in $WORK/NAME.out, .err) in its
# background as CAL, once step 1's burner runs (its pids in kids)
start_midstep() {
    "$PMPOWER" calibrate $PMH --window 1 --settle 0 --step-time 5 --max-busy 1 --write --config "$CONF" \
        > "$WORK/$1.out" 2> "$WORK/$1.err" & CAL=$!
    kids=
    for _ in $(seq 300); do
        kids=$(pgrep -P $CAL | tr '\n' ' ')
        grep -q '^step 0:' "$WORK/$1.out" 2>/dev/null && [ -n "$kids" ] && break
        sleep 0.1
    done
    check_nonempty "$kids" "step 1 runs its burner ($kids)"
}
no_burner_left() {
    left=; for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
    check_empty "$left" "no burner left running $1${left:+:$left}"
}
# an interrupt in the middle of a step: burners stopped, nothing written
start_midstep int
kill -INT $CAL; wait $CAL; sts=$?
check_num "$sts" = 1 "an interrupted calibration exits 1 ($sts)"
check_file_has "$WORK/int.err" 'interrupted: burners stopped, nothing written' "and says so: $(cat "$WORK/int.err")"
no_burner_left "after the interrupt"
check_cmd "power.conf untouched" -- cmp -s "$CONF" "$WORK/conf.before"

# an interrupt while a fetch waits on pmcd (pmcd held stopped, so the signal
# lands in libpcp's PDU exchange, which PCP before 6.3 failed on EINTR): the
# same clean stop, not "the agent stopped giving values"
start_midstep intfetch
kill -STOP "$PMCD_PID"; sleep 1
kill -INT $CAL; sleep 0.5
kill -CONT "$PMCD_PID"
wait $CAL; sts=$?
check_num "$sts" = 1 "interrupted while it waits on pmcd: calibrate exits 1 ($sts)"
check_file_has "$WORK/intfetch.err" 'interrupted: burners stopped, nothing written' \
    "and says it was interrupted: $(cat "$WORK/intfetch.err")"
no_burner_left "after the interrupt in a fetch"
check_cmd "power.conf untouched" -- cmp -s "$CONF" "$WORK/conf.before"

# an error in the middle of a step (the agent and pmcd gone): burners stopped too
start_midstep err
pmcd_stop
wait $CAL; sts=$?
check_num "$sts" = 1 "the agent gone mid-step: calibrate fails (exit $sts)" "$(cat "$WORK/err.err")"
check_file_has "$WORK/err.err" 'stopped giving values' "and says so"
no_burner_left "after the error"
check_cmd "power.conf untouched" -- cmp -s "$CONF" "$WORK/conf.before"

stop_all
sanitizer_check
finish
