#!/usr/bin/env bash
# power.control: the interval is storeable, bad stores are refused, and
# config errors are counted and logged with file and line while the agent
# still starts.
. "$(dirname "$0")/../lib/common.sh"

cat > "$WORK/power.conf" <<'CONF'
interval = 0.25
[model]
idle_watts = plenty
colour = blue
[system]
priority = rapl:psys, model
CONF
pmcd_start -c "$WORK/power.conf" || not_ok "agent started despite config errors"
near "$(value power.control.interval)" 0.25 0 "interval from the config file"
check '[ "$(value power.control.config_errors)" = 2 ]' "two config problems counted" "$(value power.control.config_errors)"
check 'grep -q "power.conf:3: bad value \"plenty\" for model.idle_watts" $WORK/log/power.log' "bad value logged with file and line"
check 'grep -q "power.conf:4: unknown key \"colour\" in \[model\]" $WORK/log/power.log' "unknown key logged with file and line"

out=$(pmstore $PMH_LOCAL power.control.interval 0.5 2>&1)
check 'echo "$out" | grep -q "new value=0.5"' "pmstore sets the interval" "$out"
near "$(value power.control.interval)" 0.5 0 "the new interval is in effect"
s1=$(value power.control.samples); sleep 2; s2=$(value power.control.samples)
n=$((s2 - s1))
check '[ $n -ge 3 ] && [ $n -le 5 ]' "the timer now samples every 0.5 s ($n samples in 2 s)"
out=$(pmstore $PMH_LOCAL power.control.interval 0 2>&1)
check 'echo "$out" | grep -qi "bad\|error\|denied"' "an interval of 0 is refused" "$out"
out=$(pmstore $PMH power.system.power 5 2>&1)
check 'echo "$out" | grep -qi "permission\|denied\|error"' "measurements are not storeable" "$out"
near "$(value power.control.interval)" 0.5 0 "the refused stores changed nothing"

# polling faster than the timer sees the same sample: no client drives the reads
a=$(value power.control.samples); b=$(value power.control.samples)
check '[ "$a" = "$b" ]' "back-to-back fetches see the same sample"
pmcd_stop
sanitizer_check
finish
