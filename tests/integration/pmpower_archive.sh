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
pmlogcheck "$ARCH" > "$WORK/pmlogcheck.out" 2>&1
check_eq "$?" 0 "pmlogger wrote a valid archive" "$(head -5 "$WORK/pmlogcheck.out")"
sed 's/^/# watts /' "$WORK/watts.log"

# The window is placed by the archive's own records, not by when the test
# started things: on a loaded host pmlogger's first record may come seconds
# after the zone started. Nominally 3.25 s after the first record and 4.5 s
# before the last (26 s of records), across both changes of power.
records "$ARCH" power.system.energy > "$WORK/records"
read -r first last <<<"$(awk '$2 != "-" { if (f == "") f = $1; l = $1 } END { print f, l }' "$WORK/records")"
a=$(awk -v t="$first" 'BEGIN { printf "%.6f", t + 3.25 }')
b=$(awk -v t="$last" 'BEGIN { printf "%.6f", t - 4.5 }')
want=$(energy_between "$a" "$b")
inside=$(awk -v a="$a" -v b="$b" '$2 != "-" && $1 > a && $1 < b { n++ } END { print n + 0 }' "$WORK/records")
echo "# archive records from $first to $last; window $a to $b: $inside records inside, $want J"
iso_a=$(date -d "@$a" '+%F %T.%6N')
iso_b=$(date -u -d "@$b" '+%FT%T.%3NZ')

# a window across both changes of power, in ISO with microseconds and with Z
out=$("$PMPOWER" report -a "$ARCH" -S "$iso_a" -T "$iso_b" --json 2>"$WORK/err")
check_nonempty "$out" "report --json prints a report" "$(cat "$WORK/err")"
got=$(echo "$out" | jq -r '.energy[] | select(.label == "system") | .joules')
total=$got
near_window "$got" "$a" "$b" "report over an archive sub-window returns the known energy"
got=$(echo "$out" | jq -r '.energy[] | select(.label == "rapl:package-0") | .joules')
near_window "$got" "$a" "$b" "the RAPL zone's own energy is reported too"
near "$(echo "$out" | jq -r .duration_s)" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')" 0.001 \
    "duration is the window asked for (interpolated bounds)"
check_eq "$(echo "$out" | jq -r .start_bound)" interpolated "the start is interpolated inside the archive"
check_eq "$(echo "$out" | jq -r .end_bound)" interpolated "so is the end"
# the agent samples every 0.1 s, pmlogger logs every 1 s: samples counts the agent's
# (power.control.samples between the first and last logged samples in the window)
check_between "$(echo "$out" | jq -r .samples)" 100 183 "samples counts the agent's samples in the window, not the records"
near "$(echo "$out" | jq -r .mean_w)" "$(echo "$out" | jq -r '.joules / .duration_s')" 1e-9 \
    "mean power is energy over duration"
near "$(echo "$out" | jq -r .wh)" "$(echo "$out" | jq -r '.joules / 3600')" 1e-9 "watt-hours"
check_eq "$(echo "$out" | jq -r .source)" rapl:package+dram "the system source is named"

# the 60 W phase alone, PCP time syntax (@ ctime, whole seconds)
a2=$(awk -v t="$(sed -n 2p "$WORK/watts.log" | cut -d' ' -f1)" 'BEGIN { printf "%d", t / 1e6 + 2 }')
pcp_a=$(date -d "@$a2" '+@ %a %b %e %H:%M:%S %Y')
pcp_b=$(date -d "@$((a2 + 5))" '+@ %a %b %e %H:%M:%S %Y')
got=$("$PMPOWER" report -a "$ARCH" -S "$pcp_a" -T "$pcp_b" --json | jq -r .joules)
near_window "$got" "$a2" "$((a2 + 5))" "PCP time syntax (\"$pcp_a\"): 5 s at 60 W is 300 J"

# text form, per run
"$PMPOWER" report -a "$ARCH" -S "$iso_a" -T "$iso_b" --runs 4 > "$WORK/text" 2>&1
sed 's/^/# /' "$WORK/text"
check_file_has "$WORK/text" '^system ' "the text report lists system"
check_file_has "$WORK/text" '^rapl:package-0 ' "and each zone"
per=$(sed -n 's/^per run (4 runs in the window, total \/ 4): \([0-9.]*\) J.*/\1/p' "$WORK/text")
near "$per" "$(awk -v e="$total" 'BEGIN { print e / 4 }')" 0.001 "--runs 4 reports a quarter of the window per run"
got=$("$PMPOWER" report -a "$ARCH" -S "$iso_a" -T "$iso_b" --runs 4 --json | jq -r .runs.joules_per_run)
near "$got" "$(awk -v e="$total" 'BEGIN { printf "%.17g", e / 4 }')" 1e-9 "--runs in JSON"

# PCP relative times and the whole archive
"$PMPOWER" report -a "$ARCH" -S +5s -T -5s >/dev/null 2>"$WORK/err"
check_eq "$?" 0 "relative PCP times (+5s, -5s) work" "$(cat "$WORK/err")"
# The whole archive starts where pmlogger did: the agent's sample times
# place the first record's counters before pmlogger stamped it, so that
# start is interpolated when a sample precedes it and the nearest sample
# otherwise (a matter of the host's timing): either way the report says which
out=$("$PMPOWER" report -a "$ARCH" --json)
check_match "$(echo "$out" | jq -r .start_bound)" '^(nearest sample|interpolated)$' \
    "the whole archive: the start is placed by the agent's samples, and the report says how"

# --top on an archive without power.proc is not an error
"$PMPOWER" report -a "$ARCH" --top 3 > "$WORK/top" 2>&1
rc=$?
check_eq "$rc" 0 "--top on an archive without power.proc is not an error"
check_file_has "$WORK/top" 'processes: not available' "--top without power.proc says not available"

# csv over the archive
"$PMPOWER" csv -a "$ARCH" -o "$WORK/series.csv" -t 1 --smooth 3 2>"$WORK/err"
check_eq "$?" 0 "csv over an archive succeeds" "$(cat "$WORK/err")"
head -1 "$WORK/series.csv" | sed 's/^/# /'
check_eq "$(head -1 "$WORK/series.csv")" 'ts,system_energy_j,system_power_w,system_power_w_avg3,rapl_package-0_energy_j,rapl_package-0_power_w,rapl_package-0_power_w_avg3' \
    "csv header: ts, then <label>_energy_j, <label>_power_w and the moving average"
# a row per whole second of the archive's records (the first row needs a step before it)
rows=$(($(wc -l < "$WORK/series.csv") - 1))
check_num "$rows" '>=' "$(awk -v f="$first" -v l="$last" 'BEGIN { printf "%d", l - f - 1 }')" "a row per second of the archive" \
    "records from $first to $last"
check_match "$(sed -n 2p "$WORK/series.csv")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2},' \
    "ts is ISO 8601 with microseconds and the zone"
# a row in the middle of the 60 W phase
mid=$(date -d "@$((a2 + 2))" '+%FT%T')
p60=$(grep "^$mid" "$WORK/series.csv" | cut -d, -f3)
# a 1 s step whose ends each read up to LAG early: 60 W x (1 +- LAG) / 1 s
check_between "$p60" "$(awk -v l=$LAG 'BEGIN { print 60 * (1 - l) * 0.98 }')" "$(awk -v l=$LAG 'BEGIN { print 60 * (1 + l) * 1.02 }')" \
    "the power column is the counter's rate over the step (60 W phase)"
lastrow=$(tail -1 "$WORK/series.csv")
check_eq "$(printf '%s' "$lastrow" | tr -cd , | wc -c)" 6 "every row has every column" "$lastrow"
"$PMPOWER" csv -a "$ARCH" -o "$WORK/sep-" --separate-files -s 5 power.rapl 2>"$WORK/err"
check_eq "$(wc -l < "$WORK/sep-rapl_package-0.csv")" 6 "--separate-files writes PREFIX<label>.csv per instance, -s limits the rows" \
    "$(cat "$WORK/err")"
check_eq "$(head -1 "$WORK/sep-rapl_package-0.csv")" 'ts,rapl_package-0_energy_j,rapl_package-0_power_w' \
    "a per-instance file has the same column names"

# errors: one line, what to do, status 1 (no data) or 2 (usage)
"$PMPOWER" report -a "$ARCH" -S "2001-01-01 00:00:00" -T "2001-01-01 00:10:00" > /dev/null 2>"$WORK/err"
rc=$?
check_eq "$rc" 1 "a window outside the archive: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'outside the archive' "it says the window is outside the archive"
check_eq "$(wc -l < "$WORK/err")" 1 "in one line"
"$PMPOWER" report -a "$ARCH" -S "yesterday-ish" > /dev/null 2>"$WORK/err"
rc=$?
check_eq "$rc" 2 "an unreadable time: exit 2" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'PCP time syntax' "and the accepted forms"
"$PMPOWER" report -a "$WORK/no-such-archive" > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a missing archive: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'cannot open archive' "it says the archive cannot be opened"
# an archive that logged no power.system
printf 'log mandatory on 1 sec {\n    power.control.interval\n}\n' > "$WORK/nopower.cfg"
pmlogger -h "127.0.0.1:$PMCD_PORT" -c "$WORK/nopower.cfg" -T 2sec -l "$WORK/log/np.log" "$WORK/nopower" >/dev/null 2>&1
"$PMPOWER" report -a "$WORK/nopower" > /dev/null 2>"$WORK/err"
rc=$?
check_eq "$rc" 1 "an archive without power metrics: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'has no power metrics' "it says it has no power metrics"
check_file_has "$WORK/err" 'pmlogconf' "and how to log them"
"$PMPOWER" csv -a "$WORK/nopower" -o "$WORK/x.csv" > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "csv on it: exit 1" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'no power energy counters' "csv on it: the same clear error"
sanitizer_check
finish
