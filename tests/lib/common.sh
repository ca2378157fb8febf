# common.sh: shared by every integration test. Source it, then use:
#   pmcd_start [AGENT_ARGS...]  a private pmcd (own port, socket, config, PMNS,
#                               logs) running build/san/pmdapower; sets PMH (TCP)
#                               and PMH_LOCAL (its unix socket: stores as root);
#                               ASAN_EXTRA=OPTS adds ASan options for the agent;
#                               each start is a new host: the counters an earlier
#                               agent of the test saved are removed (pmda/persist.h),
#                               unless KEEP_COUNTERS=1 (the same host restarted)
#   pmcd_stop                   (also on exit) returns once its agents have exited
#   the assertions of assert.sh (check_eq, check_num, near, check_cmd, ...)
#   value METRIC [INST] / instances METRIC  what the private pmcd serves
#   values METRIC[INST]...      several values from one fetch (one agent sample)
#   wait_samples N              until the agent has sampled N more times
#   put_file FILE TEXT          replace a file whole, as a fake sysfs value
#   redis_start NAME            a private redis-server, its port in RPORT_NAME
#                               (redis_stop_all stops them)
# Results are TAP-like lines that tests/run counts.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$TOP/build
. /etc/pcp.conf
. "$TOP/tests/lib/assert.sh"
export PATH=$PATH:$PCP_BINADM_DIR
DOMAIN=$(sed -n 's/^#define PCPPOWER \([0-9]*\)/\1/p' "$TOP/pmda/domain.h")
AGENT=${AGENT:-$BUILD/san/pmdapower}
WORK=$(mktemp -d /tmp/power-test.XXXXXX)
PMCD_PID=
PMH=
PMH_LOCAL=

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + ${SRANDOM:-$RANDOM} % 20000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then break; fi
    done
    echo $p
}

# pmcd_start [AGENT ARGS...]: the agent runs as root (-U root) with the given
# args. PMCD_PMDA=1 adds the pmcd PMDA (pmcd.* metrics), which pmproxy needs;
# PMCD_LINUX=1 the linux PMDA.
pmcd_start() {
    local args="$*" ns="$TOP/pmda/root"
    mkdir -p "$WORK/run" "$WORK/log" "$WORK/tmp" "$WORK/var/pmcd" "$WORK/var/config/pmda" "$WORK/pmns"
    : > "$WORK/pmcd.conf"
    if [ -n "${PMCD_PMDA:-}${PMCD_LINUX:-}" ]; then
        ns=$WORK/pmns/root
        (cd "$TOP/pmda" && pmnsmerge root ${PMCD_PMDA:+"$PCP_VAR_DIR/pmns/root_pmcd"} \
            ${PMCD_LINUX:+"$PCP_VAR_DIR/pmns/root_linux"} "$ns") >"$WORK/log/pmnsmerge.log" 2>&1 || {
            echo "# pmnsmerge failed:"; sed 's/^/# /' "$WORK/log/pmnsmerge.log"; return 1; }
        [ -n "${PMCD_PMDA:-}" ] && echo "pmcd 2 dso pmcd_init $PCP_PMDAS_DIR/pmcd/pmda_pmcd.so" >> "$WORK/pmcd.conf"
        # PMCD_LINUX=1: the linux agent too (hinv.ncpu, kernel.all.*), for derived metrics
        [ -n "${PMCD_LINUX:-}" ] && echo "linux 60 dso linux_init $PCP_PMDAS_DIR/linux/pmda_linux.so" >> "$WORK/pmcd.conf"
    fi
    echo "power $DOMAIN pipe binary $AGENT -U root -d $DOMAIN -h $BUILD/help -l $WORK/log/power.log $args" >> "$WORK/pmcd.conf"
    # a test starts its agents over different fake trees: none goes on from another's counters
    [ -n "${KEEP_COUNTERS:-}" ] || rm -f "$WORK/var/config/pmda/power.counters"
    export ASAN_OPTIONS="log_path=$WORK/log/asan:detect_leaks=1:abort_on_error=0${ASAN_EXTRA:+:$ASAN_EXTRA}"
    export LSAN_OPTIONS="suppressions=$TOP/tests/lib/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="log_path=$WORK/log/ubsan:print_stacktrace=1"
    # Tests run side by side: a port found free may be taken by another
    # test's pmcd before ours binds it. Ours then goes on with its unix
    # socket alone, and the port answers with the other test's agent (seen:
    # this test's checks read another's fake RAPL zone). So ours must be the
    # one listening, or it is started again on another port.
    for _ in 1 2 3 4 5; do
        PMCD_PORT=$(free_port)
        PMH="-h 127.0.0.1:$PMCD_PORT"   # not "localhost": a minimal root may map it to ::1 only
        # the unix socket carries the client's credentials: only root there may store controls
        PMH_LOCAL="-h unix:$WORK/run/pmcd.socket"
        # own run, tmp and var dirs: no pid file clash, and no use of the system
        # pmcd's pmdaroot (its root.socket) to start our agent, so a restart of
        # the system pmcd (as ./Install does) cannot take our agent down
        PCP_RUN_DIR=$WORK/run PCP_TMP_DIR=$WORK/tmp PCP_VAR_DIR=$WORK/var pmcd -f -A -p "$PMCD_PORT" \
            -s "$WORK/run/pmcd.socket" -c "$WORK/pmcd.conf" -q 30 -t 30 -n "$ns" \
            -l "$WORK/log/pmcd.log" -x "$WORK/log/pmcd.err" -U root >"$WORK/log/pmcd.out" 2>&1 &
        PMCD_PID=$!
        # a minute: pmcd and the sanitized agent start slowly on a loaded machine
        wait_until 60 pmcd_settled
        if ! exited "$PMCD_PID" && pmcd_listens && agent_serves; then return 0; fi
        exited "$PMCD_PID" || port_taken || break
        echo "# pmcd could not listen on port $PMCD_PORT (another test took it?): again on another port"
        pmcd_stop
    done
    echo "# pmcd did not come up with the agent; logs:"; tail -n 20 "$WORK"/log/*.log | sed 's/^/# /'
    return 1
}

# pmcd_listens: our pmcd holds the listening socket of its port
pmcd_listens() {
    local inode fd
    for inode in $(awk -v p="$(printf ':%04X' "$PMCD_PORT")" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' \
                   /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
        for fd in /proc/"$PMCD_PID"/fd/*; do
            [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] && return 0
        done
    done
    return 1
}

agent_serves() { pmprobe $PMH power.control.samples 2>/dev/null | grep -q ' 1$'; }
# port_taken: pmcd could not bind its TCP port (it goes on with its unix socket)
port_taken() { grep -Eq "^ *err +-?[0-9]+ +$PMCD_PORT +inet " "$WORK/log/pmcd.log" 2>/dev/null; }
pmcd_settled() { exited "$PMCD_PID" || port_taken || { pmcd_listens && agent_serves; }; }

pmcd_stop() {
    local agents p
    if [ -n "$PMCD_PID" ]; then
        agents=$(pgrep -P "$PMCD_PID")
        # CONT first: a test may have held it stopped (kill -STOP) when it ends
        kill -CONT "$PMCD_PID" 2>/dev/null
        kill "$PMCD_PID" 2>/dev/null
        wait "$PMCD_PID" 2>/dev/null
        PMCD_PID=
        # the agents exit after pmcd, writing their sanitizer (or valgrind)
        # reports as they go: those are read once the agents are gone
        for p in $agents; do
            wait_until 120 exited "$p" || echo "# agent $p still runs 120 s after pmcd stopped"
        done
    fi
}

# exited PID: the process is gone, or a zombie nobody reaps
exited() {
    local state
    state=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)
    [ -z "$state" ] || [ "$state" = Z ]
}

# sanitizer_check [WHAT]: the reports of the agent (or WHAT) that hold an
# error fail the test that ran it. A report without one is shown but is no
# failure: LeakSanitizer writes "Unable to get registers from thread N" when
# a thread exits while it stops the world at exit, and then checks the rest.
sanitizer_check() {
    local f bad=
    for f in "$WORK"/log/asan* "$WORK"/log/ubsan*; do
        [ -f "$f" ] || continue
        if grep -Eq 'ERROR: [A-Za-z]*Sanitizer|runtime error:' "$f"; then
            sed 's/^/# /' "$f" | head -30
            bad="$bad $f"
        else
            sed 's/^/# no error: /' "$f" | head -5
        fi
    done
    if [ -z "$bad" ]; then
        ok "${1:-agent} ran clean under ASan/UBSan"
    else
        not_ok "${1:-agent} ran clean under ASan/UBSan: reports in$bad"
    fi
}

# samples_now: the agent's sample counter
samples_now() { pmprobe -v $PMH power.control.samples | awk '$2 == 1 { print $3 }'; }

# wait_samples N: wait until the agent has sampled N more times (a loaded
# machine may make it late: up to a minute more than N intervals)
wait_samples() {
    local start now end
    start=$(samples_now)
    start=${start:-0}
    end=$((SECONDS + 60 + $1))
    while :; do
        now=$(samples_now)
        [ "${now:-0}" -ge $((start + $1)) ] 2>/dev/null && return 0
        [ $SECONDS -ge $end ] && break
        sleep 0.05
    done
    echo "# wait_samples $1: only $((${now:-0} - start)) samples came"
    return 1
}

# values METRIC[INSTANCE]...: the values of several metrics (of the named
# instance where one is given in brackets) from ONE fetch, since pminfo
# batches the metrics it is given into one pmFetch: all from one agent
# sample. One word per argument, "-" where there is no value; strings
# lose their quotes (and must not hold spaces to be read back with read).
values() {
    local a names=() seen=" "
    for a in "$@"; do
        case $seen in *" ${a%%\[*} "*) continue ;; esac
        seen="$seen${a%%\[*} "
        names+=("${a%%\[*}")
    done
    pminfo $PMH -f "${names[@]}" 2>/dev/null | awk '
        NR == FNR { want[++n] = $0; next }
        /^[^ ]+$/ { m = $0; next }
        match($0, /^ +value /) { v[m] = substr($0, RLENGTH + 1); next }
        match($0, /^ +inst \[[0-9]+ or "/) {
            rest = substr($0, RLENGTH + 1)
            if ((i = index(rest, "\"] value ")) > 0)
                v[m "[" substr(rest, 1, i - 1) "]"] = substr(rest, i + 9)
        }
        END {
            for (k = 1; k <= n; k++) {
                x = (want[k] in v) ? v[want[k]] : "-"
                gsub(/^"|"$/, "", x)
                printf "%s%s", x, k < n ? " " : "\n"
            }
        }' <(printf '%s\n' "$@") -
}

# value METRIC [INSTANCE]: one value as pmprobe -v prints it (first, or the named instance)
value() {
    if [ $# -ge 2 ]; then
        pminfo $PMH -f "$1" | sed -n "s/^ *inst \[[0-9]* or \"$2\"\] value //p" | head -1 | tr -d '"'
    else
        pmprobe -v $PMH "$1" | awk '$2 == 1 { print $3 }' | tr -d '"'
    fi
}

# has_value METRIC [INSTANCE] / value_is WANT METRIC [INSTANCE]: conditions for wait_until
has_value() { [ -n "$(value "$@")" ]; }
value_is() { local want=$1; shift; [ "$(value "$@")" = "$want" ]; }

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

# redis_start NAME: a private redis-server (the key server pmseries and
# pmproxy use) on a free loopback port; its port in RPORT_NAME.
# redis_stop_all stops every one started.
REDIS_PIDS=()
redis_start() {
    local port pid
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
            > "$WORK/log/redis-$1.log" 2>&1 &
        pid=$!
        # a loaded host starts it slowly (it was given 5 s, and a run failed
        # with no key server); one whose port another test took meanwhile
        # exits, and an answer on that port would be the other test's
        wait_until 60 redis_settled "$port" "$pid"
        if ! exited "$pid" && redis_settled "$port" "$pid"; then
            REDIS_PIDS+=("$pid")
            printf -v "RPORT_$1" '%s' "$port"
            return 0
        fi
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        echo "# redis-server did not come up on port $port: $(tail -n 2 "$WORK/log/redis-$1.log" | tr '\n' ' ')"
    done
    return 1
}
redis_settled() { exited "$2" || redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }
redis_stop_all() {
    local p
    for p in "${REDIS_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    REDIS_PIDS=()
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

# put_file FILE TEXT: replace a file whole (a line), so the agent never reads half of it
put_file() {
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"
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
