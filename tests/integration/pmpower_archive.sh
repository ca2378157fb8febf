#!/usr/bin/env bash
# pmpower over a pmlogger archive of a fake RAPL zone at known watts
# (25 W, then 60 W, then 35 W): report returns a sub-window's energy within
# 1% whatever the time syntax, per run and as JSON; csv writes the columns
# with the step power; clear errors for a window outside the archive, an
# archive without power metrics and a bad time.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

fake_rapl "$WORK/root" 25
pmcd_start -r "$WORK/root" -t 0.1 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
printf 'log mandatory on 1 sec {\n    power.system\n    power.rapl\n    power.control\n}\n' > "$WORK/logger.cfg"
pmlogger_start "$WORK/logger.cfg" 26sec
sleep 8; set_watts 60; sleep 8; set_watts 35
pmlogger_wait
fake_rapl_stop
ARCH=$WORK/arch
check "pmlogcheck '$ARCH' >/dev/null 2>&1" "pmlogger wrote a valid archive"
sed 's/^/# watts /' "$WORK/watts.log"

t0=$(awk 'NR == 1 { printf "%.6f", $1 / 1e6 }' "$WORK/watts.log")
a=$(awk -v t="$t0" 'BEGIN { printf "%.6f", t + 3.25 }')
b=$(awk -v t="$t0" 'BEGIN { printf "%.6f", t + 21.5 }')
want=$(energy_between "$a" "$b")
iso_a=$(date -d "@$a" '+%F %T.%6N')
iso_b=$(date -u -d "@$b" '+%FT%T.%3NZ')

# a window across both changes of power, in ISO with microseconds and with Z
out=$("$PMPOWER" report -a "$ARCH" -S "$iso_a" -T "$iso_b" --json 2>"$WORK/err")
check "[ -n \"\$out\" ]" "report --json prints a report" "$(cat "$WORK/err")"
got=$(echo "$out" | jq -r '.energy[] | select(.label == "system") | .joules')
near "$got" "$want" 0.01 "report over an archive sub-window returns the known energy within 1% ($want J)"
got=$(echo "$out" | jq -r '.energy[] | select(.label == "rapl:package-0") | .joules')
near "$got" "$want" 0.01 "the RAPL zone's own energy is reported too"
near "$(echo "$out" | jq -r .duration_s)" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')" 0.001 \
    "duration is the window asked for (interpolated bounds)"
check "[ \"\$(echo '$out' | jq -r .start_bound)\" = interpolated ] && [ \"\$(echo '$out' | jq -r .end_bound)\" = interpolated ]" \
    "both bounds are interpolated inside the archive"
samples=$(echo "$out" | jq -r .samples)
# the agent samples every 0.1 s, pmlogger logs every 1 s: samples counts the agent's
# (power.control.samples between the first and last logged samples in the window)
check "[ '$samples' -ge 100 ] && [ '$samples' -le 183 ]" "samples counts the agent's samples in the window, not the records" "got $samples"
near "$(echo "$out" | jq -r .mean_w)" "$(awk -v e="$want" -v a="$a" -v b="$b" 'BEGIN { print e / (b - a) }')" 0.01 \
    "mean power is energy over duration"
near "$(echo "$out" | jq -r .wh)" "$(awk -v e="$want" 'BEGIN { print e / 3600 }')" 0.01 "watt-hours"
check "[ \"\$(echo '$out' | jq -r .source)\" = rapl:package+dram ]" "the system source is named"

# the 60 W phase alone, PCP time syntax (@ ctime, whole seconds)
a2=$(awk -v t="$(sed -n 2p "$WORK/watts.log" | cut -d' ' -f1)" 'BEGIN { printf "%d", t / 1e6 + 2 }')
pcp_a=$(date -d "@$a2" '+@ %a %b %e %H:%M:%S %Y')
pcp_b=$(date -d "@$((a2 + 5))" '+@ %a %b %e %H:%M:%S %Y')
got=$("$PMPOWER" report -a "$ARCH" -S "$pcp_a" -T "$pcp_b" --json | jq -r .joules)
near "$got" 300 0.01 "PCP time syntax (\"$pcp_a\"): 5 s at 60 W is 300 J"

# text form, per run
"$PMPOWER" report -a "$ARCH" -S "$iso_a" -T "$iso_b" --runs 4 > "$WORK/text" 2>&1
sed 's/^/# /' "$WORK/text"
check "grep -q '^system ' '$WORK/text' && grep -q '^rapl:package-0 ' '$WORK/text'" "the text report lists system and each zone"
per=$(sed -n 's/^per run (4 runs in the window, total \/ 4): \([0-9.]*\) J.*/\1/p' "$WORK/text")
near "$per" "$(awk -v e="$want" 'BEGIN { print e / 4 }')" 0.01 "--runs 4 reports a quarter of the window per run"
got=$("$PMPOWER" report -a "$ARCH" -S "$iso_a" -T "$iso_b" --runs 4 --json | jq -r .runs.joules_per_run)
near "$got" "$(awk -v e="$want" 'BEGIN { print e / 4 }')" 0.01 "--runs in JSON"

# PCP relative times and the whole archive
check "'$PMPOWER' report -a '$ARCH' -S +5s -T -5s >/dev/null" "relative PCP times (+5s, -5s) work"
out=$("$PMPOWER" report -a "$ARCH" --json)
check "[ \"\$(echo '$out' | jq -r .start_bound)\" = 'nearest sample' ]" \
    "before the first sample the start is the nearest sample, and the report says so"

# --top on an archive without power.proc is not an error
"$PMPOWER" report -a "$ARCH" --top 3 > "$WORK/top" 2>&1
rc=$?
check "[ $rc -eq 0 ] && grep -q 'processes: not available' '$WORK/top'" "--top without power.proc says not available"

# csv over the archive
"$PMPOWER" csv -a "$ARCH" -o "$WORK/series.csv" -t 1 --smooth 3 2>"$WORK/err"
check "[ \$? -eq 0 ]" "csv over an archive succeeds" "$(cat "$WORK/err")"
head -1 "$WORK/series.csv" | sed 's/^/# /'
check "[ \"\$(head -1 '$WORK/series.csv')\" = 'ts,system_energy_j,system_power_w,system_power_w_avg3,rapl_package-0_energy_j,rapl_package-0_power_w,rapl_package-0_power_w_avg3' ]" \
    "csv header: ts, then <label>_energy_j, <label>_power_w and the moving average"
rows=$(($(wc -l < "$WORK/series.csv") - 1))
check "[ $rows -ge 22 ]" "a row per second of the archive" "got $rows"
check "sed -n 2p '$WORK/series.csv' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}[+-][0-9]{2}:[0-9]{2},'" \
    "ts is ISO 8601 with microseconds and the zone"
# a row in the middle of the 60 W phase
mid=$(date -d "@$((a2 + 2))" '+%FT%T')
p60=$(grep "^$mid" "$WORK/series.csv" | cut -d, -f3)
near "$p60" 60 0.02 "the power column is the counter's rate over the step (60 W phase)"
last=$(tail -1 "$WORK/series.csv")
check "[ \"\$(echo '$last' | tr -cd , | wc -c)\" -eq 6 ]" "every row has every column"
"$PMPOWER" csv -a "$ARCH" -o "$WORK/sep-" --separate-files -s 5 power.rapl 2>"$WORK/err"
check "[ -f '$WORK/sep-rapl_package-0.csv' ] && [ \$(wc -l < '$WORK/sep-rapl_package-0.csv') -eq 6 ]" \
    "--separate-files writes PREFIX<label>.csv per instance, -s limits the rows"
check "[ \"\$(head -1 '$WORK/sep-rapl_package-0.csv')\" = 'ts,rapl_package-0_energy_j,rapl_package-0_power_w' ]" \
    "a per-instance file has the same column names"

# errors: one line, what to do, status 1 (no data) or 2 (usage)
"$PMPOWER" report -a "$ARCH" -S "2001-01-01 00:00:00" -T "2001-01-01 00:10:00" > /dev/null 2>"$WORK/err"
rc=$?
check "[ $rc -eq 1 ] && grep -q 'outside the archive' '$WORK/err' && [ \$(wc -l < '$WORK/err') -eq 1 ]" \
    "a window outside the archive: exit 1, one line" "rc=$rc: $(cat "$WORK/err")"
"$PMPOWER" report -a "$ARCH" -S "yesterday-ish" > /dev/null 2>"$WORK/err"
rc=$?
check "[ $rc -eq 2 ] && grep -q 'PCP time syntax' '$WORK/err'" "an unreadable time: exit 2 and the accepted forms" "rc=$rc: $(cat "$WORK/err")"
"$PMPOWER" report -a "$WORK/no-such-archive" > /dev/null 2>"$WORK/err"
check "[ \$? -eq 1 ] && grep -q 'cannot open archive' '$WORK/err'" "a missing archive: exit 1"
# an archive that logged no power.system
printf 'log mandatory on 1 sec {\n    power.control.interval\n}\n' > "$WORK/nopower.cfg"
pmlogger -h "127.0.0.1:$PMCD_PORT" -c "$WORK/nopower.cfg" -T 2sec -l "$WORK/log/np.log" "$WORK/nopower" >/dev/null 2>&1
"$PMPOWER" report -a "$WORK/nopower" > /dev/null 2>"$WORK/err"
rc=$?
check "[ $rc -eq 1 ] && grep -q 'has no power metrics' '$WORK/err' && grep -q pmlogconf '$WORK/err'" \
    "an archive without power metrics: exit 1, says how to log them" "rc=$rc: $(cat "$WORK/err")"
"$PMPOWER" csv -a "$WORK/nopower" -o "$WORK/x.csv" > /dev/null 2>"$WORK/err"
check "[ \$? -eq 1 ] && grep -q 'no power energy counters' '$WORK/err'" "csv on it: the same clear error"
sanitizer_check
finish
