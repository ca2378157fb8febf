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
# a CPU busy exactly half the time, at every sample however late: /proc/stat
# is a pipe whose every read gets 5 more busy and 5 more idle ticks (a
# writer that rewrote a file on its own schedule left some intervals
# without a tick on a loaded machine, and those read as idle)
mkfifo "$ROOT/proc/stat"
( trap '' PIPE
  n=0; while :; do
    n=$((n + 5))
    printf 'cpu  %d 0 0 %d 0 0 0 0\ncpu0 %d 0 0 %d 0 0 0 0\n' $n $n $n $n > "$ROOT/proc/stat"
  done ) &
STAT_WRITER=$!
trap 'kill $STAT_WRITER 2>/dev/null; advance_stop; pmcd_stop' EXIT
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent started"
wait_samples 4
check_eq "$(value power.system.source)" model "no sensor: power.system.source says model"
near "$(value power.model.utilization)" 0.5 0.01 "utilisation 50%"
near "$(value power.model.power)" 30 0.01 "10 W idle + 50% of 40 W = 30 W"
near "$(value power.system.power)" 30 0.01 "power.system.power is the model's"
near "$(value power.system.active_power)" 15 0.02 "half of it active"
check_eq "$(value power.source.state rapl)" absent "rapl is absent, and says so"
check_match "$(pminfo $PMH -l power.model.power)" '"estimate":true' "the model's metrics are labelled estimate:true"
check_match "$(pminfo $PMH -T power.model.power)" '[Ee][Ss][Tt][Ii][Mm][Aa][Tt][Ee]' "its help says it is an estimate"
# about 30 J a second: the energy between two fetches over the time between
# them, measured, not assumed (the sample counter is no clock: a sample
# late by more than an interval starts the schedule afresh). Each fetch
# holds the latest sample, an interval old or what a loaded machine delays
# it more: over 20 intervals that is a few percent.
t1=$EPOCHREALTIME e1=$(value power.system.energy)
wait_samples 20
t2=$EPOCHREALTIME e2=$(value power.system.energy)
echo "# energy $e1 -> $e2 J in ${t1/[.,]/.} -> ${t2/[.,]/.} s"
near "$(awk -v a="$e1" -v b="$e2" -v s="${t1/[.,]/.}" -v t="${t2/[.,]/.}" 'BEGIN { if (t > s) print (b - a) / (t - s) }')" 30 0.25 \
    "about 30 J a second"
pmcd_stop
kill $STAT_WRITER; wait $STAT_WRITER 2>/dev/null
sanitizer_check

# this very host (no RAPL in a VM): power from the model, named as such
pmcd_start -t 0.2 || not_ok "agent on the live host"
wait_samples 3
src=$(value power.system.source)
if [ -d /sys/class/powercap ] && ls /sys/class/powercap | grep -q rapl; then
    check_match "$src" '^rapl:(psys|package\+dram)$' "live host with RAPL: source is RAPL"
else
    check_eq "$src" model "live host without RAPL: source is model"
fi
check_num "$(value power.system.power)" '>' 0 "live host: power.system.power is positive"
pmcd_stop
sanitizer_check
finish
