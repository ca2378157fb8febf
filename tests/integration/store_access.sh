#!/usr/bin/env bash
# Only root may change the agent's controls. pmcd passes the agent each
# client's credentials (PMDA_FLAG_AUTHORIZE; pmcd takes them from the peer
# of its unix socket, pmcd/src/pmcd.c CheckNewClient ->
# __pmServerSetLocalCreds): root over the socket may store, user nobody
# over the same socket and any client over TCP (no credentials) get
# PM_ERR_PERMISSION, counted and logged once per user. Phase marks stay
# open to users, within a rate limit, unless [phase] marks = root.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"

# nobody must reach the private pmcd's socket (its mode is 0666; the dirs above are ours)
chmod 711 "$WORK"
as_nobody() { runuser -u nobody -- env -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS "$@"; }
# What nobody runs of ours is copied where nobody can reach it: the
# repository may live where other users cannot enter (a clone in /root:
# "env: '/root/project/build/pmpower': Permission denied"). The copy is in
# $WORK (711, removed by finish) in a directory of its own, mode 755.
# pmpower needs nothing of the repository at run time (libpcp is the system's).
NOBODY_BIN=$(mktemp -d "$WORK/nobody-bin.XXXXXX")
chmod 755 "$NOBODY_BIN"
cp "$BUILD/pmpower" "$NOBODY_BIN/pmpower"     # unsanitized: nobody cannot write the sanitizer logs
chmod 755 "$NOBODY_BIN/pmpower"
PMPOWER_PLAIN=$NOBODY_BIN/pmpower

printf '[phase]\nrate = 0.01\n' > "$WORK/power.conf"
pmcd_start -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; finish; exit 1; }
chmod 711 "$WORK/run"
SOCK=unix:$WORK/run/pmcd.socket
check_cmd "the private pmcd listens on its unix socket" -- test -S "$WORK/run/pmcd.socket"
as_nobody "$PMPOWER_PLAIN" help >/dev/null 2>"$WORK/nobody.err"
check_eq "$?" 0 "user nobody can run the copy of pmpower" "$(cat "$WORK/nobody.err")"

# root through the unix socket: allowed
out=$(pmstore -h "$SOCK" power.control.interval 0.5 2>&1)
check_match "$out" 'new value=0\.5' "root over the local socket sets the interval"
out=$(pmstore -h "$SOCK" power.control.attribute_mode all 2>&1)
check_eq "$(value power.control.attribute_mode)" all "root over the local socket sets the attribution mode" "$out"

# a client over TCP has no credentials, even as root; pmcd gives it the
# context number the root client above had, which the agent forgot when
# pmcd ended that context (pmdaSetEndContextCallBack)
out=$(pmstore $PMH power.control.interval 0.05 2>&1)
check_match "$out" 'No permission' "root over TCP (no credentials) may not set the interval"
near "$(value power.control.interval)" 0.5 0 "the interval is unchanged"

# nobody through the same socket: refused, nothing changes
out=$(as_nobody pmstore -h "$SOCK" power.control.interval 0.05 2>&1)
echo "$out" | sed 's/^/# nobody: /'
check_match "$out" 'No permission' "user nobody over the local socket may not set the interval (PM_ERR_PERMISSION)"
out=$(as_nobody pmstore -h "$SOCK" power.control.attribute_mode active 2>&1)
check_match "$out" 'No permission' "nor the attribution mode"
near "$(value power.control.interval)" 0.5 0 "the interval is still unchanged"
check_eq "$(value power.control.attribute_mode)" all "the mode is unchanged"

check_eq "$(value power.control.stores_refused)" 3 "power.control.stores_refused counts the three refusals"

# logged once per user, with what to do
grep 'refused' "$WORK/log/power.log" | sed 's/^/# log: /'
n=$(grep -c 'refused for uid 65534' "$WORK/log/power.log")
check_eq "$n" 1 "nobody's two refusals are logged once"
check_match "$(grep "refused for uid 65534" "$WORK/log/power.log")" 'sudo pmstore -h local:' "the log line says what to do"
check_eq "$(grep -c "refused for a client without credentials" "$WORK/log/power.log")" 1 \
    "the TCP client's refusal is logged once"

# phase marks: open to users, over the socket and over TCP
out=$(as_nobody "$PMPOWER_PLAIN" mark -h "$SOCK" start "user phase" 2>&1)
check_eq "$?" 0 "user nobody may mark a phase (benchmarks run as users)" "$out"
out=$("$PMPOWER" mark $PMH end "user phase" 2>&1)
check_eq "$?" 0 "a client over TCP may mark a phase" "$out"
marks=$(pminfo $PMH -f power.phase.log)
check_match "$marks" 'start user phase' "the user's start mark is kept"
check_match "$marks" 'end user phase' "and the TCP client's end mark"

# ... within the rate: 32 at once, then [phase] rate (0.01 a second here)
fails=0
for i in $(seq 34); do
    as_nobody "$PMPOWER_PLAIN" mark -h "$SOCK" start "burst $i" >/dev/null 2>"$WORK/mark.err" || fails=$((fails + 1))
done
sed 's/^/# 34th: /' "$WORK/mark.err"
check_eq "$fails" 4 "after 32 marks at once, further ones are refused (2 + 34 tried)"
check_file_has "$WORK/mark.err" 'Resource temporarily unavailable' "pmpower mark says why (EAGAIN)"
check_file_has "$WORK/mark.err" 'phase\] rate' "and what limits it"
check_eq "$(value power.phase.marks)" 32 "power.phase.marks counts the marks kept"
check_eq "$(value power.phase.throttled)" 4 "power.phase.throttled counts those refused"
check_eq "$(grep -c "phase marks throttled for uid 65534" "$WORK/log/power.log")" 1 "the throttle is logged once"
check_eq "$(value power.control.stores_refused)" 3 "throttled marks are not counted as refusals"

# pmcd sends a restarted agent the credentials of the clients already
# connected (pmcd/src/config.c DoAgentCreds -> ClientsAttributes): a root
# client keeps its right across an agent restart, in the same context
/usr/bin/python3 - "$WORK/run/pmcd.socket" "$WORK/go" > "$WORK/client.out" 2>&1 <<'PY' &
import os, sys, time
from pcp import pmapi
import cpmapi as c_api
ctx = pmapi.pmContext(c_api.PM_CONTEXT_HOST, "unix:" + sys.argv[1])
pmids = ctx.pmLookupName(["power.control.interval"])
def store(when):
    try:
        ctx.pmStore(ctx.pmFetch(pmids))      # the current value back: still a store
        print(when, "stored", flush=True)
    except pmapi.pmErr as e:
        print(when, "refused:", e, flush=True)
store("before")
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
for _ in range(100):                          # until the restarted agent answers
    try:
        ctx.pmFetch(pmids)
        break
    except pmapi.pmErr:
        time.sleep(0.1)
store("after")
PY
CLIENT=$!
wait_until 30 grep -q before "$WORK/client.out"
old=$(pgrep -f "pmdapower.*$WORK" | head -1)
kill -KILL "$old"
# a request first: pmcd notices a dead agent, and restarts it, only when
# it next asks it for something (without one this waited for nothing)
new_agent_serves() {
    local new
    [ -n "$(value power.control.samples)" ] || return 1
    new=$(pgrep -f "pmdapower.*$WORK" | head -1)
    [ -n "$new" ] && [ "$new" != "$old" ]
}
wait_until 60 new_agent_serves
check_cmd "pmcd restarts the killed agent" -- new_agent_serves
touch "$WORK/go"
wait $CLIENT
sed 's/^/# client: /' "$WORK/client.out"
check_file_has "$WORK/client.out" '^before stored' "a root client over the socket may store" "$(cat "$WORK/client.out")"
check_file_has "$WORK/client.out" '^after stored' "and still may after pmcd restarted the agent" "$(cat "$WORK/client.out")"
pmcd_stop
sanitizer_check

# [phase] marks = root: users may not mark
mv "$WORK/log/power.log" "$WORK/log/power-1.log"
printf '[phase]\nmarks = root\n' > "$WORK/power.conf"
pmcd_start -c "$WORK/power.conf" || { not_ok "private pmcd with marks = root starts"; finish; exit 1; }
chmod 711 "$WORK/run"
out=$(as_nobody "$PMPOWER_PLAIN" mark -h "$SOCK" start "user phase" 2>&1)
rc=$?
echo "$out" | sed 's/^/# nobody: /'
check_eq "$rc" 1 "marks = root: user nobody's mark is refused" "$out"
check_match "$out" 'No permission' "pmpower says it had no permission"
check_match "$out" 'marks = root' "and names the setting"
out=$("$PMPOWER" mark $PMH start "tcp phase" 2>&1)
check_eq "$?" 1 "marks = root: a client over TCP is refused" "$out"
out=$("$PMPOWER" mark -h "$SOCK" start "root phase" 2>&1)
check_eq "$?" 0 "marks = root: root over the local socket may mark" "$out"
check_eq "$(value power.phase.marks)" 1 "one mark kept"
check_eq "$(value power.control.stores_refused)" 2 "two refused"
check_file_has "$WORK/log/power.log" 'phase mark refused for uid 65534: power\.conf has \[phase\] marks = root' \
    "the refusal is logged with the setting that made it"
check_eq "$(value power.control.config_errors)" 0 "[phase] marks and rate are known keys"
pmcd_stop
sanitizer_check
finish
