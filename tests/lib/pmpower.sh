# pmpower.sh: helpers for the pmpower and ecosystem tests; source after common.sh.
#   fake_rapl ROOT WATTS   a RAPL zone package-0 under ROOT whose energy_uj
#                          (rewritten every FAKE_RAPL_PERIOD s, default 0.02;
#                          at a real-time priority when FAKE_RAPL_RT=1)
#                          advances at the watts in $WORK/watts (change it to
#                          change the power); each change is logged to
#                          $WORK/watts.log as "EPOCH_US WATTS" by the writer
#   energy_between A B     joules the fake zone used between epoch seconds A and B
#   near_window GOT A B MSG  GOT is the zone's energy between A and B as an
#                          archive of the agent can tell it (see LAG)
#   pmlogger_start CFG SECS  a private pmlogger into $WORK/arch; pmlogger_wait
#   records ARCHIVE METRIC...  "EPOCH VALUE|-" per archive record
#   PMPOWER                the pmpower binary (the sanitized one when built)
# the sanitized build when there is a current one: its reports land in
# $WORK/log/asan.* (ASAN_OPTIONS from pmcd_start), which sanitizer_check fails on
PMPOWER=${PMPOWER:-$BUILD/pmpower}
# measure's host-wide lock, private to the test: tests running side by side
# on one machine measure their own private agents
export PMPOWER_LOCK_FILE=$WORK/measure.lock
if [ -x "$BUILD/san/pmpower" ] && ! [ "$BUILD/pmpower" -nt "$BUILD/san/pmpower" ]; then
    PMPOWER=$BUILD/san/pmpower
fi
FAKE_PID=
LOGGER_PID=

# The writer keeps the file's size fixed and writes in place (1<>, no
# truncation): the agent keeps energy_uj open and preads it, and must never
# see it empty. Time comes from bash's EPOCHREALTIME, so the energy is exact
# at every write whatever the loop's jitter.
fake_rapl() {
    local root=$1 d
    d=$root/sys/class/powercap/intel-rapl:0
    mkdir -p "$d"
    echo package-0 > "$d/name"
    echo 262143328850 > "$d/max_energy_range_uj"
    printf '%020d\n' 1000000 > "$d/energy_uj"
    echo "$2" > "$WORK/watts"
    : > "$WORK/watts.log"
    mkfifo "$WORK/never"
    (
        exec 9<>"$WORK/never"
        e=1000000 w=$2 prev=${EPOCHREALTIME/./}
        echo "$prev $w" >> "$WORK/watts.log"
        while :; do
            read -r -t "${FAKE_RAPL_PERIOD:-0.02}" -u 9 _
            now=${EPOCHREALTIME/./}
            e=$((e + w * (now - prev)))
            prev=$now
            printf '%020d\n' "$e" 1<> "$d/energy_uj"
            read -r nw < "$WORK/watts"
            if [ -n "$nw" ] && [ "$nw" != "$w" ]; then
                w=$nw
                echo "$now $w" >> "$WORK/watts.log"
            fi
        done
    ) &
    FAKE_PID=$!
    # FAKE_RAPL_RT=1: the writer runs at a real-time priority (chrt), so a
    # loaded machine does not leave the file tens of ms stale (tests that
    # place energy to 1% within a second need that)
    if [ -n "${FAKE_RAPL_RT:-}" ]; then
        chrt -f -p 10 "$FAKE_PID" >/dev/null 2>&1 || echo "# chrt failed: the fake zone's writer runs at normal priority"
    fi
    printf '[system]\npriority = rapl:package+dram\n' > "$WORK/power.conf"
}

# set_watts W: change the fake zone's power now; waits until the writer took it
set_watts() {
    echo "$1" > "$WORK/watts"
    for _ in $(seq 100); do
        [ "$(tail -1 "$WORK/watts.log" | cut -d' ' -f2)" = "$1" ] && return 0
        sleep 0.01
    done
    return 1
}

# energy_between A B: the integral of the logged watts over [A, B] (epoch seconds)
energy_between() {
    awk -v a="$1" -v b="$2" '
        { t[NR] = $1 / 1e6; w[NR] = $2 }
        END {
            e = 0
            for (i = 1; i <= NR; i++) {
                s = t[i]; f = (i < NR) ? t[i + 1] : 1e18
                if (s < a) s = a
                if (f > b) f = b
                if (f > s) e += w[i] * (f - s)
            }
            printf "%.6f\n", e
        }' "$WORK/watts.log"
}

# An archive record (and a live fetch) holds the agent's latest sample,
# taken up to one agent interval (0.1 s in these tests) before the record's
# stamp, of a file the writer above rewrites every 20 ms or so, later on a
# loaded host: a window's ends each read the counter as it was up to LAG
# earlier. On a quiet host the ages at both ends are alike and cancel; on
# a loaded one they do not (a 2.7 s phase at 60 W read 1.6% low once).
LAG=0.2
# near_window GOT A B MSG: GOT is the energy between A - age_A and B - age_B
# for some ages in [0, LAG], within 1% for the arithmetic
near_window() {
    local lo hi
    lo=$(awk -v e="$(energy_between "$2" "$(awk -v b="$3" -v l=$LAG 'BEGIN { printf "%.6f", b - l }')")" 'BEGIN { printf "%.6f", e * 0.99 }')
    hi=$(awk -v e="$(energy_between "$(awk -v a="$2" -v l=$LAG 'BEGIN { printf "%.6f", a - l }')" "$3")" 'BEGIN { printf "%.6f", e * 1.01 }')
    check_between "$1" "$lo" "$hi" "$4" "want $(energy_between "$2" "$3") J, ends up to $LAG s early"
}

fake_rapl_stop() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=
}

# pmlogger_start CONFIG DURATION: log into $WORK/arch for DURATION (e.g. 30sec)
pmlogger_start() {
    pmlogger -h "127.0.0.1:$PMCD_PORT" -c "$1" -T "$2" -l "$WORK/log/pmlogger.log" "$WORK/arch" \
        >"$WORK/log/pmlogger.out" 2>&1 &
    LOGGER_PID=$!
}

pmlogger_wait() {
    [ -n "$LOGGER_PID" ] && wait "$LOGGER_PID"
    LOGGER_PID=
}

# records ARCHIVE METRIC...: "EPOCH VALUE|-" per archive record
records() {
    /usr/bin/python3 - "$@" <<'EOF'
import sys
from pcp import pmapi
import cpmapi as c_api
ctx = pmapi.pmContext(c_api.PM_CONTEXT_ARCHIVE, sys.argv[1])
pmids = ctx.pmLookupName(sys.argv[2:])
descs = ctx.pmLookupDescs(pmids)
ctx.pmSetMode(c_api.PM_MODE_FORW, ctx.pmGetArchiveLabel().start, 0)
while True:
    try:
        r = ctx.pmFetch(pmids)
    except pmapi.pmErr as e:
        if e.args[0] == c_api.PM_ERR_EOL:
            break
        raise
    ts = r.contents.timestamp
    out = []
    for i in range(r.contents.numpmid):
        vs = r.contents.get_vset(i)
        out.append("%.6f" % ctx.pmExtractValue(vs.valfmt, vs.vlist[0], descs[i].type,
                                                c_api.PM_TYPE_DOUBLE).d if vs.numval > 0 else "-")
    print("%.6f %s" % (ts.tv_sec + ts.tv_usec / 1e6, " ".join(out)))
EOF
}

# pmcd_start_full [AGENT ARGS...]: as pmcd_start, plus the pmcd PMDA (pmcd.*
# metrics and names), which pmproxy needs to make a context (pmcd.hostname)
pmcd_start_full() {
    PMCD_PMDA=1 pmcd_start "$@"
}

pmpower_cleanup() {
    fake_rapl_stop
    [ -n "$LOGGER_PID" ] && kill "$LOGGER_PID" 2>/dev/null
    pmcd_stop
}
trap 'pmpower_cleanup' EXIT
