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
check_eq "$?" 0 "measure on a CPU burner succeeds" "$(cat "$WORK/err")"
jq -c '.trials[]' "$WORK/measure.json" | sed 's/^/# /'
jq -c '{baseline, median, cv}' "$WORK/measure.json" | sed 's/^/# /'
# measured FILTER: the jq FILTER holds of the measurement; all_trials FILTER: of every trial
measured() { jq -e "$1" "$WORK/measure.json" >/dev/null; }
all_trials() { measured "[.trials[] | $1] | all"; }
check_eq "$(jq '.trials | length' "$WORK/measure.json")" 4 "--trials 4 runs four trials"
check_cmd "every trial used positive energy" -- all_trials '.energy_j > 0'
# The model's power is the whole host's CPU use, so other work on the host
# raises it as the burner does, in the baseline as in the trials; and a
# trial lasts until its runs pass --min-trial-time, so slow runs lengthen
# it. So on a busy host the trials' net energies spread with the load (cv
# 0.59 on a fresh Debian 12 root while other work ran; here, on a loaded
# host, trials at 50 W over a 20 W baseline, windows of 1.2 to 1.8 s), and
# the net energy may even be negative. What holds whatever the load is
# asserted: each trial's energy is the agent's counter between two of its
# samples, so it is the model's 10 to 50 W over the trial's window (give
# or take one agent interval at each end, where pmpower sees the sample);
# the net energy is that less the baseline's power over the trial's own
# window; the spread reported is that of the net energies; and the
# burner's own processes carry energy in power.proc (below).
iv=$(jq .interval_s "$WORK/measure.json")
check_num "$iv" = 0.1 "measure paces itself by the agent's interval"
check_cmd "each trial's energy is the agent's counter over its window: 10 to 50 W of the model" \
    "$(jq -c '[.trials[] | [.energy_j, .window_s]]' "$WORK/measure.json")" -- \
    all_trials ".energy_j >= 10 * (.window_s - 2 * $iv) and .energy_j <= 50 * (.window_s + 2 * $iv)"
check_cmd "the baseline is the model's idle to busy power over whole agent intervals" \
    "$(jq -c .baseline "$WORK/measure.json")" -- \
    measured ".baseline | .power_w * .seconds >= 10 * (.seconds - 2 * $iv) and .power_w * .seconds <= 50 * (.seconds + 2 * $iv) and .seconds >= 1"
check_cmd "a trial's power is its energy over its window" -- \
    all_trials '((.power_w - .energy_j / .window_s) | fabs) < 1e-9 * (.power_w | fabs) + 1e-12'
check_cmd "a trial's net energy is its energy less the idle baseline's power over its window" \
    "baseline $(jq -c .baseline "$WORK/measure.json")" -- \
    measured '.baseline.power_w as $b | [.trials[] | (.net_energy_j - (.energy_j - $b * .window_s)) | fabs < 1e-6] | all'
check_cmd "the spread reported is the net energies' coefficient of variation" "cv $(jq .cv "$WORK/measure.json")" -- \
    measured '[.trials[].net_energy_j] as $e | ($e | add / length) as $m
              | ((([$e[] | (. - $m) * (. - $m)] | add) / (($e | length) - 1) | sqrt) / ($m | fabs)) as $cv
              | (.cv - $cv) | fabs < 1e-9 * $cv + 1e-12'
check_cmd "each trial lasts at least --min-trial-time" -- all_trials '.window_s >= 1'
check_cmd "a short command is repeated within a trial (a single run only when it took --min-trial-time)" \
    "$(jq -c '[.trials[] | [.runs, .time_s]]' "$WORK/measure.json")" -- all_trials '.runs >= 2 or .time_s >= 0.95'
check_cmd "medians of energy and time" -- measured '.median.energy_j > 0 and .median.time_s > 0'
if pminfo $PMH power.proc.energy >/dev/null 2>&1; then
    check_cmd "burning CPU costs energy: the command's own processes have energy in power.proc, in every trial" \
        "$(jq -c '[.trials[].process_energy_j]' "$WORK/measure.json")" -- all_trials '.process_energy_j > 0'
    check_cmd "the median of the command's own process energy" -- measured '.median.process_energy_j > 0'
else
    check_cmd "without power.proc the process energy is 'not available'" -- \
        measured '.process_energy | test("not available")'
fi

# the text summary, and early stopping on --cv
# (no baseline: the energies are all positive, and the coefficient of
# variation of three positive numbers is below sqrt(3), so under 5 whatever
# the load)
"$PMPOWER" measure $PMH --trials 6 --cv 5 --min-trial-time 0.3 -- sh -c "$burn" > "$WORK/summary" 2>&1
check_eq "$?" 0 "measure with --cv succeeds" "$(tail -3 "$WORK/summary")"
check_file_has "$WORK/summary" '^median ' "the text summary has the medians"
check_file_has "$WORK/summary" 'stopped early' "--cv stops after three trials once the spread is small enough"
sed 's/^/# /' "$WORK/summary"

# a failing command fails the measurement; one that cannot start says so
"$PMPOWER" measure $PMH --trials 2 -- sh -c 'exit 3' > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a command exiting 3 fails the measurement (exit 1)" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'exited with status 3' "and says how the command ended"
"$PMPOWER" measure $PMH -- /nonexistent/tool --flag > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a command that cannot start: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'cannot run "/nonexistent/tool"' "it names the command"
check_eq "$(wc -l < "$WORK/err")" 1 "in one line"
"$PMPOWER" report -h nosuchhost.invalid -T +1s > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "an unknown host: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'cannot connect to pmcd on "nosuchhost\.invalid"' "it names the host"
check_eq "$(wc -l < "$WORK/err")" 1 "in one line"
"$PMPOWER" report $PMH -S -10min -T +1s > /dev/null 2>"$WORK/err"
check_ne "$?" 0 "a live window in the past fails" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'no history' "a live window in the past points to archives"

# a live window: the RAPL zone at 25 W for 2 s. The window runs from an
# agent sample to the first sample 2 s after pmpower began, so it lies
# within pmpower's run and ends 2 s or more after it started; its samples
# are the agent's count between them: at least one, never more than the
# window holds intervals (the timer never fires early), nor more than the
# agent counted around the whole run.
s0=$(samples_now) launched=$EPOCHREALTIME
out=$("$PMPOWER" report $PMH -T +2s --json 2>"$WORK/err")
done_at=$EPOCHREALTIME s1=$(samples_now)
read -r w_start w_end w_samples <<<"$(echo "$out" | jq -r '"\(.start_epoch) \(.end_epoch) \(.samples)"')"
near_window "$(echo "$out" | jq -r '.energy[] | select(.label == "rapl:package-0") | .joules')" "$w_start" "$w_end" \
    "a live report of 2 s sees the zone's 25 W"
echo "# pmpower ran from $launched to $done_at; the window: $w_start to $w_end, $w_samples samples ($s0 -> $s1 around it)"
check_between "$w_start" "$(awk -v t="$launched" 'BEGIN { printf "%.6f", t - 0.01 }')" "$w_end" "the live window starts at a sample after pmpower began"
check_num "$w_end" '>=' "$(awk -v t="$launched" 'BEGIN { printf "%.6f", t + 2 }')" "the live window lasts as asked: it ends 2 s or more after"
check_num "$w_end" '<=' "$(awk -v t="$done_at" 'BEGIN { printf "%.6f", t + 0.01 }')" "and within pmpower's run"
check_between "$w_samples" 1 "$(awk -v a="$w_start" -v b="$w_end" -v s0="$s0" -v s1="$s1" \
    'BEGIN { n = int((b - a) / 0.1 + 1); if (s1 - s0 < n) n = s1 - s0; print n }')" \
    "samples counts the agent's samples in a live window"

# csv live until SIGINT: a clean, complete file. Interrupted once it has
# written four rows (however long a loaded host takes to start it), not
# after a fixed time
"$PMPOWER" csv $PMH -o "$WORK/live.csv" -t 0.25 --smooth 2 power.rapl 2>"$WORK/csv.err" &
pid=$!
four_rows() { [ "$(wc -l < "$WORK/live.csv" 2>/dev/null || echo 0)" -ge 5 ]; }
wait_until 60 four_rows
kill -INT $pid
wait $pid
check_eq "$?" 0 "csv ends cleanly on SIGINT" "$(cat "$WORK/csv.err")"
rows=$(($(wc -l < "$WORK/live.csv") - 1))
check_num "$rows" '>=' 4 "csv wrote a row per interval until interrupted"
check_match "$(head -1 "$WORK/live.csv")" '^ts,rapl(_package-0)?_energy_j,rapl(_package-0)?_power_w,rapl(_package-0)?_power_w_avg2$' \
    "live csv header"
check_eq "$(tail -c 1 "$WORK/live.csv" | od -An -c | tr -d ' ')" '\n' "the last row is complete (flushed)"
sed 's/^/# /' "$WORK/live.csv"

# csv with a 20 s step, interrupted while its second step waits on pmcd
# (pmcd held stopped from the first row on): the signal, held back over the
# fetch (pmpower/stop.h), ends it as soon as pmcd answers, not after
# sleeping the rest of a step (it did: 18 s more)
"$PMPOWER" csv $PMH -o "$WORK/long.csv" -t 20 power.rapl 2>"$WORK/long.err" &
pid=$!
one_row() { [ "$(wc -l < "$WORK/long.csv" 2>/dev/null || echo 0)" -ge 2 ]; }
wait_until 60 one_row
kill -STOP "$PMCD_PID"
sleep 21                      # the second step began (20 s after the first) and waits on pmcd
kill -INT $pid; sleep 0.5
kill -CONT "$PMCD_PID"
wait_until 10 exited $pid
check_cmd "csv interrupted in a fetch ends once pmcd answers (within 10 s, not the step's 18 s left)" -- exited $pid
wait $pid
check_eq "$?" 0 "and ends cleanly" "$(cat "$WORK/long.err")"
check_file_has "$WORK/long.err" 'interrupted after 2 rows' "with the row the answered fetch gave"

# top in batch mode
"$PMPOWER" top $PMH -n 2 -t 0.5 > "$WORK/top" 2>&1
check_eq "$?" 0 "top -n 2 succeeds" "$(tail -3 "$WORK/top")"
check_eq "$(grep -c '^pmpower top' "$WORK/top")" 2 "top -n 2 prints two frames"
check_file_has "$WORK/top" '^system .* W   source model' "top shows the system power and its source"
check_file_has "$WORK/top" 'rapl:package-0' "and the sources"
check_file_has "$WORK/top" 'PID|processes: not available' "top lists processes (or says why not)"
check_file_lacks "$WORK/top" $'\033' "batch mode has no escape codes"
head -20 "$WORK/top" | sed 's/^/# /'
fake_rapl_stop
sanitizer_check
finish
