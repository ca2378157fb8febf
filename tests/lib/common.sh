# common.sh: shared by every integration test. Source it, then use:
#   pmcd_start [AGENT_ARGS...]  a private pmcd (own port, socket, config, PMNS,
#                               logs) running build/san/pmdapower; sets PMH (TCP)
#                               and PMH_LOCAL (its unix socket: stores as root);
#                               ASAN_EXTRA=OPTS adds ASan options for the agent
#   pmcd_stop                   (also on exit)
#   ok MSG / not_ok MSG / check COND MSG / near GOT WANT TOL MSG
#   value METRIC [INST] / instances METRIC  what the private pmcd serves
# Results are TAP-like lines that tests/run counts.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$TOP/build
. /etc/pcp.conf
export PATH=$PATH:$PCP_BINADM_DIR
DOMAIN=$(sed -n 's/^#define PCPPOWER \([0-9]*\)/\1/p' "$TOP/pmda/domain.h")
AGENT=${AGENT:-$BUILD/san/pmdapower}
WORK=$(mktemp -d /tmp/power-test.XXXXXX)
PMCD_PID=
PMH=
PMH_LOCAL=
FAILS=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() { if eval "$1"; then ok "$2"; else not_ok "$2${3:+: $3}"; fi; }
# near GOT WANT RELTOL MSG: |GOT-WANT| <= RELTOL*|WANT| (or RELTOL when WANT is 0)
near() {
    if awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; s = w < 0 ? -w : w; if (s < 1e-12) s = 1; exit !(g != "" && d <= t * s) }'; then
        ok "$4"
    else
        not_ok "$4: got '$1', want $2 (within $3)"
    fi
}

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; return; fi
    done
    echo 44321
}

# pmcd_start [AGENT ARGS...]: the agent runs as root (-U root) with the given
# args. PMCD_PMDA=1 adds the pmcd PMDA (pmcd.* metrics), which pmproxy needs.
pmcd_start() {
    local args="$*" port ns="$TOP/pmda/root"
    port=$(free_port)
    mkdir -p "$WORK/run" "$WORK/log" "$WORK/tmp" "$WORK/var/pmcd" "$WORK/var/config/pmda" "$WORK/pmns"
    : > "$WORK/pmcd.conf"
    if [ -n "${PMCD_PMDA:-}" ]; then
        ns=$WORK/pmns/root
        (cd "$TOP/pmda" && pmnsmerge root "$PCP_VAR_DIR/pmns/root_pmcd" "$ns") >"$WORK/log/pmnsmerge.log" 2>&1 || {
            echo "# pmnsmerge failed:"; sed 's/^/# /' "$WORK/log/pmnsmerge.log"; return 1; }
        echo "pmcd 2 dso pmcd_init $PCP_PMDAS_DIR/pmcd/pmda_pmcd.so" >> "$WORK/pmcd.conf"
    fi
    echo "power $DOMAIN pipe binary $AGENT -U root -d $DOMAIN -h $BUILD/help -l $WORK/log/power.log $args" >> "$WORK/pmcd.conf"
    export ASAN_OPTIONS="log_path=$WORK/log/asan:detect_leaks=1:abort_on_error=0${ASAN_EXTRA:+:$ASAN_EXTRA}"
    export LSAN_OPTIONS="suppressions=$TOP/tests/lib/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="log_path=$WORK/log/ubsan:print_stacktrace=1"
    # own run, tmp and var dirs: no pid file clash, and no use of the system
    # pmcd's pmdaroot (its root.socket) to start our agent, so a restart of
    # the system pmcd (as ./Install does) cannot take our agent down
    PCP_RUN_DIR=$WORK/run PCP_TMP_DIR=$WORK/tmp PCP_VAR_DIR=$WORK/var pmcd -f -A -p "$port" \
        -s "$WORK/run/pmcd.socket" -c "$WORK/pmcd.conf" -q 30 -t 30 -n "$ns" \
        -l "$WORK/log/pmcd.log" -x "$WORK/log/pmcd.err" -U root >"$WORK/log/pmcd.out" 2>&1 &
    PMCD_PID=$!
    PMH="-h 127.0.0.1:$port"   # not "localhost": a minimal root may map it to ::1 only
    # the unix socket carries the client's credentials: only root there may store controls
    PMH_LOCAL="-h unix:$WORK/run/pmcd.socket"
    PMCD_PORT=$port
    for _ in $(seq 100); do
        if pmprobe $PMH power.control.samples 2>/dev/null | grep -q ' 1$'; then return 0; fi
        sleep 0.1
    done
    echo "# pmcd did not come up with the agent; logs:"; tail -n 20 "$WORK"/log/*.log | sed 's/^/# /'
    return 1
}

pmcd_stop() {
    if [ -n "$PMCD_PID" ]; then
        kill "$PMCD_PID" 2>/dev/null
        wait "$PMCD_PID" 2>/dev/null
        PMCD_PID=
    fi
}

# sanitizer reports from the agent are failures of the test that ran it
sanitizer_check() {
    local f reports
    reports=$(ls "$WORK"/log/asan* "$WORK"/log/ubsan* 2>/dev/null)
    if [ -z "$reports" ]; then
        ok "agent ran clean under ASan/UBSan"
    else
        for f in $reports; do sed 's/^/# /' "$f" | head -30; done
        not_ok "agent ran clean under ASan/UBSan: reports in $reports"
    fi
}

# wait_samples N: wait until the agent has sampled N more times
wait_samples() {
    local start now
    start=$(pmprobe -v $PMH power.control.samples | awk '$2 == 1 { print $3 }')
    start=${start:-0}
    for _ in $(seq 200); do
        now=$(pmprobe -v $PMH power.control.samples | awk '$2 == 1 { print $3 }')
        [ "${now:-0}" -ge $((start + $1)) ] 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# value METRIC [INSTANCE]: one value as pmprobe -v prints it (first, or the named instance)
value() {
    if [ $# -ge 2 ]; then
        pminfo $PMH -f "$1" | sed -n "s/^ *inst \[[0-9]* or \"$2\"\] value //p" | head -1 | tr -d '"'
    else
        pmprobe -v $PMH "$1" | awk '$2 == 1 { print $3 }' | tr -d '"'
    fi
}

# instances METRIC: every instance of the metric's indom on the private
# pmcd, with or without a value: "id:name ...", by id
instances() {
    /usr/bin/python3 - "$PMCD_PORT" "$1" <<'EOF'
import sys
from pcp import pmapi
import cpmapi
c = pmapi.pmContext(cpmapi.PM_CONTEXT_HOST, "127.0.0.1:" + sys.argv[1])
ids, names = c.pmGetInDom(c.pmLookupDescs(c.pmLookupName([sys.argv[2]]))[0])
print(" ".join("%d:%s" % (i, n) for i, n in sorted(zip(ids, names))))
EOF
}

finish() {
    advance_stop
    pmcd_stop
    if [ "${KEEP:-}" = "" ]; then rm -rf "$WORK"; else echo "# kept $WORK"; fi
    [ "$FAILS" -eq 0 ]
}
trap 'advance_stop; pmcd_stop' EXIT

# make_rapl_tree ROOT: a live-kernel powercap layout with package-0 (+core,
# +dram) and psys, each at 0 uJ (tests/helpers/fakerapl.h, the builder the
# unit tests use too), and a /proc/stat
make_rapl_tree() {
    local root=$1
    "$BUILD/tests/fakerapl" "$root" || return 1
    mkdir -p "$root/proc"
    cp /proc/stat "$root/proc/stat"
}

# advance_start FILE WATTS [MAX_UJ]: background advancer, stopped by finish
ADVANCERS=()
advance_start() {
    "$BUILD/tests/advance" "$@" &
    ADVANCERS+=($!)
}
advance_stop() {
    local p
    for p in "${ADVANCERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ADVANCERS=()
}

# proc_totals: "active attributed unattributed exited listed" energies, all from
# ONE fetch (pmprobe batches them), so they belong to one agent sample
proc_totals() {
    pmprobe -v $PMH power.system.active_energy power.proc.attributed.energy \
        power.proc.unattributed.energy power.proc.exited.energy power.proc.energy |
    awk '$1 == "power.proc.energy" { for (i = 3; i <= NF; i++) listed += $i; next }
         { v[$1] = $3 }
         END { printf "%s %s %s %s %.9f\n", v["power.system.active_energy"], v["power.proc.attributed.energy"],
               v["power.proc.unattributed.energy"], v["power.proc.exited.energy"], listed }'
}
