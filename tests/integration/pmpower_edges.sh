#!/usr/bin/env bash
# Window edges exact to the agent's sample, not to pmlogger's fetch (issue
# 14 part 2). A fake RAPL zone steps from 35 W to 20, 60, 35 and 20 W,
# pmlogger logs every second and the agent samples every 0.05 s: the issue's
# three 3 s phases at 20, 60 and 35 W (59.2, 185.8 and 104.1 J by pmlogger's
# stamps instead of 60, 180 and 105), whose edges are the steps themselves, come out within 1% (the
# counters placed at power.control.sample_time, the step between two logged
# samples found from the mean powers on either side); a window between two logged
# samples is exactly their counters' difference, by the agent's own sample
# times; and on a live host measure's trials and a live report divide by
# the agent's sample times, so a steady 25 W comes out as 25 W within 2%
# (the fake zone is rewritten every 5 ms at a real-time priority, but the
# agent between its clock and its read, and the writer, can still be held
# up on a loaded machine: 2% of a 1 s trial is the fixture's precision).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

FAKE_RAPL_RT=1 FAKE_RAPL_PERIOD=0.005 fake_rapl "$WORK/root" 35
pmcd_start -r "$WORK/root" -t 0.05 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
check_nonempty "$(value power.control.start_time)" "the agent publishes its start time"
check_nonempty "$(value power.control.sample_time)" "and its latest sample's time"
printf 'log mandatory on 1 sec {\n    power.system\n    power.rapl\n    power.control\n}\n' > "$WORK/logger.cfg"
pmlogger_start "$WORK/logger.cfg" 5min
ARCH=$WORK/arch
# logged N: pmlogger has written N records (however late a loaded host
# starts it); the phases are paced by the agent's samples (20 a second),
# and the steps' times are what the fake zone's writer logged
logged() { [ "$(pmdumplog "$ARCH" power.control.sample_time 2>/dev/null | grep -c 'power.control.sample_time')" -ge "$1" ]; }
wait_until 120 logged 1 || echo "# pmlogger wrote no record in 120 s"
wait_samples 30; set_watts 20; wait_samples 60; set_watts 60; wait_samples 60; set_watts 35; wait_samples 60
set_watts 20; n=$(pmdumplog "$ARCH" power.control.sample_time 2>/dev/null | grep -c 'power.control.sample_time')
wait_samples 50; wait_until 120 logged $((n + 3)) || echo "# pmlogger wrote no 3 records after the last step"
kill "$LOGGER_PID"; pmlogger_wait
sed 's/^/# watts /' "$WORK/watts.log"
check_cmd "pmlogger wrote a valid archive" -- pmlogcheck "$ARCH"

step() { awk -v n="$1" 'NR == n { printf "%.6f", $1 / 1e6 }' "$WORK/watts.log"; }
iso() { date -d "@$1" '+%F %T.%6N'; }
t20=$(step 2) t60=$(step 3) t35=$(step 4) tend=$(step 5)
cat > "$WORK/phases.csv" <<EOC
label,start,end
at 20 W,$(iso "$t20"),$(iso "$t60")
at 60 W,$(iso "$t60"),$(iso "$t35")
at 35 W,$(iso "$t35"),$(iso "$tend")
EOC
"$PMPOWER" report -a "$ARCH" --phases "$WORK/phases.csv" --json > "$WORK/out.json" 2>"$WORK/err"
check_eq "$?" 0 "report --phases over the steps" "$(cat "$WORK/err")"
jq -c '.phases[] | [.label, .duration_s, .joules, .mean_w]' "$WORK/out.json" | sed 's/^/# /'
got() { jq -r --arg l "$1" '.phases[] | select(.label == $l) | .joules' "$WORK/out.json"; }
near "$(got 'at 20 W')" "$(energy_between "$t20" "$t60")" 0.01 "a 3 s phase at 20 W between two steps: within 1%"
near "$(got 'at 60 W')" "$(energy_between "$t60" "$t35")" 0.01 "a 3 s phase at 60 W between two steps: within 1%"
near "$(got 'at 35 W')" "$(energy_between "$t35" "$tend")" 0.01 "a 3 s phase at 35 W between two steps: within 1%"

# Two logged samples, by the agent's own sample times (the archive's
# power.control.sample_time): the window between them is exactly the
# difference of their counters, where pmlogger's stamps would add the
# energy of the lag between sample and fetch.
# (the sample's time: power.control.start_time, the first sample's wall
# time, plus power.control.sample_time, the seconds since)
pmdumplog "$ARCH" power.control.start_time power.control.sample_time power.system.energy 2>/dev/null |
    awk '/\(power.control.start_time\)/ { s = $NF } /\(power.control.sample_time\)/ { t = $NF }
         /\(power.system.energy\)/ && s != "" && t != "" { printf "%.6f %s\n", s + t, $NF; t = "" }' \
    > "$WORK/samples"
# the 3rd and the 3rd from last: a loaded host logs fewer records than the
# steps' seconds (seen: no 12th, and a window that ended before it began)
nlogged=$(wc -l < "$WORK/samples")
check_num "$nlogged" '>=' 6 "the archive holds six records with the agent's sample times" "$(cat "$WORK/samples")"
read -r s1 e1 <<<"$(sed -n 3p "$WORK/samples")"
read -r s2 e2 <<<"$(sed -n "$((nlogged - 2))p" "$WORK/samples")"
echo "# logged samples: $s1 ($e1 J) and $s2 ($e2 J)"
out=$("$PMPOWER" report -a "$ARCH" -S "$(iso "$s1")" -T "$(iso "$s2")" --json 2>"$WORK/err")
near "$(echo "$out" | jq -r .joules)" "$(awk -v a="$e1" -v b="$e2" 'BEGIN { printf "%.9f", b - a }')" 1e-6 \
    "a window from one logged sample to another is their counters' difference (the agent's sample times)"
near "$(echo "$out" | jq -r .duration_s)" "$(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.9f", b - a }')" 1e-6 \
    "and lasts from one sample time to the other"

# --db: the phases and the window kept in the results database, the same
# energies as printed (issue 14 part 5)
"$PMPOWER" report -a "$ARCH" --phases "$WORK/phases.csv" --db "$WORK/r.db" > /dev/null 2>"$WORK/err" &&
    "$PMPOWER" report -a "$ARCH" -S "$(iso "$s1")" -T "$(iso "$s2")" --db "$WORK/r.db" > /dev/null 2>>"$WORK/err"
check_eq "$?" 0 "report and --phases with --db" "$(cat "$WORK/err")"
# db_as_printed DB JSON WINDOW_J: the database holds the phases of JSON and
# the window of WINDOW_J joules, with their sources' energies
db_as_printed() {
    /usr/bin/python3 - "$@" <<'EOF'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
out = json.load(open(sys.argv[2]))
window = float(sys.argv[3])
assert [r[0] for r in c.execute("select kind from runs order by id")] == ["phases", "report"]
got = c.execute("select label, joules from phases where run_id = 1 order by n").fetchall()
assert got == [(p["label"], p["joules"]) for p in out["phases"]], got
assert c.execute("select count(*) from energies where run_id = 1 and phase = 2 and label = 'rapl:package-0'").fetchone()[0] == 1
assert abs(c.execute("select joules from energies where run_id = 2 and phase is null and label = 'system'").fetchone()[0] - window) < 1e-6 * window
EOF
}
check_cmd "the database holds each phase and the window with their sources' energies, as printed" -- \
    db_as_printed "$WORK/r.db" "$WORK/out.json" "$(awk -v a="$e1" -v b="$e2" 'BEGIN { printf "%.9f", b - a }')"

# plot (issue 14 part 4): the steps drawn where they are, the phases shaded;
# PNG, SVG and PDF (tests/lib/pngcheck.py reads the PNG's pixels back)
"$PMPOWER" plot -a "$ARCH" --phases "$WORK/phases.csv" -o "$WORK/steps.png" --title "three phases" --json \
    > "$WORK/plot.json" 2>"$WORK/err"
check_eq "$?" 0 "plot over the archive with the phases" "$(cat "$WORK/err")"
mid() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", (a + b) / 2 }'; }
/usr/bin/python3 "$TOP/tests/lib/pngcheck.py" "$WORK/steps.png" "$WORK/plot.json" \
    "$(mid "$t20" "$t60")" "$(mid "$t60" "$t35")" "$(mid "$t35" "$tend")" "$(mid "$t20" "$t60"):shade" \
    "$(awk -v t="$t20" 'BEGIN { printf "%.6f", t - 1.2 }'):shade" > "$WORK/pixels" 2>&1
sed 's/^/# /' "$WORK/pixels"
check_file_has "$WORK/pixels" '^size 1000 500$' "a 1000 x 500 PNG"
w() { awk -v n="$1" '$1 == "watts" { if (++k == n) print $3 }' "$WORK/pixels"; }
# logged_watts T: the archive's own mean power over the logged interval that
# holds T (sample times, as the plot places them): the step the plot must
# draw there. Mostly the phase's watts; where a loaded host logged sparsely,
# an interval may span a step, and the plot rightly draws its mean.
logged_watts() {
    awk -v t="$1" 'NR > 1 && pt <= t && t < $1 { printf "%.6f", ($2 - pe) / ($1 - pt); exit } { pt = $1; pe = $2 }' "$WORK/samples"
}
near "$(w 1)" "$(logged_watts "$(mid "$t20" "$t60")")" 0.05 "the system line is drawn at the logged power over the 20 W phase's middle"
near "$(w 2)" "$(logged_watts "$(mid "$t60" "$t35")")" 0.05 "and over the 60 W phase's middle"
near "$(w 3)" "$(logged_watts "$(mid "$t35" "$tend")")" 0.05 "and over the 35 W phase's middle"
check_eq "$(awk '$1 == "shade" { printf "%s", $3 }' "$WORK/pixels")" 10 \
    "a phase is shaded, the time before the phases is not"
"$PMPOWER" plot -a "$ARCH" --phases "$WORK/phases.csv" -o "$WORK/steps.svg" 2>"$WORK/err" &&
    "$PMPOWER" plot -a "$ARCH" -o "$WORK/steps.pdf" 2>>"$WORK/err"
check_eq "$?" 0 "SVG and PDF too" "$(cat "$WORK/err")"
check_eq "$(head -c 5 "$WORK/steps.svg")" '<?xml' "SVG and PDF too: the SVG is XML"
check_file_has "$WORK/steps.svg" '<svg' "SVG and PDF too: an svg element"
check_eq "$(head -c 5 "$WORK/steps.pdf")" '%PDF-' "SVG and PDF too: the PDF starts as one"
"$PMPOWER" plot -a "$ARCH" -o "$WORK/steps.gif" 2>"$WORK/err"
check_eq "$?" 2 "another format is refused" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'must end in \.png, \.svg or \.pdf' "another format is refused, saying which are known"

# report --html: one file, no scripts, the tables and the plot inline; it
# renders in headless Chromium without a console message
"$PMPOWER" report -a "$ARCH" --phases "$WORK/phases.csv" --html "$WORK/report.html" > /dev/null 2>"$WORK/err"
check_eq "$?" 0 "report --phases --html writes one self-contained file with the plot and the tables" "$(cat "$WORK/err")"
check_file_has "$WORK/report.html" '<svg' "the HTML report has the plot"
check_file_has "$WORK/report.html" '<td>at 60 W</td>' "and the tables"
check_file_lacks "$WORK/report.html" '<[sS][cC][rR][iI][pP][tT]|[sS][rR][cC]=|[hH][rR][eE][fF]=.[a-zA-Z]+:' \
    "and no script nor anything loaded from elsewhere"
if command -v chromium > /dev/null; then
    timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 \
        --user-data-dir="$WORK/chromium" --screenshot="$WORK/shot.png" --window-size=1100,1300 \
        "file://$WORK/report.html" > /dev/null 2>"$WORK/chromium.err"
    /usr/bin/python3 "$TOP/tests/lib/pngcheck.py" "$WORK/shot.png" --ink > "$WORK/shot" 2>&1
    sed 's/^/# screenshot /' "$WORK/shot"
    check_file_has "$WORK/shot" '^size 1100 1300$' "headless Chromium renders it (a 1100 x 1300 screenshot)" \
        "$(tail -3 "$WORK/chromium.err")"
    check_num "$(awk '$1 == "ink" { print $2 }' "$WORK/shot")" '>' 0.02 "headless Chromium renders it (a screenshot with the page's ink)" \
        "$(tail -3 "$WORK/chromium.err")"
    check_file_lacks "$WORK/chromium.err" 'CONSOLE' "with no console message (no error, nothing failed to load)"
else
    # a browser is a large install for one check: make check does not pull it in
    ok "# SKIP chromium is not installed: the HTML report is not rendered in a browser (apt-get install chromium to check it)"
fi

# live: measure and report divide by the agent's sample times, not by when
# pmpower saw a new sample (at a 0.5 s interval pmpower polls every 0.05 s)
set_watts 25
pmstore $PMH_LOCAL power.control.interval 0.5 >/dev/null
wait_samples 2
"$PMPOWER" measure $PMH --trials 2 --min-trial-time 0.5 --baseline 0.5 --json -- true > "$WORK/measure.json" 2>"$WORK/err"
check_eq "$?" 0 "measure on the live host" "$(cat "$WORK/err")"
out=$(cat "$WORK/measure.json")
echo "$out" | jq -c '.trials[] | [.window_s, .energy_j, .power_w, .net_energy_j]' | sed 's/^/# /'
for i in 0 1; do
    near "$(echo "$out" | jq -r ".trials[$i].power_w")" 25 0.02 "measure: trial $((i + 1)) of a steady 25 W is 25 W within 2% (its window between the agent's samples)"
done
near "$(echo "$out" | jq -r .baseline.power_w)" 25 0.02 "measure: the baseline of a steady 25 W is 25 W within 2%"
measured() { jq -e "$1" "$WORK/measure.json" >/dev/null; }
check_cmd "measure: with nothing but the baseline, the net energy is 0 within 4% of the trial's" -- \
    measured '[.trials[] | (.net_energy_j | fabs) < 0.04 * .energy_j] | all'
out=$("$PMPOWER" report $PMH -T +1s --json 2>"$WORK/err")
near "$(echo "$out" | jq -r .mean_w)" 25 0.02 "live report: a steady 25 W is 25 W within 2% over the agent's sample times"
sanitizer_check
finish
