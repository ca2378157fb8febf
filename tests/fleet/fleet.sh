#!/usr/bin/env bash
# A small fleet on this machine, on PCP's own distributed pieces (make check-fleet):
#   host1..3   each in its own network and UTS namespace (its own hostname),
#              a pmcd with the agent over a fake RAPL tree at 20, 35, 50 W,
#              and pmproxy serving /metrics (PMWEBAPI(3), OpenMetrics)
#   collector  a pmlogger farm for the three (pmlogger_farm -c CONTROL, one
#              CONTROL.d file per host, as pmlogger_check(1) reads them),
#              pmproxy discovering the farm's archives into redis-server,
#              pmseries querying it, and Prometheus scraping each host
# It checks that pmseries answers each host's power.system.energy at its
# power, that pmpower report over the farm's directory gives each host and
# the fleet's total, and that PromQL's rate() of power_system_energy is each
# host's watts. Everything runs inside a network and UTS namespace of its
# own (unshare -n -u): the hosts' veth links, their addresses and hostnames
# vanish with it, and the machine's own network, pmcd, pmproxy and redis are
# never touched. Needs root (namespaces), redis-server and prometheus.
if [ -z "${FLEET_INSIDE:-}" ]; then
    FLEET_INSIDE=1 exec unshare -n -u bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"
for cmd in redis-server prometheus curl jq; do
    command -v $cmd >/dev/null || { not_ok "$cmd is installed (scripts/install-deps --fleet)"; exit 1; }
done
PIDS=()
WRITERS=()
cleanup() {
    local p
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done
    for p in "${PIDS[@]}" "${WRITERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${FARM_CONTROL:-}" ] && collector_env "$PCP_BINADM_DIR/pmlogger_check" -s -c "$FARM_CONTROL" >/dev/null 2>&1
    # what the killed shells started lives on in this namespace (pmlogger_farm's
    # pmpause, a pmproxy whose starting shell was killed first): seen piling up
    # on the machine, one a run, holding the namespace
    orphans_in_namespace | xargs -r kill 2>/dev/null
    if [ "${KEEP:-}" = "" ]; then rm -rf "$WORK"; else echo "# kept $WORK"; fi
}
# the processes of the collector's network namespace (this test's own) but this shell
orphans_in_namespace() {
    local mine p
    mine=$(readlink /proc/$$/ns/net)
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" != $$ ] && [ "${p#/proc/}" != "$BASHPID" ] &&
            [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$mine" ] && echo "${p#/proc/}"
    done
}
trap cleanup EXIT
chmod 755 "$WORK"    # pmlogger_check hands the farm's directories to user pcp
ip link set lo up
hostname collector
declare -A WATTS=([host1]=20 [host2]=35 [host3]=50)
HOSTS="host1 host2 host3"

# host_start N NAME: a namespace held by a sleeper, linked to the collector by a veth pair
# (10.77.N.1 here, 10.77.N.2 there), running pmcd (port 44321) and pmproxy (44322)
host_start() {
    local n=$1 name=$2 d=$WORK/$2 holder
    mkdir -p "$d"/{run,log,tmp,var/config/pmda,pmns}
    # at a real-time priority: a writer left behind by load made a 2.85 s window read
    # 20.66 W for host1's 20 (pmpower report and pmseries alike)
    WORK=$d FAKE_RAPL_RT=1 fake_rapl "$d/root" "${WATTS[$name]}"
    WRITERS+=("$FAKE_PID")
    FAKE_PID=
    unshare -n -u sleep 1d &
    holder=$!
    PIDS+=("$holder")
    for _ in $(seq 100); do
        [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.02
    done
    ip link add "vh$n" type veth peer name eth0 netns "$holder"
    ip addr add "10.77.$n.1/24" dev "vh$n"
    ip link set "vh$n" up
    nsenter -t "$holder" -n -u sh -c "hostname $name; ip link set lo up;
        ip addr add 10.77.$n.2/24 dev eth0; ip link set eth0 up"
    (cd "$TOP/pmda" && pmnsmerge root "$PCP_VAR_DIR/pmns/root_pmcd" "$d/pmns/root") >"$d/log/pmnsmerge.log" 2>&1
    {
        echo "pmcd 2 dso pmcd_init $PCP_PMDAS_DIR/pmcd/pmda_pmcd.so"
        echo "power $DOMAIN pipe binary $AGENT -U root -d $DOMAIN -h $BUILD/help -l $d/log/power.log -r $d/root -t 0.1 -c $d/power.conf"
    } > "$d/pmcd.conf"
    printf '[pmproxy]\npcp.enabled = true\nhttp.enabled = true\nredis.enabled = false\nsecure.enabled = false\n[discover]\nenabled = false\n[pmseries]\nenabled = false\n' \
        > "$d/pmproxy.conf"
    ASAN_OPTIONS="log_path=$WORK/log/asan:detect_leaks=1" UBSAN_OPTIONS="log_path=$WORK/log/ubsan:print_stacktrace=1" \
    LSAN_OPTIONS="suppressions=$TOP/tests/lib/lsan.supp:print_suppressions=0" \
    PCP_RUN_DIR=$d/run PCP_TMP_DIR=$d/tmp PCP_VAR_DIR=$d/var nsenter -t "$holder" -n -u \
        "$PCP_BINADM_DIR/pmcd" -f -A -p 44321 -s "$d/run/pmcd.socket" -c "$d/pmcd.conf" -n "$d/pmns/root" \
        -l "$d/log/pmcd.log" -x "$d/log/pmcd.err" -U root > "$d/log/pmcd.out" 2>&1 &
    PIDS+=($!)
    PCP_RUN_DIR=$d/run PCP_TMP_DIR=$d/tmp nsenter -t "$holder" -n -u \
        "$PCP_BINADM_DIR/pmproxy" -f -A -U root -p 44322 -c "$d/pmproxy.conf" -l "$d/log/pmproxy.log" \
        -s "$d/run/pmproxy.socket" > "$d/log/pmproxy.out" 2>&1 &
    PIDS+=($!)
}

n=0
for h in $HOSTS; do n=$((n + 1)); host_start $n $h; done
n=0
for h in $HOSTS; do
    n=$((n + 1))
    for _ in $(seq 150); do
        pmprobe -h "10.77.$n.2" power.control.samples 2>/dev/null | grep -q ' 1$' && break
        sleep 0.1
    done
    got=$(pmprobe -v -h "10.77.$n.2" pmcd.hostname 2>&1 | awk '{ print $3 }' | tr -d '"')
    check_eq "$got" "$h" "$h: its pmcd answers at 10.77.$n.2 from its own namespace, as $h" "$(tail -3 "$WORK/$h/log/pmcd.log")"
done

# the collector: redis-server, Prometheus, the pmlogger farm, pmproxy
C=$WORK/collector
FARM=$WORK/farm
mkdir -p "$C"/{run,log,tmp,sysconfig} "$FARM"
chown pcp:pcp "$FARM" "$C/log" "$C/tmp" "$C/run" 2>/dev/null
collector_env() {
    PCP_RUN_DIR=$C/run PCP_TMP_DIR=$C/tmp PCP_LOG_DIR=$C/log PCP_ARCHIVE_DIR=$FARM \
        PCP_SYSCONFIG_DIR=$C/sysconfig "$@"
}
redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --dir "$C" > "$C/log/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

# Prometheus scraping each host's pmproxy /metrics, every second
{
    printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: pcp\n'
    printf '    metrics_path: /metrics\n    params:\n      names: [power.system.energy, power.system.power]\n'
    printf '    static_configs:\n      - targets: [10.77.1.2:44322, 10.77.2.2:44322, 10.77.3.2:44322]\n'
} > "$C/prometheus.yml"
prometheus --config.file="$C/prometheus.yml" --storage.tsdb.path="$C/prometheus" \
    --web.listen-address=127.0.0.1:9090 > "$C/log/prometheus.log" 2>&1 &
PIDS+=($!)

# the pmlogger farm: a control file with no primary logger, one CONTROL.d file per host
printf 'log mandatory on 500 msec {\n    power.system\n    power.rapl\n    power.control\n}\n' > "$C/farm.config"
FARM_CONTROL=$C/control
printf '$version=1.1\n' > "$FARM_CONTROL"
mkdir -p "$FARM_CONTROL.d"
n=0
for h in $HOSTS; do
    n=$((n + 1))
    printf '$version=1.1\n10.77.%s.2 n n PCP_ARCHIVE_DIR/%s -r -c %s\n' $n $h "$C/farm.config" > "$FARM_CONTROL.d/$h"
done
farm_records() {   # HOST: the farm's records of its power.system.energy (pmdumplog reads one archive, not a directory)
    local meta
    meta=$(ls "$FARM/$1"/*.meta 2>/dev/null | head -1)
    [ -n "$meta" ] || { echo 0; return; }
    pmdumplog "${meta%.meta}" power.system.energy 2>/dev/null | grep -c 'power.system.energy'
}
collector_env "$PCP_BINADM_DIR/pmlogger_farm" -V -c "$FARM_CONTROL" -l "$C/log/pmlogger_check.log" > "$C/log/farm.out" 2>&1 &
PIDS+=($!)

# pmproxy discovering $PCP_ARCHIVE_DIR (the farm's directory) into redis, once the farm's
# archives exist: pmproxy 6.0.3 started first missed some of the host directories the farm
# created while it ran (2 runs of 2 here), started after it finds and follows each
for h in $HOSTS; do
    for _ in $(seq 300); do [ "$(farm_records $h)" -ge 1 ] && break; sleep 0.1; done
done
{
    printf '[pmproxy]\npcp.enabled = true\nhttp.enabled = true\nredis.enabled = true\nsecure.enabled = false\n'
    printf '[redis]\nenabled = true\nservers = 127.0.0.1:6379\n[pmseries]\nenabled = true\n[pmsearch]\nenabled = false\n'
    cat "$TOP/pmproxy/power-history.conf"
    printf 'enabled = true\n'
} > "$C/pmproxy.conf"
collector_env "$PCP_BINADM_DIR/pmproxy" -f -A -U root -p 44322 -c "$C/pmproxy.conf" -l "$C/log/pmproxy.log" \
    -s "$C/run/pmproxy.socket" > "$C/log/pmproxy.out" 2>&1 &
PIDS+=($!)

# 8 records of every host (4 s at 500 ms)
for h in $HOSTS; do
    for _ in $(seq 300); do [ "$(farm_records $h)" -ge 8 ] && break; sleep 0.1; done
done
for h in $HOSTS; do
    check_num "$(farm_records $h)" '>=' 8 "the farm logs $h into PCP_ARCHIVE_DIR/$h" \
        "$(farm_records $h) records; $(tail -5 "$C/log/pmlogger_check.log" "$C/log/farm.out" 2>/dev/null)"
done
echo "# farm: $(ls "$FARM"/* | tr '\n' ' ')"

# pmpower report over the farm's directory: each host, and the total
read -r S T < <(for h in $HOSTS; do "$PMPOWER" report -a "$FARM/$h" --json | jq -r '"\(.start_epoch) \(.end_epoch)"'; done |
    awk 'NR == 1 || $1 > s { s = $1 } NR == 1 || $2 < e { e = $2 } END { printf "%.6f %.6f\n", s + 0.3, e - 0.3 }')
S_T=$(date -d "@$S" '+%F %T.%6N')
T_T=$(date -d "@$T" '+%F %T.%6N')
"$PMPOWER" report -a "$FARM" -S "$S_T" -T "$T_T" > "$C/report.txt" 2>&1
rc=$?
sed -n '/^fleet/,$p' "$C/report.txt" | sed 's/^/# /'
check_num "$rc" = 0 "pmpower report -a FARMDIR succeeds" "$(tail -3 "$C/report.txt")"
sum=0
for h in $HOSTS; do
    near "$(awk -v h="$h" '$1 == h { print $4 }' "$C/report.txt")" "${WATTS[$h]}" 0.02 \
        "pmpower report: $h's mean power over the window is its ${WATTS[$h]} W"
    sum=$((sum + WATTS[$h]))
done
near "$(awk '$1 == "total" { print $4 }' "$C/report.txt")" $sum 0.02 "pmpower report: the fleet's mean power is $sum W"
near "$(awk '$1 == "total" { print $2 }' "$C/report.txt")" "$(awk -v s=$sum -v a="$S" -v b="$T" 'BEGIN { print s * (b - a) }')" 0.02 \
    "pmpower report: the fleet's energy over the window"

# pmseries: the key server pmproxy filled from the farm holds each host's power.system.energy
pmseries_values() {   # HOST [METRIC]: "epoch value" lines of the host's METRIC (power.system.energy), oldest first
    pmseries -h 127.0.0.1 -p 6379 "${2:-power.system.energy}{hostname==\"$1\"}[samples:1000]" 2>/dev/null |
        sed -n 's/^ *\[\(.*\)\] \(.*\)$/\1|\2/p' | tac | while IFS='|' read -r t v; do
            printf '%s %s\n' "$(date -d "$(echo "$t" | awk '{ print $2, $3, $4, $5 }')" +%s.%N)" "$v"
        done
}
for h in $HOSTS; do
    for _ in $(seq 100); do [ "$(pmseries_values $h | wc -l)" -ge 6 ] && break; sleep 0.1; done
    pmseries -h 127.0.0.1 -p 6379 "power.system.energy{hostname==\"$h\"}[samples:3]" > "$C/pmseries-$h.txt" 2>&1
    check_num "$(pmseries_values $h | wc -l)" '>=' 6 "pmseries answers $h's power.system.energy (pmproxy discovered the farm)" \
        "$(tail -3 "$C/pmseries-$h.txt") $(tail -3 "$C/log/pmproxy.log")"
done
sed 's/^/# /' "$C/pmseries-host1.txt" | head -8
pmseries -h 127.0.0.1 -p 6379 -a power.system.energy > "$C/pmseries-all.txt" 2>&1
# Each record's counters are from the agent's latest sample, up to one agent
# interval before pmlogger's stamp: over the agent's own clock
# (power.control.sample_time, logged in the same records), not the stamps
# (a loaded host read 34.19 W for 35 over the stamps of a 2.5 s history)
for h in $HOSTS; do
    pmseries_values $h power.control.sample_time > "$C/clock-$h.txt"
    rate=$(pmseries_values $h | awk 'NR == FNR { clock[$1] = $2; next }
        ($1 in clock) { if (!n++) { c0 = clock[$1]; e0 = $2 } c = clock[$1]; e = $2 }
        END { if (c > c0) print (e - e0) / (c - c0) }' "$C/clock-$h.txt" -)
    near "$rate" "${WATTS[$h]}" 0.02 "pmseries: $h's energy grows at its ${WATTS[$h]} W"
done

# the fleet dashboard: each panel's query finds every host's series through the collector's pmproxy
board=$TOP/dashboards/pcp-power-fleet-valkey.json
jq -r '.panels[] | select(.type != "row") | .title as $t | .targets[] | [$t, .expr] | @tsv' "$board" > "$C/targets"
while IFS=$'\t' read -r title expr; do
    ids=$(curl -s -G http://127.0.0.1:44322/series/query --data-urlencode "expr=$expr" | jq -r 'join(",")')
    hosts=$(curl -s -G http://127.0.0.1:44322/series/labels --data-urlencode "series=$ids" |
            jq -r '[.[].labels.hostname] | unique | join(" ")')
    check_eq "$hosts" "host1 host2 host3" "fleet dashboard, \"$title\" ($expr): every host's series"
done < "$C/targets"

# Prometheus: PromQL's rate() of each host's power_system_energy is its watts, once each
# series spans the rate's window (rate divides by the window, so a younger series reads low)
promql() { curl -s -G http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$1"; }
for _ in $(seq 300); do
    [ "$(promql 'count(count_over_time(power_system_energy[12s]) >= 10)' | jq -r '.data.result[0].value[1] // 0')" = 3 ] && break
    sleep 0.1
done
# a scrape that times out on a loaded host marks its series stale at once:
# ask again until the instant query holds all three
for _ in $(seq 100); do
    promql 'rate(power_system_energy[8s])' > "$C/promql.json"
    [ "$(jq '.data.result | length' "$C/promql.json")" = 3 ] && break
    sleep 0.3
done
echo "# $(jq -c '[.data.result[] | {hostname: .metric.hostname, instance: .metric.instance, w: .value[1]}]' "$C/promql.json")"
for h in $HOSTS; do
    got=$(jq -r --arg h "$h" '.data.result[] | select(.metric.hostname == $h) | .value[1]' "$C/promql.json")
    near "$got" "${WATTS[$h]}" 0.05 "Prometheus: rate(power_system_energy[8s]) of $h is its ${WATTS[$h]} W"
done
fleet_sum() { promql 'sum(rate(power_system_energy[8s])) and on() count(rate(power_system_energy[8s])) == 3'; }
for _ in $(seq 100); do
    fleet_w=$(fleet_sum | jq -r '.data.result[0].value[1] // empty')
    [ -n "$fleet_w" ] && break
    sleep 0.3
done
near "$fleet_w" $sum 0.05 \
    "Prometheus: sum(rate(power_system_energy[8s])) is the fleet's $sum W"

for f in $(ls "$WORK"/log/asan* "$WORK"/log/ubsan* 2>/dev/null); do sed 's/^/# /' "$f" | head -20; done
check_empty "$(ls "$WORK"/log/asan* "$WORK"/log/ubsan* 2>/dev/null)" "the agents ran clean under ASan/UBSan"
[ "$FAILS" -eq 0 ]
