#!/usr/bin/env bash
# pmpower on a live host: measure on a CPU burner reports positive,
# repeatable energy over the idle baseline (the utilisation model over the
# real /proc, so burning CPU costs watts), a failing command fails the
# measurement, a live report and csv see the fake RAPL zone's known watts,
# csv ends cleanly on SIGINT, top prints frames; clear errors for an
# unknown host and a command that cannot start.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

fake_rapl "$WORK/root" 25
ln -s /proc "$WORK/root/proc"
printf '[system]\npriority = model\n[model]\nidle_watts = 10\nmax_watts = 50\n' > "$WORK/power.conf"
pmcd_start -r "$WORK/root" -t 0.1 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
wait_samples 3

# a CPU burner of about half a second; trials of at least one second
burn="i=0; while [ \$i -lt 150000 ]; do i=\$((i+1)); done"
"$PMPOWER" measure $PMH --trials 4 --baseline 1 --min-trial-time 1 --json -- sh -c "$burn" \
    > "$WORK/measure.json" 2>"$WORK/err"
rc=$?
check "[ $rc -eq 0 ]" "measure on a CPU burner succeeds" "rc=$rc: $(cat "$WORK/err")"
jq -c '.trials[]' "$WORK/measure.json" | sed 's/^/# /'
jq -c '{baseline, median, cv}' "$WORK/measure.json" | sed 's/^/# /'
n=$(jq '.trials | length' "$WORK/measure.json")
check "[ '$n' -eq 4 ]" "--trials 4 runs four trials" "got $n"
check "jq -e '[.trials[].energy_j > 0] | all' '$WORK/measure.json' >/dev/null" "every trial used positive energy"
check "jq -e '[.trials[].net_energy_j > 0] | all' '$WORK/measure.json' >/dev/null" \
    "every trial's energy is above the idle baseline (burning CPU costs energy)"
check "jq -e '[.trials[].window_s >= 1] | all' '$WORK/measure.json' >/dev/null" "each trial lasts at least --min-trial-time"
check "jq -e '[.trials[].runs >= 2] | all' '$WORK/measure.json' >/dev/null" "a short command is repeated within a trial"
check "jq -e '.cv < 0.5' '$WORK/measure.json' >/dev/null" "repeatable: the trials' energies vary by less than 50%" \
    "cv $(jq .cv "$WORK/measure.json")"
check "jq -e '.median.power_w > .baseline.power_w' '$WORK/measure.json' >/dev/null" "median power exceeds the idle power"
check "jq -e '.median.energy_j > 0 and .median.time_s > 0' '$WORK/measure.json' >/dev/null" "medians of energy and time"
if pminfo $PMH power.proc.energy >/dev/null 2>&1; then
    check "jq -e '.median.process_energy_j > 0' '$WORK/measure.json' >/dev/null" \
        "the command's own processes have energy in power.proc"
else
    check "jq -e '.process_energy | test(\"not available\")' '$WORK/measure.json' >/dev/null" \
        "without power.proc the process energy is 'not available'"
fi

# the text summary, and early stopping on --cv
"$PMPOWER" measure $PMH --trials 6 --cv 5 --min-trial-time 0.3 -- sh -c "$burn" > "$WORK/summary" 2>&1
check "[ \$? -eq 0 ] && grep -q '^median ' '$WORK/summary' && grep -q 'stopped early' '$WORK/summary'" \
    "--cv stops after three trials once the spread is small enough" "$(tail -3 "$WORK/summary")"
sed 's/^/# /' "$WORK/summary"

# a failing command fails the measurement; one that cannot start says so
"$PMPOWER" measure $PMH --trials 2 -- sh -c 'exit 3' > /dev/null 2>"$WORK/err"
rc=$?
check "[ $rc -eq 1 ] && grep -q 'exited with status 3' '$WORK/err'" "a command exiting 3 fails the measurement (exit 1)" \
    "rc=$rc: $(cat "$WORK/err")"
"$PMPOWER" measure $PMH -- /nonexistent/tool --flag > /dev/null 2>"$WORK/err"
rc=$?
check "[ $rc -eq 1 ] && grep -q 'cannot run \"/nonexistent/tool\"' '$WORK/err' && [ \$(wc -l < '$WORK/err') -eq 1 ]" \
    "a command that cannot start: exit 1, one line" "rc=$rc: $(cat "$WORK/err")"
"$PMPOWER" report -h nosuchhost.invalid -T +1s > /dev/null 2>"$WORK/err"
rc=$?
check "[ $rc -eq 1 ] && grep -q 'cannot connect to pmcd on \"nosuchhost.invalid\"' '$WORK/err' && [ \$(wc -l < '$WORK/err') -eq 1 ]" \
    "an unknown host: exit 1, one line" "rc=$rc: $(cat "$WORK/err")"
"$PMPOWER" report $PMH -S -10min -T +1s > /dev/null 2>"$WORK/err"
check "[ \$? -ne 0 ] && grep -q 'no history' '$WORK/err'" "a live window in the past points to archives"

# a live window: the RAPL zone at 25 W for 2 s
out=$("$PMPOWER" report $PMH -T +2s --json 2>"$WORK/err")
near "$(echo "$out" | jq -r '.energy[] | select(.label == "rapl:package-0") | .mean_w')" 25 0.03 \
    "a live report of 2 s sees the zone's 25 W"
near "$(echo "$out" | jq -r .duration_s)" 2 0.1 "the live window lasts as asked"
check "[ \"\$(echo '$out' | jq -r .samples)\" -ge 15 ]" "samples counts the agent's samples in a live window"

# csv live until SIGINT: a clean, complete file
"$PMPOWER" csv $PMH -o "$WORK/live.csv" -t 0.25 --smooth 2 power.rapl 2>"$WORK/csv.err" &
pid=$!
sleep 1.6
kill -INT $pid
wait $pid
rc=$?
check "[ $rc -eq 0 ]" "csv ends cleanly on SIGINT" "rc=$rc: $(cat "$WORK/csv.err")"
rows=$(($(wc -l < "$WORK/live.csv") - 1))
check "[ $rows -ge 4 ]" "csv wrote a row per interval until interrupted" "got $rows"
check "[ \"\$(head -1 '$WORK/live.csv')\" = 'ts,rapl_energy_j,rapl_power_w,rapl_power_w_avg2' ] || [ \"\$(head -1 '$WORK/live.csv')\" = 'ts,rapl_package-0_energy_j,rapl_package-0_power_w,rapl_package-0_power_w_avg2' ]" \
    "live csv header" "$(head -1 "$WORK/live.csv")"
check "[ \"\$(tail -c 1 '$WORK/live.csv' | od -An -c | tr -d ' ')\" = '\\n' ]" "the last row is complete (flushed)"
sed 's/^/# /' "$WORK/live.csv"

# top in batch mode
"$PMPOWER" top $PMH -n 2 -t 0.5 > "$WORK/top" 2>&1
rc=$?
check "[ $rc -eq 0 ] && [ \$(grep -c '^pmpower top' '$WORK/top') -eq 2 ]" "top -n 2 prints two frames" "rc=$rc"
check "grep -q '^system .* W   source model' '$WORK/top' && grep -q 'rapl:package-0' '$WORK/top'" \
    "top shows the system power, its source and the sources"
check "grep -q 'PID' '$WORK/top' || grep -q 'processes: not available' '$WORK/top'" "top lists processes (or says why not)"
check "! grep -q \$'\\033' '$WORK/top'" "batch mode has no escape codes"
head -20 "$WORK/top" | sed 's/^/# /'
fake_rapl_stop
sanitizer_check
finish
