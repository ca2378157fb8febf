#!/usr/bin/env bash
# bench/proc_fetch_bench.sh [N]: the cost of a fetch of power.proc.power
# with N (default 10000) process instances through a private pmcd, and the
# agent's RSS and refresh time with them. Uses the plain (installed) build.
set -u
N=${1:-10000}
. "$(dirname "$0")/../tests/lib/common.sh"
AGENT=$BUILD/pmdapower
ulimit -u unlimited 2>/dev/null
echo "starting $N idle processes ..."
pids=()
for _ in $(seq "$N"); do sleep 3600 & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pmcd_stop' EXIT
pmcd_start -t 1 || { echo "pmcd did not start"; exit 1; }
wait_samples 3
count=$(value power.proc.count)
agent=$(pgrep -f "pmdapower.*$WORK" | head -1)
times=()
for _ in 1 2 3 4 5 6 7; do
    t0=$(date +%s%N)
    pmprobe -v $PMH power.proc.power >/dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)
base=()
for _ in 1 2 3 4 5 6 7; do
    t0=$(date +%s%N); pmprobe -v $PMH power.system.power >/dev/null; t1=$(date +%s%N)
    base+=($(( (t1 - t0) / 1000 )))
done
bmed=$(printf '%s\n' "${base[@]}" | sort -n | sed -n 4p)
printf 'processes tracked             %s\n' "$count"
printf 'pmprobe power.proc.power      %.1f ms (median of 7; whole client run)\n' "$(echo "$median / 1000" | bc -l)"
printf 'pmprobe power.system.power    %.1f ms (the same client fetching one value)\n' "$(echo "$bmed / 1000" | bc -l)"
printf 'fetch of %s instances       %.1f ms (difference)\n' "$count" "$(echo "($median - $bmed) / 1000" | bc -l)"
printf 'agent refresh                 %s ms (power.control.refresh_time)\n' "$(value power.control.refresh_time)"
printf 'agent VmRSS                   %s kB\n' "$(awk '/^VmRSS/ { print $2 }' /proc/$agent/status)"
