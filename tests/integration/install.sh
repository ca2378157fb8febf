#!/usr/bin/env bash
# ./Install and ./Remove against the system pmcd, as a user runs them, from
# both states pmcd can be in (running, stopped). Puts back what it found:
# the agent installed or not, pmcd running or not.
. "$(dirname "$0")/../lib/common.sh"

runtime=" $(sh "$TOP/scripts/install-deps" --list) " testing=" $(sh "$TOP/scripts/install-deps" --test --list) "
check_no_match "$(printf '%s\n' $runtime)" '^(redis-server|valgrind|jq)$' \
    "./Install installs no test-only packages (redis-server, valgrind, jq)" "$runtime"
missing=$(for p in $runtime; do case $testing in *" $p "*) ;; *) echo "$p" ;; esac; done)
check_empty "$missing" "make check installs the runtime packages too" "$testing"
check_match "$(printf '%s\n' $testing)" '^redis-server$' "and the test tools" "$testing"

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
check_eq "$rc" 0 "./Remove succeeds (or says it is not installed)" "$out"
check_cmd "./Remove unregisters the agent" -- ! registered
# serves_power: the system pmcd knows power.* (output kept out of the test's)
serves_power() { pminfo -h "$SOCK" power >/dev/null 2>&1; }
if [ $was_up = yes ]; then
    check_cmd "after ./Remove, pmcd is up and healthy" -- pmcd_up
    check_cmd "without power" -- ! serves_power
else
    check_cmd "./Remove leaves a stopped pmcd stopped" -- ! pmcd_up
fi

# ./Install with pmcd stopped starts it; a first install, so no config yet
rm -f "$dest/power.conf"
system_pmcd stop || echo "# could not stop pmcd"
out=$(cd / && "$TOP/Install" 2>&1)
rc=$?
check_eq "$rc" 0 "./Install succeeds from another working directory" "$(echo "$out" | tail -5)"
check_match "$out" 'Install: starting pmcd' "./Install starts pmcd when it is not running"
check_cmd "pmcd is up after ./Install" -- pmcd_up
check_match "$out" 'power metrics are live' "./Install checks that values appear"
check_file_has "$PCP_PMCDCONF_PATH" '^power[[:space:]].*pmdapower.*-U root' "registered with pmcd, running as root for RAPL"
src=$(pmprobe -v power.system.source | awk '{ print $3 }' | tr -d '"')
check_nonempty "$src" "the system pmcd serves power.system.source"
check_ne "$src" none "from a source"
pmval -t 1 -s 3 power.system.power > "$WORK/pmval.out" 2>&1
check_num "$(awk '/^[ 0-9.]+$/' "$WORK/pmval.out" | wc -l)" '>=' 2 "pmval -t 1 power.system.power prints watts" \
    "$(tail -3 "$WORK/pmval.out")"
check_match "$(pminfo -T power.system.energy)" 'Rate-convert' "installed help text is served"
check_cmd "the default config is installed" -- cmp -s "$dest/power.conf" "$TOP/pmda/power.conf"
check_eq "$(pmprobe -v power.control.config_errors | awk '{ print $3 }')" 0 "the shipped power.conf has no errors (power.control.config_errors)" \
    "$(grep -i power.conf "$PCP_LOG_DIR/pmcd/power.log" | tail -3)"
check_file_has "$PCP_VAR_DIR/config/pmda/power.counters" '^c ' "the installed agent saves its energy counters" \
    "$(grep counters "$PCP_LOG_DIR/pmcd/power.log" | tail -3)"

# a second Install over the first keeps working (upgrades); a config never
# edited follows the new default, an edited one is kept
echo "# old default" > "$dest/power.conf.default"
cp "$dest/power.conf.default" "$dest/power.conf"
out=$("$TOP/Install" 2>&1)
rc=$?
check_eq "$rc" 0 "re-running ./Install is harmless" "$(echo "$out" | tail -3)"
check_match "$(pminfo -f power.system.source)" 'value' "the agent serves values after it"
check_num "$(pmprobe -v power.control.continued | awk '{ print $3 }')" '>=' 1 \
    "the restarted agent's energy counters went on from the saved state (power.control.continued)"
check_cmd "an unedited power.conf follows the new default" -- cmp -s "$dest/power.conf" "$TOP/pmda/power.conf"
printf '[model]\nidle_watts = 7\n' > "$dest/power.conf"
out=$("$TOP/Install" 2>&1)
check_file_has "$dest/power.conf" 'idle_watts = 7' "an edited power.conf is kept"
check_match "$out" 'keeping your edited' "and ./Install says so" "$(echo "$out" | grep power.conf)"
check_cmd "the new default is installed beside it" -- cmp -s "$dest/power.conf.default" "$TOP/pmda/power.conf"

# ./Remove with pmcd running
out=$("$TOP/Remove" 2>&1)
check_cmd "./Remove leaves pmcd running and healthy" "$out" -- pmcd_up
check_cmd "without power" -- ! serves_power
check_cmd "and unregistered" -- ! registered

# put back what was found
for f in power.conf power.conf.default; do
    if [ -f "$WORK/conf-backup/$f" ]; then mkdir -p "$dest"; cp -p "$WORK/conf-backup/$f" "$dest/$f"; else rm -f "$dest/$f"; fi
done
if [ $was_installed = yes ]; then
    "$TOP/Install" >"$WORK/reinstall.log" 2>&1 || { echo "# re-install failed:"; tail -5 "$WORK/reinstall.log" | sed 's/^/# /'; }
fi
[ $was_up = no ] && system_pmcd stop
finish
