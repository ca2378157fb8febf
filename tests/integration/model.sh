#!/usr/bin/env bash
# The model where no sensor exists: the estimate at a known utilisation, a
# truthful power.system.source, and the same on this very host.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
mkdir -p "$ROOT/proc" "$ROOT/sys/class"
cat > "$WORK/power.conf" <<'CONF'
[model]
idle_watts = 10
max_watts = 50
CONF
# a CPU busy exactly half the time: busy and idle ticks grow together
( n=0; while :; do
    n=$((n + 5))
    printf 'cpu  %d 0 0 %d 0 0 0 0\ncpu0 %d 0 0 %d 0 0 0 0\n' $n $n $n $n > "$ROOT/proc/stat.new"
    mv "$ROOT/proc/stat.new" "$ROOT/proc/stat"
    sleep 0.02
  done ) &
STAT_WRITER=$!
sleep 0.1
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent started"
wait_samples 4
check '[ "$(value power.system.source)" = model ]' "no sensor: power.system.source says model" "$(value power.system.source)"
near "$(value power.model.utilization)" 0.5 0.01 "utilisation 50%"
near "$(value power.model.power)" 30 0.01 "10 W idle + 50% of 40 W = 30 W"
near "$(value power.system.power)" 30 0.01 "power.system.power is the model's"
near "$(value power.system.active_power)" 15 0.02 "half of it active"
check '[ "$(value power.source.state rapl)" = absent ]' "rapl is absent, and says so"
check 'pminfo $PMH -l power.model.power | grep -q "\"estimate\":true"' "the model's metrics are labelled estimate:true"
check 'pminfo $PMH -T power.model.power | grep -qi "estimate"' "its help says it is an estimate"
e1=$(value power.system.energy); sleep 1; e2=$(value power.system.energy)
near "$(awk -v a="$e1" -v b="$e2" 'BEGIN { print b - a }')" 30 0.25 "about 30 J a second"
kill $STAT_WRITER; wait $STAT_WRITER 2>/dev/null
pmcd_stop
sanitizer_check

# this very host (no RAPL in a VM): power from the model, named as such
pmcd_start -t 0.2 || not_ok "agent on the live host"
wait_samples 3
src=$(value power.system.source)
if [ -d /sys/class/powercap ] && ls /sys/class/powercap | grep -q rapl; then
    check '[ "$src" = rapl:psys ] || [ "$src" = rapl:package+dram ]' "live host with RAPL: source is RAPL" "$src"
else
    check '[ "$src" = model ]' "live host without RAPL: source is model" "$src"
fi
p=$(value power.system.power)
check 'awk -v p="$p" "BEGIN { exit !(p > 0) }"' "live host: power.system.power is positive ($p W)"
pmcd_stop
sanitizer_check
finish
