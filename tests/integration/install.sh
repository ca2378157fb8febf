#!/usr/bin/env bash
# ./Install and ./Remove against the system pmcd, as a user runs them, from
# both states pmcd can be in (running, stopped). Puts back what it found:
# the agent installed or not, pmcd running or not.
. "$(dirname "$0")/../lib/common.sh"

runtime=" $(sh "$TOP/scripts/install-deps" --list) " testing=" $(sh "$TOP/scripts/install-deps" --test --list) "
check 'case $runtime in *" redis-server "*|*" valgrind "*|*" jq "*) false ;; *) true ;; esac' \
    "./Install installs no test-only packages (redis-server, valgrind, jq)" "$runtime"
check '(for p in $runtime; do case $testing in *" $p "*) ;; *) exit 1 ;; esac; done) && case $testing in *" redis-server "*) true ;; *) false ;; esac' \
    "make check installs those and the test tools" "$testing"

if [ "$(id -u)" != 0 ]; then
    echo "ok - # SKIP Install/Remove need root"
    finish; exit 0
fi
SOCK="unix:$PCP_RUN_DIR/pmcd.socket"   # this host's pmcd, not another on the port
pmcd_up() { pmprobe -h "$SOCK" pmcd.numagents >/dev/null 2>&1; }
registered() { grep -q "^power[[:space:]]" "$PCP_PMCDCONF_PATH" 2>/dev/null; }
system_pmcd() {   # start | stop
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        systemctl "$1" pmcd
    else
        "$PCP_RC_DIR/pmcd" "$1"
    fi >/dev/null 2>&1
    for _ in $(seq 20); do
        if [ "$1" = start ]; then pmcd_up && return 0; else pmcd_up || return 0; fi
        sleep 0.5
    done
    return 1
}
was_installed=no was_up=no
registered && was_installed=yes
pmcd_up && was_up=yes
echo "# before: agent installed: $was_installed, pmcd running: $was_up"
dest=$PCP_PMDAS_DIR/power
# the config and the default it was installed as (which tells whether it was edited)
mkdir -p "$WORK/conf-backup"
for f in power.conf power.conf.default; do [ -f "$dest/$f" ] && cp -p "$dest/$f" "$WORK/conf-backup/"; done

# ./Remove from whatever state the host is in leaves pmcd as it was
out=$("$TOP/Remove" 2>&1)
rc=$?
check '[ $rc -eq 0 ] && ! registered' "./Remove unregisters the agent (or says it is not installed)" "$out"
if [ $was_up = yes ]; then
    check 'pmcd_up && ! pminfo -h "$SOCK" power >/dev/null 2>&1' "after ./Remove, pmcd is up and healthy, without power"
else
    check '! pmcd_up' "./Remove leaves a stopped pmcd stopped"
fi

# ./Install with pmcd stopped starts it; a first install, so no config yet
rm -f "$dest/power.conf"
system_pmcd stop || echo "# could not stop pmcd"
out=$(cd / && "$TOP/Install" 2>&1)
rc=$?
check '[ $rc -eq 0 ]' "./Install succeeds from another working directory" "$(echo "$out" | tail -5)"
check 'echo "$out" | grep -q "Install: starting pmcd" && pmcd_up' "./Install starts pmcd when it is not running"
check 'echo "$out" | grep -q "power metrics are live"' "./Install checks that values appear"
check 'grep -q "^power[[:space:]].*pmdapower.*-U root" "$PCP_PMCDCONF_PATH"' "registered with pmcd, running as root for RAPL"
src=$(pmprobe -v power.system.source | awk '{ print $3 }' | tr -d '"')
check '[ -n "$src" ] && [ "$src" != none ]' "the system pmcd serves power.system.source ($src)"
vals=$(pmval -t 1 -s 3 power.system.power 2>&1 | awk '/^[ 0-9.]+$/' | wc -l)
check '[ "$vals" -ge 2 ]' "pmval -t 1 power.system.power prints watts" "$(pmval -t 1 -s 3 power.system.power 2>&1 | tail -3)"
check 'pminfo -T power.system.energy | grep -q "Rate-convert"' "installed help text is served"
check 'cmp -s "$dest/power.conf" "$TOP/pmda/power.conf"' "the default config is installed"
errs=$(pmprobe -v power.control.config_errors | awk '{ print $3 }')
check '[ "$errs" = 0 ]' "the shipped power.conf has no errors (power.control.config_errors $errs)" \
    "$(grep -i power.conf "$PCP_LOG_DIR/pmcd/power.log" | tail -3)"

# a second Install over the first keeps working (upgrades); a config never
# edited follows the new default, an edited one is kept
echo "# old default" > "$dest/power.conf.default"
cp "$dest/power.conf.default" "$dest/power.conf"
out=$("$TOP/Install" 2>&1)
rc=$?
check '[ $rc -eq 0 ] && pminfo -f power.system.source | grep -q value' "re-running ./Install is harmless" "$(echo "$out" | tail -3)"
check 'cmp -s "$dest/power.conf" "$TOP/pmda/power.conf"' "an unedited power.conf follows the new default"
printf '[model]\nidle_watts = 7\n' > "$dest/power.conf"
out=$("$TOP/Install" 2>&1)
check 'grep -q "idle_watts = 7" "$dest/power.conf" && echo "$out" | grep -q "keeping your edited"' \
    "an edited power.conf is kept, and ./Install says so" "$(echo "$out" | grep power.conf)"
check 'cmp -s "$dest/power.conf.default" "$TOP/pmda/power.conf"' "the new default is installed beside it"

# ./Remove with pmcd running
out=$("$TOP/Remove" 2>&1)
check '! pminfo power >/dev/null 2>&1 && pmcd_up && ! registered' "./Remove leaves pmcd running and healthy, without power" "$out"

# put back what was found
for f in power.conf power.conf.default; do
    if [ -f "$WORK/conf-backup/$f" ]; then mkdir -p "$dest"; cp -p "$WORK/conf-backup/$f" "$dest/$f"; else rm -f "$dest/$f"; fi
done
if [ $was_installed = yes ]; then
    "$TOP/Install" >"$WORK/reinstall.log" 2>&1 || { echo "# re-install failed:"; tail -5 "$WORK/reinstall.log" | sed 's/^/# /'; }
fi
[ $was_up = no ] && system_pmcd stop
finish
