#!/usr/bin/env bash
# pmpower report over several hosts' archives: a pmlogger farm's directory
# (one subdirectory per host, as pmlogger_check makes from its control
# file) or several -a give each host's report and the fleet's total over the
# same window. The hosts are one archive of a fake RAPL zone at 30 W given
# three hostnames by pmlogrewrite (global { hostname -> ... }, pmlogrewrite(1));
# a fourth, shifted an hour later (global { time -> ... }), has no data in
# the window: the total is then unknown, not short. The real fleet (three
# hosts in network namespaces, pmproxy, pmseries, Prometheus) is
# tests/fleet/fleet.sh, run by make check-fleet.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

fake_rapl "$WORK/root" 30
pmcd_start -r "$WORK/root" -t 0.1 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
printf 'log mandatory on 1 sec {\n    power.system\n    power.rapl\n}\n' > "$WORK/logger.cfg"
pmlogger_start "$WORK/logger.cfg" 5sec
pmlogger_wait
fake_rapl_stop
check_cmd "pmlogger wrote a valid archive" -- pmlogcheck "$WORK/arch"

FARM=$WORK/farm
for h in hosta hostb hostc; do
    mkdir -p "$FARM/$h"
    printf 'global { hostname -> %s }\n' "$h" > "$WORK/$h.rewrite"
    pmlogrewrite -c "$WORK/$h.rewrite" "$WORK/arch" "$FARM/$h/20261201.16.00" >> "$WORK/log/rewrite.log" 2>&1
done
check_num "$(ls "$FARM"/*/*.meta | wc -l)" = 3 "three hosts' archives in the farm" "$(cat "$WORK/log/rewrite.log")"

# a window inside the archive, absolute so it is the same for every host
t0=$(awk 'NR == 1 { printf "%.6f", $1 / 1e6 }' "$WORK/watts.log")
S=$(date -d "@$(awk -v t="$t0" 'BEGIN { printf "%.6f", t + 1.5 }')" '+%F %T.%6N')
T=$(date -d "@$(awk -v t="$t0" 'BEGIN { printf "%.6f", t + 4.0 }')" '+%F %T.%6N')
one=$("$PMPOWER" report -a "$WORK/arch" -S "$S" -T "$T" --json | jq -r .joules)
# the fake zone's own record of its energy, with the sample's age at each
# edge (a loaded host writes the zone late and samples it late)
near_window "$one" "$(awk -v t="$t0" 'BEGIN { printf "%.6f", t + 1.5 }')" "$(awk -v t="$t0" 'BEGIN { printf "%.6f", t + 4.0 }')" \
    "one host: 2.5 s at 30 W, about 75 J"

"$PMPOWER" report -a "$FARM" -S "$S" -T "$T" > "$WORK/farm.txt" 2>"$WORK/err"
rc=$?
sed 's/^/# /' "$WORK/farm.txt" | tail -8
check_num "$rc" = 0 "report over a farm's directory succeeds" "$(cat "$WORK/err")"
check_num "$(grep -c '^archive ' "$WORK/farm.txt")" = 3 "each host's report is printed"
for h in hosta hostb hostc; do
    got=$(awk -v h="$h" '$1 == h { print $2 }' "$WORK/farm.txt")
    near "$got" "$one" 1e-4 "$h's row in the fleet table is its archive's energy"
done
total=$(awk '$1 == "total" { print $2 }' "$WORK/farm.txt")
near "$total" "$(awk -v o="$one" 'BEGIN { printf "%.9f", 3 * o }')" 1e-4 "the fleet total is the sum of the hosts (3 x $one J)"
watts=$(awk '$1 == "total" { print $4 }' "$WORK/farm.txt")
near "$watts" "$(awk -v o="$one" 'BEGIN { printf "%.9f", 3 * o / 2.5 }')" 1e-3 \
    "the fleet's mean power is the sum of the hosts' (3 x $one J over 2.5 s)"

json=$("$PMPOWER" report -a "$FARM/hosta" -a "$FARM/hostb" -S "$S" -T "$T" --json 2>"$WORK/err")
check_eq "$(echo "$json" | jq -r '.reports | length')" 2 "several -a: a report per archive in JSON" "$json $(cat "$WORK/err")"
check_eq "$(echo "$json" | jq -r '.fleet.hosts | map(.hostname) | join(",")')" hosta,hostb \
    "the fleet's hosts are named by their archives' hostnames"
near "$(echo "$json" | jq -r .fleet.joules)" "$(awk -v o="$one" 'BEGIN { printf "%.9f", 2 * o }')" 1e-9 "JSON: the fleet's joules"
check_eq "$(echo "$json" | jq -r .fleet.same_window)" true "JSON: the hosts measured the same window"
# each host is reported by report itself, its -a options replaced by the host's, whatever their form
json=$("$PMPOWER" report --archive="$FARM/hosta" -ja "$FARM/hostb" -S "$S" --finish "$T" -a"$FARM/hostc" 2>"$WORK/err")
check_eq "$(echo "$json" | jq -r '[.reports[].hostname] | join(",")')" hosta,hostb,hostc \
    "--archive=X, -ja X (a cluster) and -aX each name one host; -j and the window pass on to each" "$json $(cat "$WORK/err")"
near "$(echo "$json" | jq -r '.reports[1].joules')" "$one" 1e-9 "a host's report is the one report gives for its archive alone"

# a host whose archive misses the window: its row says so, the total is unknown, exit 1
mkdir -p "$FARM/hostd"
printf 'global { hostname -> hostd time -> +01:00:00 }\n' > "$WORK/hostd.rewrite"
pmlogrewrite -c "$WORK/hostd.rewrite" "$WORK/arch" "$FARM/hostd/20261201.17.00" >> "$WORK/log/rewrite.log" 2>&1
"$PMPOWER" report -a "$FARM" -S "$S" -T "$T" > "$WORK/farm4.txt" 2>"$WORK/err"
rc=$?
sed 's/^/# /' "$WORK/farm4.txt" | tail -6
check_num "$rc" = 1 "a host without data in the window: exit 1"
check_file_has "$WORK/farm4.txt" '^hostd .*no data in the window' "and its row says so"
check_file_has "$WORK/farm4.txt" '^total .*unknown: 1 of 4 hosts' "and the total is unknown rather than short"
json=$("$PMPOWER" report -a "$FARM" -S "$S" -T "$T" --json 2>/dev/null)
check_eq "$(echo "$json" | jq -r .fleet.joules)" null "JSON: the total is null" "$json"
check_eq "$(echo "$json" | jq -r '.reports | length')" 4 "JSON: each host keeps its place in the reports"

"$PMPOWER" report -a "$FARM" --phases archive > /dev/null 2>"$WORK/err"
check_num "$?" = 2 "--phases with several archives is refused (exit 2)"
check_file_has "$WORK/err" 'give one -a' "and says to give one -a"
"$PMPOWER" report -a "$FARM" --html "$WORK/fleet.html" > /dev/null 2>"$WORK/err"
check_num "$?" = 2 "--html (one page, one archive) with several archives is refused (exit 2)" "$(cat "$WORK/err")"
"$PMPOWER" report -h local: -h local: -T +1s > /dev/null 2>"$WORK/err"
check_num "$?" = 2 "two -h are refused (exit 2)"
check_file_has "$WORK/err" 'one host' "and says only one host at a time"
"$PMPOWER" report -a "$FARM/hosta" -S "$S" -T "$T" > "$WORK/hosta.txt" 2>&1
check_file_lacks "$WORK/hosta.txt" '^fleet' "a host's own directory is one source: no fleet table"
sanitizer_check
finish
