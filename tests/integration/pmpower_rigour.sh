#!/usr/bin/env bash
# pmpower measure with the rigour of JouleTrace and perf stat (issue 14
# part 3), on a private pmcd over a fake RAPL zone at 20 W and a fake
# cpufreq/thermal tree (--sysfs-root; Documentation/admin-guide/pm/cpufreq.rst,
# thermal sysfs-api.rst): the command pinned to --cpus (sched_setaffinity:
# what /proc/PID/status Cpus_allowed_list shows, proc(5)); --warmup runs
# done and not counted; the conditions recorded, and a governor changed
# during the run warned about; a baseline saved, reused with its age, and
# refused past 7 days unless --allow-old-baseline; the host lock refusing a
# second measurement with a clear message, or waiting with --lock-wait;
# --precision sizing the trials; --cooldown between trials.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

FAKE_RAPL_RT=1 FAKE_RAPL_PERIOD=0.005 fake_rapl "$WORK/root" 20
SYS=$WORK/sys
gov=sys/devices/system/cpu/cpufreq/policy0/scaling_governor
mkdir -p "$SYS/$(dirname $gov)" "$SYS/sys/devices/system/cpu/intel_pstate" "$SYS/sys/class/thermal/thermal_zone0"
echo powersave > "$SYS/$gov"
echo 0 > "$SYS/sys/devices/system/cpu/intel_pstate/no_turbo"
echo 48000 > "$SYS/sys/class/thermal/thermal_zone0/temp"
pmcd_start -r "$WORK/root" -t 0.05 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
wait_samples 3
LOCK=$WORK/measure.lock
BASE=$WORK/idle.baseline
M() { "$PMPOWER" measure $PMH --lock-file "$LOCK" --sysfs-root "$SYS" "$@"; }
# holds FILE FILTER: the jq FILTER holds of the JSON in FILE
holds() { jq -e "$2" "$1" >/dev/null; }

: > "$WORK/runs"
M --cpus 0 --warmup 2 --trials 2 --min-trial-time 0.2 --baseline 0.5 --baseline-file "$BASE" --json \
    -- sh -c "echo run >> '$WORK/runs'; grep Cpus_allowed_list /proc/self/status >> '$WORK/cpus'" \
    > "$WORK/m1.json" 2>"$WORK/err"
check_eq "$?" 0 "measure with --cpus, --warmup, --baseline-file" "$(cat "$WORK/err")"
jq -c '{cpus, warmup_runs, precision, conditions, baseline}' "$WORK/m1.json" | sed 's/^/# /'
check_eq "$(sort -u "$WORK/cpus")" "$(printf 'Cpus_allowed_list:\t0')" "every run of the command was pinned to CPU 0"
counted=$(jq '[.trials[].runs] | add' "$WORK/m1.json")
check_num "$(wc -l < "$WORK/runs")" = "$((${counted:-0} + 2))" "2 warm-up runs were done and not counted" "$counted counted"
check_cmd "the report says so" -- holds "$WORK/m1.json" '.cpus == "0" and .warmup_runs == 2'
check_cmd "the conditions are recorded: governor, turbo, temperature, the agent's interval and source" \
    "$(jq -c .conditions "$WORK/m1.json")" -- holds "$WORK/m1.json" \
    '.conditions.before.governor == "powersave" and .conditions.before.turbo == true and .conditions.before.temperature_c == 48 and .conditions.before.interval_s == 0.05 and .conditions.before.source != "" and .conditions.changed == null'
check_file_has "$BASE" '^power_w ' "the baseline is saved to --baseline-file"
want_w=$(jq .baseline.power_w "$WORK/m1.json")
near "$want_w" 20 0.05 "the idle baseline is the fake zone's 20 W"

# reused: not measured again, its age shown
M --trials 1 --min-trial-time 0.2 --baseline-file "$BASE" -- true > "$WORK/m2.txt" 2>"$WORK/err"
check_eq "$?" 0 "measure reusing the saved baseline" "$(cat "$WORK/err")"
sed 's/^/# /' "$WORK/m2.txt"
check_file_lacks "$WORK/err" 'measuring idle power' "the saved baseline is reused, not measured again"
check_file_has "$WORK/m2.txt" "^baseline .*from $BASE \(saved [0-9]+ s ago\)" "the saved baseline is reused, with its age"

# older than 7 days: refused, unless overridden
saved=$(( $(date +%s) - 8 * 86400 ))
sed -i "s/^saved .*/saved $saved/" "$BASE"
M --trials 1 --min-trial-time 0.2 --baseline-file "$BASE" -- true > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a baseline 8 days old is refused" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'older than 7 days.*--allow-old-baseline' "a baseline 8 days old is refused, saying how to override"
M --trials 1 --min-trial-time 0.2 --baseline-file "$BASE" --allow-old-baseline --json -- true > "$WORK/m3.json" 2>"$WORK/err"
check_eq "$?" 0 "--allow-old-baseline uses it" "$(cat "$WORK/err")"
# its age is from the saved time to when measure read it: by now, at most
check_between "$(jq .baseline.age_s "$WORK/m3.json")" $((8 * 86400 - 1)) $(( $(date +%s) - saved + 1 )) \
    "--allow-old-baseline uses it, and the JSON gives its age"

# the governor changes during the run: warned about
M --trials 1 --min-trial-time 0.2 --json -- sh -c "echo performance > '$SYS/$gov'" > "$WORK/m4.json" 2>"$WORK/err"
check_file_has "$WORK/err" 'warning: changed during the run: governor powersave -> performance' \
    "a governor changed during the run is warned about"
check_cmd "a governor changed during the run is recorded" "$(jq -c .conditions "$WORK/m4.json")" -- \
    holds "$WORK/m4.json" '.conditions.changed | test("governor")'

# the host lock: a second measurement is refused at once, or waits. The
# holder keeps the lock until the test lets it go, not for a fixed time.
flock "$LOCK" sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done' sh "$WORK/release" &
holder=$!
lock_held() { ! flock -n "$LOCK" true; }
wait_until 60 lock_held || echo "# the holder did not take the lock in 60 s"
M --trials 1 --min-trial-time 0.2 -- true > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a second measurement while one runs is refused" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'another measurement is running on this host.*--lock-wait' \
    "a second measurement while one runs is refused with a clear message"
M --trials 1 --min-trial-time 0.2 --lock-wait 300 -- true > /dev/null 2>"$WORK/err" &
waiter=$!
# the waiter has tried the lock (and keeps trying every 50 ms) while the
# agent sampled 10 times; it cannot have it yet
wait_samples 10
check_cmd "with --lock-wait it waits for the first to end (it is still running)" "$(cat "$WORK/err")" -- kill -0 "$waiter"
touch "$WORK/release"
wait "$holder"
wait "$waiter"
check_eq "$?" 0 "with --lock-wait it waits for the first to end" "$(cat "$WORK/err")"

# --precision: trials long enough that one agent interval is at most 5% of each
M --trials 2 --min-trial-time 0.1 --precision 0.05 --cooldown 0.2 --json -- true > "$WORK/m5.json" 2>"$WORK/err"
check_eq "$?" 0 "measure --precision 0.05 --cooldown 0.2" "$(cat "$WORK/err")"
check_cmd "--precision 0.05 at a 0.05 s interval makes trials of 1 s or more, and says the precision" \
    "$(jq -c '[.precision, .cooldown_s, [.trials[].window_s]]' "$WORK/m5.json")" -- \
    holds "$WORK/m5.json" '([.trials[].window_s >= 1] | all) and .precision <= 0.05 and .cooldown_s == 0.2'
# --cooldown-within: between trials, on until the power is back near the
# idle baseline (a steady zone: at once); it needs a baseline
M --trials 2 --min-trial-time 0.1 --baseline 0.3 --cooldown-within 10 --json -- true > "$WORK/m8.json" 2>"$WORK/err"
check_eq "$?" 0 "measure --cooldown-within 10" "$(cat "$WORK/err")"
check_eq "$(jq '.trials | length' "$WORK/m8.json")" 2 \
    "--cooldown-within 10: the power is back within 10% of the baseline, the next trial runs"
M --cooldown-within 10 -- true > /dev/null 2>"$WORK/err"
check_eq "$?" 2 "--cooldown-within without a baseline is refused" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'needs an idle baseline' "--cooldown-within without a baseline is refused, saying why"
check_match "$("$PMPOWER" measure $PMH --cpus 1-0 -- true 2>&1)" 'does not run up' "a bad --cpus list is refused"

# --zone: the package zone's energy beside the system's (power.system is
# rapl:package+dram here, and the fake tree has no DRAM: the two agree)
M --zone rapl:package-0 --trials 2 --min-trial-time 0.2 --baseline 0.3 --baseline-file "$WORK/zone.baseline" --json \
    -- true > "$WORK/m6.json" 2>"$WORK/err"
check_eq "$?" 0 "measure --zone rapl:package-0" "$(cat "$WORK/err")"
jq -c '[.trials[] | {energy_j, zones_energy_j, zones_net_energy_j, zone_energy_j}], .zones' "$WORK/m6.json" | sed 's/^/# /'
check_cmd "each trial gives the zone's energy beside the system's, from the same sample" -- holds "$WORK/m6.json" \
    '[.trials[] | ((.zones_energy_j - .energy_j) | fabs) < 1e-6 and .zone_energy_j["rapl:package-0"] == .zones_energy_j] | all'
near "$(jq .zones.baseline_w "$WORK/m6.json")" 20 0.05 "the zone's idle baseline is the fake zone's 20 W"
check_file_has "$WORK/zone.baseline" '^zones rapl:package-0$' "the zone's idle power is saved with the baseline: its name"
check_file_has "$WORK/zone.baseline" '^zones_w ' "the zone's idle power is saved with the baseline: its watts"
M --zone rapl:package-0 --trials 1 --min-trial-time 0.2 --baseline-file "$WORK/zone.baseline" --json -- true \
    > "$WORK/m7.json" 2>"$WORK/err"
check_eq "$?" 0 "measure --zone reusing the saved baseline" "$(cat "$WORK/err")"
check_cmd "and reused from it for the zone's net energy" "$(jq -c '[.zones, .trials[0].zones_net_energy_j]' "$WORK/m7.json")" -- \
    holds "$WORK/m7.json" '.zones.baseline_w > 19 and (.trials[0].zones_net_energy_j | type) == "number"'
M --zone rapl:package-1 -- true > /dev/null 2>"$WORK/err"
check_eq "$?" 2 "an unknown zone is refused" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'no such zone.*there are: rapl:package-0' "an unknown zone is refused, listing the zones there are"
# --db: two measurements kept, listed and compared (issue 14 part 5): the
# same command at 20 W and at 40 W differs by more than the noise (a run of
# a second: its energy per run is the power's, not the time a loaded host
# takes to start a short command, which made sleep 0.05 cost less at 40 W)
DB=$WORK/results.db
M --trials 3 --min-trial-time 0.2 --db "$DB" -- sleep 1 > /dev/null 2>"$WORK/err"
check_eq "$?" 0 "measure --db at 20 W" "$(cat "$WORK/err")"
set_watts 40
M --trials 3 --min-trial-time 0.2 --db "$DB" --zone rapl:package-0 -- sleep 1 > /dev/null 2>"$WORK/err"
check_eq "$?" 0 "measure --db at 40 W" "$(cat "$WORK/err")"
"$PMPOWER" runs --db "$DB" | sed 's/^/# /'
check_eq "$("$PMPOWER" runs --db "$DB" --json | jq -c '[.[] | [.id, .kind, .what, .trials]]')" \
    '[[1,"measure","sleep 1",3],[2,"measure","sleep 1",3]]' "runs lists both with their command and trials"
"$PMPOWER" runs --db "$DB" 1 2 | sed 's/^/# /'
"$PMPOWER" runs --db "$DB" --json 1 2 > "$WORK/compare.json"
check_cmd "runs compares them: twice the power is larger than the noise" "$(cat "$WORK/compare.json")" -- \
    holds "$WORK/compare.json" '.larger_than_noise == true and .b.mean_j > 1.5 * .a.mean_j'
# db_schema DB: the runs, trials, conditions and zones, in the documented
# schema with its indexes
db_schema() {
    /usr/bin/python3 - "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("pragma user_version").fetchone()[0] == 1
assert c.execute("select count(*) from trials").fetchone()[0] == 6
assert c.execute("select governor, turbo, temp_c, interval_s, system_source from runs where id = 1").fetchone() == ("performance", 1, 48.0, 0.05, "rapl:package+dram")
assert c.execute("select zones from runs where id = 2").fetchone()[0] == "rapl:package-0"
assert {r[0] for r in c.execute("select name from sqlite_master where type = 'index'")} >= {"runs_by_kind", "runs_by_command", "phases_by_label", "energies_by_run"}
EOF
}
check_cmd "the database holds the runs, trials, conditions and zones, in the documented schema with its indexes" -- \
    db_schema "$DB"
# plot on the live host (issue 14 part 4): a second of the fake zone at 40 W
s0=$(samples_now)
"$PMPOWER" plot $PMH -T +1s -o "$WORK/live.png" --json > "$WORK/plot.json" 2>"$WORK/err"
check_eq "$?" 0 "plot on a live host" "$(cat "$WORK/err")"
s1=$(samples_now)
check_eq "$(jq -r '.series[0].label' "$WORK/plot.json")" system "plot on a live host draws the system line"
# a point per agent sample: a 1 s window at a 0.05 s interval holds 20
# samples: 10 or more, unless a loaded host held the agent back (then all
# but two of those it took during pmpower's run)
want=$(( s1 - s0 < 12 ? s1 - s0 - 2 : 10 ))
check_num "$(jq '.series[0].points' "$WORK/plot.json")" '>=' "$want" "plot on a live host samples at the agent's pace" \
    "the agent sampled $((s1 - s0)) times during the run; $(jq -c 'del(.series[1:])' "$WORK/plot.json")"
# the fake zone is rewritten every 5 ms and sampled every 50 ms, so each
# interval holds 9 to 11 writes: the line steps around 40 W; its mean over
# 81 columns (16 intervals) is 40 W
cols=$(jq -r '[range(10; 91) as $k | .start + (.end - .start) * $k / 100] | map(tostring) | join(" ")' "$WORK/plot.json")
got=$(/usr/bin/python3 "$TOP/tests/lib/pngcheck.py" "$WORK/live.png" "$WORK/plot.json" $cols |
      awk '$1 == "watts" && $3 == $3 + 0 { s += $3; n++ } END { if (n) printf "%.3f", s / n }')
near "$got" 40 0.06 "and draws the system line at the fake zone's 40 W (its mean over the plot)"

echo "not a database" > "$WORK/bad.db"
"$PMPOWER" runs --db "$WORK/bad.db" > /dev/null 2>"$WORK/err"
check_eq "$?" 1 "a file that is not a database is refused" "$(cat "$WORK/err")"
check_file_has "$WORK/err" 'is not an SQLite database' "a file that is not a database is refused, saying why"
sanitizer_check
finish
