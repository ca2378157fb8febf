#!/usr/bin/env bash
# Thousands of short-lived processes while the agent samples: totals stay
# conserved, the agent's memory and process table stay bounded, pmcd stays up.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
rm -rf "$ROOT/proc" && ln -s /proc "$ROOT/proc"
advance_start "$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj" 30
printf '[system]\npriority = rapl:package+dram\n[attribution]\ngrace = 1\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent started"
wait_samples 3
agent=$(pgrep -f "pmdapower.*$WORK" | head -1)
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$agent/status; }
rss0=$(rss_kb)
count0=$(value power.proc.count)

# 4000 processes, each living a few milliseconds, from two spawners
spawn() { for _ in $(seq 2000); do /bin/true; done; }
spawn & s1=$!
spawn & s2=$!
peak=0
while kill -0 $s1 2>/dev/null || kill -0 $s2 2>/dev/null; do
    c=$(value power.proc.count); [ "${c:-0}" -gt "$peak" ] && peak=$c
    sleep 0.3
done
wait $s1 $s2
wait_samples 10   # past the grace period
rss1=$(rss_kb)
count1=$(value power.proc.count)

check 'pmprobe $PMH pmcd.numagents >/dev/null 2>&1 || pmprobe $PMH power.control.samples | grep -q " 1"' "pmcd and the agent are still up after 4000 processes"
check '[ "$count1" -le $((count0 + 20)) ]' "the process table shrinks back after the churn ($count0 -> peak $peak -> $count1)"
check '[ $((rss1 - rss0)) -lt 8192 ]' "agent memory stays bounded (RSS ${rss0} kB -> ${rss1} kB)"
read -r act att una exi sum <<<"$(proc_totals)"
near "$(awk -v a="$att" -v u="$una" 'BEGIN { print a + u }')" "$act" 0.01 "conserved: attributed + unattributed = active energy"
near "$(awk -v s="$sum" -v e="$exi" 'BEGIN { print s + e }')" "$att" 0.01 "conserved: listed + exited = attributed"
neg=$(pminfo $PMH -f power.proc.energy power.proc.power power.cgroup.energy | awk '/value -/' | wc -l)
check '[ "$neg" -eq 0 ]' "no negative energy or power anywhere"
pmcd_stop
sanitizer_check
finish
