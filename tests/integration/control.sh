#!/usr/bin/env bash
# power.control: the interval is storeable, bad stores are refused, and
# config errors are counted and logged with file and line while the agent
# still starts.
. "$(dirname "$0")/../lib/common.sh"

# The bad idle_watts falls back to its default, 10 W, and max_watts = 10
# makes the model flat: power.model.energy then adds 10 J per second of the
# agent's own time between its samples, the clock the timer is checked by.
cat > "$WORK/power.conf" <<'CONF'
interval = 0.25
[model]
idle_watts = plenty
colour = blue
max_watts = 10
[system]
priority = rapl:psys, model
CONF
pmcd_start -c "$WORK/power.conf" || not_ok "agent started despite config errors"
near "$(value power.control.interval)" 0.25 0 "interval from the config file"
check_eq "$(value power.control.config_errors)" 2 "two config problems counted"
check_file_has "$WORK/log/power.log" 'power\.conf:3: bad value "plenty" for model\.idle_watts' "bad value logged with file and line"
check_file_has "$WORK/log/power.log" 'power\.conf:4: unknown key "colour" in \[model\]' "unknown key logged with file and line"
wait_samples 2
near "$(value power.model.power)" 10 0 "a bad value leaves the default: idle_watts 10 W (a flat 10 W model)"

out=$(pmstore $PMH_LOCAL power.control.interval 0.5 2>&1)
check_match "$out" 'new value=0\.5' "pmstore sets the interval"
near "$(value power.control.interval)" 0.5 0 "the new interval is in effect"
# the mean interval over 8 samples in the agent's own time: a timer that
# never fires early makes it at least 7/8 of 0.5 s; lateness adds to it
wait_samples 1
read -r s1 c1 <<<"$(values power.control.samples power.model.energy)"
wait_samples 8
read -r s2 c2 <<<"$(values power.control.samples power.model.energy)"
echo "# samples $s1 -> $s2, the agent's clock $c1 -> $c2 J at 10 W"
check_between "$(awk -v s="$((s2 - s1))" -v a="$c1" -v b="$c2" 'BEGIN { if (s > 0) print (b - a) / 10 / s }')" 0.4 0.67 \
    "the timer now samples every 0.5 s (mean interval of the agent's clock)" "samples $s1 -> $s2, clock $c1 -> $c2 J at 10 W"
out=$(pmstore $PMH_LOCAL power.control.interval 0 2>&1)
check_match "${out,,}" 'bad|error|denied' "an interval of 0 is refused" "$out"
out=$(pmstore $PMH power.system.power 5 2>&1)
check_match "${out,,}" 'permission|denied|error' "measurements are not storeable" "$out"
near "$(value power.control.interval)" 0.5 0 "the refused stores changed nothing"

# polling faster than the timer sees the same sample: no client drives the
# reads. Ten fetches in a row see no more samples than the agent's own time
# between the first and the last holds at 0.5 s, plus one (a late sample
# and a punctual one may be closer than an interval)
read -r s1 c1 <<<"$(values power.control.samples power.model.energy)"
for _ in $(seq 8); do values power.control.samples power.model.energy >/dev/null; done
read -r s2 c2 <<<"$(values power.control.samples power.model.energy)"
echo "# ten fetches: samples $s1 -> $s2, the agent's clock $c1 -> $c2 J at 10 W"
check_num "$((s2 - s1))" '<=' "$(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.3f", (b - a) / 10 / 0.5 + 1 }')" \
    "back-to-back fetches see the same sample: no fetch drives one" "samples $s1 -> $s2, clock $c1 -> $c2 J at 10 W"
pmcd_stop
sanitizer_check
finish
