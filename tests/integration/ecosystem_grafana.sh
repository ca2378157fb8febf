#!/usr/bin/env bash
# The Grafana dashboards resolve: every target of every panel of every
# dashboard under dashboards/ is asked of a private pmproxy, the Vector ones
# live (/pmapi/metric, /pmapi/fetch against the private pmcd) and the Valkey
# ones from history (/series/query, /series/values over a pmlogger archive
# loaded into a private redis-server with pmseries --load). Metrics whose
# source runs in this test (system, RAPL, model, processes, cgroups) must
# return values; the others (meters, VMs, SoC, batteries: no hardware here)
# must exist. Never touches the system pmcd, pmproxy or redis.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

PROXY_PID=
stop_servers() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
    PROXY_PID=
    redis_stop_all
}
trap 'stop_servers; pmpower_cleanup' EXIT

# metrics that must have data here; the rest must exist
needs_data() {
    case "$1" in
        power.system.*|power.rapl.*|power.model.power|power.proc.*|power.cgroup.*) return 0 ;;
    esac
    return 1
}

for f in "$TOP"/dashboards/*.json; do
    jq -e . "$f" >/dev/null 2>"$WORK/jq.err"
    check_eq "$?" 0 "$(basename "$f") is valid JSON" "$(cat "$WORK/jq.err")"
    bad=$(jq -r '[.panels[] | select(.type != "row") | .fieldConfig.defaults.unit] | map(select(. != "watt" and . != "joule" and . != "percentunit" and . != "string")) | join(",")' "$f")
    check_empty "$bad" "$(basename "$f"): panel units are watt, joule, percentunit or string"
done
check_empty "$(jq -r .uid "$TOP"/dashboards/*.json | sort | uniq -d)" "dashboard uids are unique"

command -v redis-server >/dev/null || { not_ok "redis-server is installed (apt-get install redis-server)"; finish; exit 1; }

fake_rapl "$WORK/root" 25
ln -s /proc "$WORK/root/proc"
pmcd_start_full -r "$WORK/root" -t 0.2 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
printf 'log mandatory on 1 sec {\n    power\n}\n' > "$WORK/logger.cfg"
pmlogger_start "$WORK/logger.cfg" 6sec

redis_start grafana || { not_ok "a private redis-server starts"; finish; exit 1; }
RPORT=$RPORT_grafana
pmlogger_wait
pmseries -h 127.0.0.1 -p "$RPORT" --load "$WORK/arch.0" > "$WORK/log/load.log" 2>&1
check_nonempty "$(pmseries -h 127.0.0.1 -p "$RPORT" power.system.energy 2>/dev/null)" \
    "pmseries --load put the archive into the private redis" "$(tail -3 "$WORK/log/load.log")"

PPORT=$(free_port)
cat > "$WORK/pmproxy.conf" <<EOC
[pmproxy]
pcp.enabled = true
http.enabled = true
redis.enabled = true
secure.enabled = false
[redis]
enabled = true
servers = 127.0.0.1:$RPORT
[discover]
enabled = false
[pmseries]
enabled = true
[pmsearch]
enabled = false
EOC
PCP_RUN_DIR=$WORK/run pmproxy -f -A -U root -p "$PPORT" -c "$WORK/pmproxy.conf" \
    -l "$WORK/log/pmproxy.log" -s "$WORK/run/pmproxy.socket" > "$WORK/log/pmproxy.out" 2>&1 &
PROXY_PID=$!
URL=http://127.0.0.1:$PPORT
proxy_up() { curl -sf "$URL/pmapi/context?hostspec=127.0.0.1:$PMCD_PORT" >/dev/null 2>&1; }
wait_until 30 proxy_up
ctx=$(curl -s "$URL/pmapi/context?hostspec=127.0.0.1:$PMCD_PORT&polltimeout=120" | jq -r .context)
check_match "$ctx" '^[0-9]+$' "pmproxy makes a context on the private pmcd" "$(tail -5 "$WORK/log/pmproxy.log")"
host=$(curl -s -G "$URL/pmapi/fetch" --data-urlencode "context=$ctx" --data-urlencode names=pmcd.hostname |
       jq -r '.values[0].instances[0].value')

for f in "$TOP"/dashboards/*.json; do
    name=$(basename "$f" .json)
    kind=$(jq -r '.templating.list[] | select(.name == "datasource") | .query' "$f")
    jq -r '.panels[] | select(.type != "row") | .title as $t | .targets[] | [$t, .expr] | @tsv' "$f" > "$WORK/targets"
    while IFS=$'\t' read -r title expr; do
        metric=${expr%%\{*}
        what="$name: \"$title\": $expr"
        if [ "$kind" = performancecopilot-vector-datasource ]; then
            exists=$(curl -s -G "$URL/pmapi/metric" --data-urlencode "context=$ctx" --data-urlencode "names=$metric" |
                     jq -r '.metrics | length' 2>/dev/null)
            if [ "$exists" != 1 ]; then not_ok "$what: no such metric through pmproxy"; continue; fi
            n=$(curl -s -G "$URL/pmapi/fetch" --data-urlencode "context=$ctx" --data-urlencode "names=$metric" |
                jq -r '[.values[].instances[]] | length')
        else
            q=${expr//\$host/$host}
            ids=$(curl -s -G "$URL/series/query" --data-urlencode "expr=$q" | jq -r 'if type == "array" then join(",") else "" end')
            n=0
            [ -n "$ids" ] && n=$(curl -s -G "$URL/series/values" --data-urlencode "series=$ids" \
                                     --data-urlencode samples=3 | jq -r 'length')
            if [ -z "$ids" ] && ! needs_data "$metric"; then
                exists=$(curl -s -G "$URL/pmapi/metric" --data-urlencode "context=$ctx" --data-urlencode "names=$metric" |
                         jq -r '.metrics | length' 2>/dev/null)
                if [ "$exists" != 1 ]; then not_ok "$what: no such metric"; continue; fi
            fi
        fi
        if needs_data "$metric"; then
            check_num "${n:-0}" '>' 0 "$what resolves to data" "pmproxy returned ${n:-0} values"
        else
            ok "$what exists (no such source in this test: ${n:-0} values)"
        fi
    done < "$WORK/targets"
done
stop_servers
fake_rapl_stop
sanitizer_check
finish
