#!/usr/bin/env bash
# 10,000 processes started and reaped while a client fetches power.proc.*
# ten times a second: the agent neither crashes nor restarts (pmcd would
# restart it quietly: its pid must not change), its process table and the
# instance domain shrink back to what is alive once the churn is over
# (memory bounded by what the agent itself accounts for: power.proc.count),
# the client never sees a negative energy or a failed fetch, and the books
# balance: attributed + unattributed = active, listed + exited = attributed.
. "$(dirname "$0")/../lib/common.sh"

N=10000
ROOT=$WORK/root
make_rapl_tree "$ROOT"
rm -rf "$ROOT/proc" && ln -s /proc "$ROOT/proc"
advance_start "$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj" 30
printf '[system]\npriority = rapl:package+dram\n[attribution]\ngrace = 1\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent starts"; finish; exit 1; }
wait_samples 5
agent=$(pgrep -f "pmdapower.*$WORK" | head -1)
count0=$(value power.proc.count)
mem0=$(value power.control.proc_memory)

# the client: power.proc.* (and the indom) ten times a second until told to stop
/usr/bin/python3 - "$PMCD_PORT" "$WORK/stop" > "$WORK/client.out" 2>&1 <<'EOF' &
import os, sys, time
from pcp import pmapi
import cpmapi as c_api
ctx = pmapi.pmContext(c_api.PM_CONTEXT_HOST, "127.0.0.1:" + sys.argv[1])
names = ["power.proc.energy", "power.proc.power", "power.proc.share", "power.proc.count"]
pmids = ctx.pmLookupName(names)
descs = ctx.pmLookupDescs(pmids)
fetches = errors = negatives = peak = 0
while not os.path.exists(sys.argv[2]):
    t = time.monotonic()
    try:
        r = ctx.pmFetch(pmids)
        fetches += 1
        for i in range(3):
            vs = r.contents.get_vset(i)
            if i == 0:
                peak = max(peak, vs.numval)
            for j in range(vs.numval):
                v = ctx.pmExtractValue(vs.valfmt, r.contents.get_vlist(i, j), descs[i].type, c_api.PM_TYPE_DOUBLE).d
                if v < 0:
                    negatives += 1
        ctx.pmFreeResult(r)
    except pmapi.pmErr as e:
        errors += 1
        print("fetch error:", e)
    time.sleep(max(0.0, 0.1 - (time.monotonic() - t)))
print("fetches %d errors %d negatives %d peak %d" % (fetches, errors, negatives, peak))
EOF
CLIENT=$!

# in two halves: what attribution holds after the second must be what it
# held after the first (its tables follow the processes alive, not the churn)
"$BUILD/tests/spawn" $((N / 2)) 16 1000 > "$WORK/spawn.out" 2>&1
wait_samples 15      # 3 s: past the 1 s grace
# the agent's count of the processes it tracks and the bytes it holds for
# them, from one fetch (one sample)
tables() { pmprobe -v $PMH power.proc.count power.control.proc_memory | awk '{ printf "%s ", $3 }'; }
read -r pcount1 mem1 <<<"$(tables)"
"$BUILD/tests/spawn" $((N / 2)) 16 1000 >> "$WORK/spawn.out" 2>&1
check_eq "$(tr '\n' ' ' < "$WORK/spawn.out")" "spawned $((N / 2)) spawned $((N / 2)) " "$N processes started and reaped"
wait_samples 15
read -r pcount2 mem2 <<<"$(tables)"
touch "$WORK/stop"
wait $CLIENT
read -r _ fetches _ errors _ negatives _ peak < "$WORK/client.out"
sed 's/^/# client: /' "$WORK/client.out"

check_eq "$(pgrep -f "pmdapower.*$WORK" | head -1)" "$agent" "the agent never died (same pid)"
check_file_lacks "$WORK/log/pmcd.log" 'Cleanup' "no restart by pmcd"
check_num "${fetches:-}" '>=' 20 "the client fetched power.proc.* throughout"
check_eq "${errors:-}" 0 "the client's fetches of power.proc.* all succeeded"
check_eq "${negatives:-}" 0 "no negative energy, power or share in any fetch"
echo "# power.proc.count: $count0 before the churn; peak listed in a fetch: ${peak:-?}"
check_num "${peak:-}" '>' "$count0" "the churn was seen: the table grew"
spawned_left=$(pminfo $PMH -f power.proc.energy | grep -c ' spawn')
check_eq "$spawned_left" 0 "none of the reaped processes is still listed after the grace period"
# the table's count and the instances fetched, from one fetch (one sample)
read -r count1 ninst <<<"$(pmprobe -v $PMH power.proc.count power.proc.energy |
    awk '$1 == "power.proc.count" { c = $3 } $1 == "power.proc.energy" { n = $2 } END { print c, n }')"
check_eq "$ninst" "$count1" "the instance domain holds what the table holds (instances, count)"
echo "# power.control.proc_memory: $mem0 bytes before, $mem1 after 5,000 processes, $mem2 after 10,000"
# scaled by the host's processes the agent counts (other work on the host
# comes and goes), with 10% and 64 kB for a capacity that doubles, as churn.sh
read -r pcount1 pcount2 mem1 <<<"${pcount1:-0} ${pcount2:-0} ${mem1:-0}"
limit=$(( (mem1 + mem1 / 10) * (pcount2 > pcount1 ? pcount2 : pcount1) / (pcount1 > 0 ? pcount1 : 1) + 65536 ))
check_num "$mem1" '>' 0 "power.control.proc_memory accounts for attribution's tables"
check_between "${mem2:-}" 1 "$limit" \
    "memory stays bounded: the second 5,000 processes add nothing lasting ($mem1 -> $mem2 bytes, for $pcount1 -> $pcount2 processes)"
read -r act att una exi sum <<<"$(proc_totals)"
echo "# active $act, attributed $att, unattributed $una, exited $exi, listed $sum"
near "$(awk -v a="$att" -v u="$una" 'BEGIN { printf "%.9f", a + u }')" "$act" 1e-6 "conserved: attributed + unattributed = active energy"
near "$(awk -v s="$sum" -v e="$exi" 'BEGIN { printf "%.9f", s + e }')" "$att" 1e-6 "conserved: listed + exited = attributed"
check_num "$exi" '>' 0 "the exited processes' energy is kept"
pmcd_stop
sanitizer_check
finish
