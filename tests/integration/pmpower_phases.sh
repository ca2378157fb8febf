#!/usr/bin/env bash
# Energy per labelled phase: a fake RAPL zone at 20 W, then 60 W, then 35 W,
# logged by pmlogger; report --phases (JSON, benchmark records, CSV, stdin)
# returns each phase's energy within 1%, the energy between phases and the
# overlaps, and flags a phase shorter than the sampling. Marks made with
# pmpower mark during the run are found in the archive (when the agent keeps
# power.phase marks).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

fake_rapl "$WORK/root" 20
pmcd_start -r "$WORK/root" -t 0.1 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
have_marks=false
pminfo $PMH power.phase.mark >/dev/null 2>&1 && have_marks=true
printf 'log mandatory on 1 sec {\n    power.system\n    power.rapl\n    power.control\n    power.phase\n}\n' > "$WORK/logger.cfg"
# logging until the schedule below is over, however long a loaded host
# makes it: stopped then, not after a fixed time that must cover it
pmlogger_start "$WORK/logger.cfg" 5min
tl=$(date +%s.%N)
# every boundary is 1.3 s from a change of power: with 1 s logging, an
# interpolation interval never holds a step (the agent's 0.1 s lag included)
sleep 1.5
mark() { $have_marks && "$PMPOWER" mark $PMH "$@"; }
sleep 1.3; mark start "tier 20"; sleep 3.4; mark end "tier 20"; sleep 1.3
set_watts 60
sleep 1.3; mark start tier60; sleep 0.5
if $have_marks; then
    "$PMPOWER" mark $PMH sleepy -- sleep 1.5     # inside tier60: overlaps it
    check_eq "$?" 0 "mark LABEL -- COMMAND runs the command and exits with its status"
else
    sleep 1.5
fi
sleep 0.5; mark end tier60; sleep 1.3
set_watts 35
sleep 1.3; mark start tier35; sleep 3.4; mark end tier35; sleep 1.3
kill "$LOGGER_PID"; pmlogger_wait
fake_rapl_stop
ARCH=$WORK/arch
sed 's/^/# watts /' "$WORK/watts.log"
# the first phase starts 1.3 s into the archive's own records at the
# earliest: a pmlogger slow to start must not leave it before the archive
first=$(records "$ARCH" power.system.energy | awk '$2 != "-" { print $1; exit }')

t20=$(awk 'NR == 1 { printf "%.6f", $1 / 1e6 }' "$WORK/watts.log")
t60=$(awk 'NR == 2 { printf "%.6f", $1 / 1e6 }' "$WORK/watts.log")
t35=$(awk 'NR == 3 { printf "%.6f", $1 / 1e6 }' "$WORK/watts.log")
at() { awk -v t="$1" -v d="$2" 'BEGIN { printf "%.6f", t + d }'; }
iso() { date -d "@$1" '+%F %T.%6N'; }
A0=$(awk -v t="$tl" -v f="$first" 'BEGIN { t += 2.8; f += 1.3; printf "%.6f", (t > f ? t : f) }') A1=$(at "$t60" -1.3)
B0=$(at "$t60" 1.3) B1=$(at "$t35" -1.3)
C0=$(at "$t35" 1.3) C1=$(at "$t35" 4.7)
S0=$(at "$t60" 2.0) S1=$(at "$t60" 2.3)
cat > "$WORK/phases.json" <<EOJ
[
  {"label": "low", "start": "$(iso "$A0")", "end": "$(iso "$A1")"},
  {"label": "high", "start": "$(iso "$B0")", "end": "$(iso "$B1")"},
  {"label": "mid", "start": "$(iso "$C0")", "end": "$(iso "$C1")"},
  {"label": "blip", "start": "$(iso "$S0")", "end": "$(iso "$S1")"}
]
EOJ
"$PMPOWER" report -a "$ARCH" --phases "$WORK/phases.json" --json > "$WORK/out.json" 2>"$WORK/err"
check_eq "$?" 0 "report --phases FILE (JSON) succeeds" "$(cat "$WORK/err")"
jq -c '.phases[] | {label: .label, duration_s, joules, mean_w, samples, interpolated, overlaps}' "$WORK/out.json" | sed 's/^/# /'
jq -c .total "$WORK/out.json" | sed 's/^/# /'
got() { jq -r --arg l "$1" '.phases[] | select(.label == $l) | .joules' "$WORK/out.json"; }
near_window "$(got low)" "$A0" "$A1" "phase at 20 W: its energy"
near_window "$(got high)" "$B0" "$B1" "phase at 60 W: its energy"
near_window "$(got mid)" "$C0" "$C1" "phase at 35 W: its energy"
near "$(jq -r '.phases[] | select(.label == "high") | .mean_w' "$WORK/out.json")" \
    "$(jq -r '.phases[] | select(.label == "high") | .joules / .duration_s' "$WORK/out.json")" 1e-9 "mean watts per phase: energy over duration"
near "$(jq -r '.phases[] | select(.label == "high") | .duration_s' "$WORK/out.json")" \
    "$(awk -v a="$B0" -v b="$B1" 'BEGIN { print b - a }')" 0.001 "a phase's duration is its own"
phase() { jq -c --arg l "$1" ".phases[] | select(.label == \$l) | $2" "$WORK/out.json"; }
check_eq "$(phase blip .interpolated)" true "a phase shorter than the sampling is flagged as interpolated"
check_eq "$(phase low .interpolated)" false "a long phase is not flagged"
check_eq "$(phase blip .overlaps)" '["high"]' "overlapping phases are reported as such"
check_eq "$(jq -r .total.overlapping_pairs "$WORK/out.json")" 1 "one overlapping pair"
want_gap=$(awk -v a="$(energy_between "$A1" "$B0")" -v b="$(energy_between "$B1" "$C0")" 'BEGIN { print a + b }')
# each gap's ends may read up to LAG early, as a phase's
want_lo=$(awk -v a="$(energy_between "$A1" "$(at "$B0" -$LAG)")" -v b="$(energy_between "$B1" "$(at "$C0" -$LAG)")" 'BEGIN { printf "%.6f", (a + b) * 0.98 }')
want_hi=$(awk -v a="$(energy_between "$(at "$A1" -$LAG)" "$B0")" -v b="$(energy_between "$(at "$B1" -$LAG)" "$C0")" 'BEGIN { printf "%.6f", (a + b) * 1.02 }')
check_between "$(jq -r .total.uncovered_joules "$WORK/out.json")" "$want_lo" "$want_hi" \
    "the energy between phases that no phase covers (2 gaps of 2.6 s)" "want $want_gap J"
near_window "$(jq -r .total.span.joules "$WORK/out.json")" "$A0" "$C1" "the span's energy"
near "$(jq -r .total.phases_joules "$WORK/out.json")" \
    "$(jq '[.phases[].joules] | add' "$WORK/out.json")" 1e-9 "the total of the phases"

# the benchmark-record shape, CSV, and standard input
us() { awk -v t="$1" 'BEGIN { printf "%.0f", t * 1e6 }'; }
cat > "$WORK/bench.json" <<EOJ
{"benchmark": "kernels", "phases": [
  {"name": "tier-high", "start_timestamp": $(us "$B0"), "duration_us": $(awk -v a="$B0" -v b="$B1" 'BEGIN { printf "%.0f", (b - a) * 1e6 }')}
]}
EOJ
got=$("$PMPOWER" report -a "$ARCH" --phases "$WORK/bench.json" --json | jq -r '.phases[0].joules')
near_window "$got" "$B0" "$B1" "benchmark records (start_timestamp in us, duration_us)"
printf 'label,start,end\nlow,%s,%s\nmid,%s,%s\n' "$(iso "$A0")" "$(iso "$A1")" "$C0" "$C1" > "$WORK/phases.csv"
"$PMPOWER" report -a "$ARCH" --phases - < "$WORK/phases.csv" > "$WORK/text" 2>&1
check_eq "$?" 0 "CSV phases from standard input" "$(tail -3 "$WORK/text")"
check_file_has "$WORK/text" '^low ' "as text: the phase low"
check_file_has "$WORK/text" '^mid ' "the phase mid"
check_file_has "$WORK/text" '^between phases' "and the energy between phases"
sed 's/^/# /' "$WORK/text"
"$PMPOWER" report -a "$ARCH" --phases - <<< 'bad line' > /dev/null 2>"$WORK/err"
check_eq "$?" 2 "a malformed phases file: exit 2" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'line 1' "a malformed phases file: the error names the line"
"$PMPOWER" report -a "$ARCH" --phases - <<< 'old,2001-01-01 00:00:00,2001-01-01 00:01:00' > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a phase outside the archive: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'phase "old" is outside the archive' "a phase outside the archive is named"
# found by fuzz/fuzz_phases.c: a duration that no date can end
"$PMPOWER" report -a "$ARCH" --phases - <<< "[{\"label\": \"far\", \"start\": \"$(iso "$A0")\", \"duration_s\": 1e300}]" \
    > "$WORK/out" 2>"$WORK/err"
rc=$?
check_eq "$rc" 2 "a phase ending in the year 1e292 is refused (exit 2)" "$(cat "$WORK/err" "$WORK/out")"
check_file_has "$WORK/err" 'phase "far": its end 1e\+300 is not a time \(0001-01-01 to 9999-12-31\)' \
    "with a clear error, not a garbage window"

# marks kept by the agent
if $have_marks; then
    "$PMPOWER" report -a "$ARCH" --phases archive --json > "$WORK/marks.json" 2>"$WORK/err"
    check_eq "$?" 0 "report --phases archive finds the marks" "$(cat "$WORK/err")"
    jq -c '.phases[] | {label: .label, start_epoch, end_epoch, joules, overlaps}' "$WORK/marks.json" | sed 's/^/# /'
    check_eq "$(jq -r '[.phases[].label] | join(",")' "$WORK/marks.json")" 'tier 20,tier60,sleepy,tier35' \
        "every marked phase is in the archive, in order (labels may hold spaces)"
    for l in "tier 20" tier60 tier35 sleepy; do
        a=$(jq -r --arg l "$l" '.phases[] | select(.label == $l) | .start_epoch' "$WORK/marks.json")
        b=$(jq -r --arg l "$l" '.phases[] | select(.label == $l) | .end_epoch' "$WORK/marks.json")
        near_window "$(jq -r --arg l "$l" '.phases[] | select(.label == $l) | .joules' "$WORK/marks.json")" \
            "$a" "$b" "marked phase \"$l\": its energy"
    done
    check_eq "$(jq -c '.phases[] | select(.label == "sleepy") | .overlaps' "$WORK/marks.json")" '["tier60"]' \
        "a marked command inside a marked phase overlaps it"
else
    "$PMPOWER" mark $PMH start x > /dev/null 2>"$WORK/err"
    check_eq "$?" 1 "without power.phase in the agent, pmpower mark fails (exit 1)" "$(cat "$WORK/err")"
    check_file_has "$WORK/err" 'keeps no phase marks' "and says why"
    ok "marks in the archive: skipped, this agent has no power.phase metrics # SKIP"
fi
sanitizer_check
finish
