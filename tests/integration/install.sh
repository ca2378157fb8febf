#!/usr/bin/env bash
# ./Install and ./Remove against the system pmcd, as a user runs them.
# Leaves the agent installed if it was installed before the test.
. "$(dirname "$0")/../lib/common.sh"

if [ "$(id -u)" != 0 ]; then
    echo "ok - # SKIP Install/Remove need root"
    finish; exit 0
fi
was_installed=no
grep -q "^power[[:space:]]" "$PCP_PMCDCONF_PATH" 2>/dev/null && was_installed=yes

out=$("$TOP/Remove" 2>&1)
check '! pminfo power >/dev/null 2>&1' "after ./Remove, no power metrics" "$out"
check 'pmprobe pmcd.numagents >/dev/null 2>&1' "after ./Remove, pmcd is up and healthy"

out=$(cd / && "$TOP/Install" 2>&1)
rc=$?
check '[ $rc -eq 0 ]' "./Install succeeds from another working directory" "$(echo "$out" | tail -5)"
check 'echo "$out" | grep -q "power metrics are live"' "./Install checks that values appear"
check 'grep -q "^power[[:space:]].*pmdapower.*-U root" "$PCP_PMCDCONF_PATH"' "registered with pmcd, running as root for RAPL"
src=$(pmprobe -v power.system.source | awk '{ print $3 }' | tr -d '"')
check '[ -n "$src" ] && [ "$src" != none ]' "the system pmcd serves power.system.source ($src)"
vals=$(pmval -t 1 -s 3 power.system.power 2>&1 | awk '/^[ 0-9.]+$/' | wc -l)
check '[ "$vals" -ge 2 ]' "pmval -t 1 power.system.power prints watts" "$(pmval -t 1 -s 3 power.system.power 2>&1 | tail -3)"
check 'pminfo -T power.system.energy | grep -q "Rate-convert"' "installed help text is served"
check '[ -f "$PCP_PMDAS_DIR/power/power.conf" ]' "the default config is installed"

# a second Install over the first keeps working (upgrades)
out=$("$TOP/Install" 2>&1)
check '[ $? -eq 0 ] && pminfo -f power.system.source | grep -q value' "re-running ./Install is harmless" "$(echo "$out" | tail -3)"

if [ $was_installed = no ]; then
    "$TOP/Remove" >/dev/null 2>&1
    check '! pminfo power >/dev/null 2>&1 && pmprobe pmcd.numagents >/dev/null 2>&1' "./Remove leaves pmcd healthy without power"
fi
finish
