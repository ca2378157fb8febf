#!/usr/bin/env bash
# pcp-power is native to PCP's tools: the pmlogconf group makes a pmlogger
# config that logs host power every 10 s and processes/cgroups every
# minute, and pmlogger accepts it; the pmrep configurations :power,
# :power-energy and :power-proc report from the agent; the man pages
# render cleanly.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"
# pmrep is Python: Debian's python3 has the PCP bindings, a pyenv one may not
PYPATH=/usr/bin:$PATH

fake_rapl "$WORK/root" 25
ln -s /proc "$WORK/root/proc"
pmcd_start -r "$WORK/root" -t 0.2 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
wait_samples 3

# pmlogconf: the group files, read by pmlogconf from a groups directory
pmlogconf -c -q -d "$TOP/pmlogconf" -h "127.0.0.1:$PMCD_PORT" "$WORK/pmlogger.config" > "$WORK/log/pmlogconf.log" 2>&1
check_eq "$?" 0 "pmlogconf reads the power groups" "$(cat "$WORK/log/pmlogconf.log")"
sed 's/^/# /' "$WORK/pmlogger.config" | grep -v '^# #' | head -30
block() {   # the metrics of the config's "log ... on INTERVAL" block for group $1
    awk -v g="#+ power/$1:" 'index($0, g) == 1 { on = 1; next } on && /^}/ { exit } on' "$WORK/pmlogger.config"
}
check_file_has "$WORK/pmlogger.config" '^#\+ power/summary:y:10 sec:' "the summary group is on"
check_match "$(block summary)" 'log advisory on 10 sec' "the summary group logs every 10 seconds"
for m in power.system power.rapl power.meter power.vm power.soc power.battery power.gpu power.hwmon; do
    check_match "$(block summary)" "^[[:space:]]*${m//./\\.}\$" "the summary group logs $m"
done
check_file_has "$WORK/pmlogger.config" '^#\+ power/proc:y:1 min:' "the proc group is on"
check_match "$(block proc)" 'log advisory on 1 min' "the proc group logs every minute"
check_match "$(block proc)" '^[[:space:]]*power\.proc$' "the proc group logs power.proc"
check_match "$(block proc)" '^[[:space:]]*power\.cgroup$' "and power.cgroup"
sed -i '/^\[access\]/,$d' "$WORK/pmlogger.config"
# pmlogger runs the generated config
sed -e 's/on 10 sec/on 1 sec/' -e 's/on 1 min/on 1 sec/' "$WORK/pmlogger.config" > "$WORK/fast.config"
pmlogger -h "127.0.0.1:$PMCD_PORT" -c "$WORK/fast.config" -T 3sec -l "$WORK/log/pmlogger.log" "$WORK/arch" >/dev/null 2>&1
pminfo -a "$WORK/arch" power.system.energy power.rapl.energy power.proc.energy >/dev/null 2>&1
check_eq "$?" 0 "pmlogger logs power.system, power.rapl and power.proc from the generated config" \
    "$(tail -5 "$WORK/log/pmlogger.log")"
pmlogcheck "$WORK/arch" > "$WORK/pmlogcheck.out" 2>&1
check_eq "$?" 0 "the archive is valid" "$(head -5 "$WORK/pmlogcheck.out")"

# pmrep configurations
for set in power power-energy power-proc; do
    PATH=$PYPATH pmrep $PMH -c "$TOP/pmrep/power.conf" ":$set" -s 3 -t 1 > "$WORK/$set.out" 2>&1
    rc=$?
    check_eq "$rc" 0 "pmrep :$set runs" "$(tail -3 "$WORK/$set.out")"
    sed 's/^/# /' "$WORK/$set.out" | cut -c1-160 | head -6
done
# the agent samples every 0.2 s, pmrep fetches every 1 s: allow a sample either way
check_file_has "$WORK/power.out" 'system W' "pmrep :power has a system watts column"
check_between "$(tail -1 "$WORK/power.out" | awk '{ print $2 }')" 19 31 "pmrep :power shows the system watts (25 W fake zone)"
check_file_has "$WORK/power-energy.out" 'system J' "pmrep :power-energy has a system joules column"
check_between "$(tail -1 "$WORK/power-energy.out" | awk '{ print $2 }')" 19 31 \
    "pmrep :power-energy shows the joules of each 1 s interval (25 J)"
check_file_has "$WORK/power-proc.out" 'cgroup W' "pmrep :power-proc shows processes and cgroups"

# man pages
for page in pmpower pmdapower; do
    warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$TOP/man/$page.1" 2>&1 >/dev/null)
    check_empty "$warn" "man -l man/$page.1 renders without warnings"
    check_match "$(MANWIDTH=80 man -l "$TOP/man/$page.1" 2>/dev/null)" '^SYNOPSIS' "man/$page.1 has a synopsis"
done
fake_rapl_stop
sanitizer_check
finish
