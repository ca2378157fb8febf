#!/usr/bin/env bash
# A measured idle ([attribution] idle = baseline, attribution/idle.h) on a
# fake RAPL zone at 40 W: active = energy - idle power x time, exactly, by
# the agent's own sample times; a baseline above the power gives no active
# energy and counts the shortfall as unexplained; the lowest power over a
# window, and a calibrated model, as the baseline; and power.conf re-read
# while the agent runs ([model] and [attribution] idle), no restart.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
advance_start "$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj" 40
CONF=$WORK/power.conf
# write_conf TEXT: replace power.conf as an editor or pmpower calibrate does
# (a new file renamed over the old), then wait until the agent has sampled
# twice more, so the next sample was split by the new rule
write_conf() {
    printf '[system]\npriority = rapl:package+dram\n%s\n' "$1" > "$CONF.new" && mv "$CONF.new" "$CONF"
    [ -n "${PMCD_PORT:-}" ] && wait_samples 3
}
write_conf '[model]
idle_watts = 7
max_watts = 7'
# text METRIC [INSTANCE]: a string value whole (value stops at its first space)
text() {
    if [ $# -ge 2 ]; then
        pminfo $PMH -f "$1" | sed -n "s/^ *inst \[[0-9]* or \"$2\"\] value \"\(.*\)\"$/\1/p"
    else
        pminfo $PMH -f "$1" | sed -n 's/^ *value "\(.*\)"$/\1/p'
    fi
}
pmcd_start -r "$ROOT" -c "$CONF" -t 0.2 || not_ok "agent started"
agent=$(pgrep -f "pmdapower.*$WORK" | head -1)
wait_samples 3
basis=$(text power.system.idle_basis)
check_match "$basis" '^utilisation:' "utilisation is the default: $basis"
check_empty "$(value power.system.idle_power)" "no idle power in force while the split is by utilisation"
near "$(value power.model.power)" 7 1e-9 "the model's flat 7 W curve"

# snap N: one fetch (so one agent sample) of the counters the checks compare
snap() {
    eval "$(pmprobe -v $PMH power.system.energy power.system.active_energy power.system.idle_energy \
        power.system.unexplained_energy power.control.sample_time |
        awk -v n="$1" '{ split($1, p, "."); printf "%s%s=%s\n", p[3], n, $3 }')"
}
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.9f", b - a }'; }

write_conf '[attribution]
idle = baseline
idle_watts = 25
[model]
idle_watts = 7
max_watts = 7'
basis=$(text power.system.idle_basis)
check_eq "$basis" "baseline 25 W: [attribution] idle_watts" "power.conf re-read without a restart: $basis"
check_eq "$(pgrep -f "pmdapower.*$WORK" | head -1)" "$agent" "the same agent process ($agent)"
near "$(value power.system.idle_power)" 25 1e-9 "power.system.idle_power is the configured 25 W"
pminfo $PMH -f power.system.idle_basis power.system.idle_power power.system.power power.system.active_power | sed 's/^/# /'
snap 1; wait_samples 10; snap 2
dt=$(delta "$sample_time1" "$sample_time2") de=$(delta "$energy1" "$energy2")
near "$(delta "$active_energy1" "$active_energy2")" "$(awk -v e="$de" -v t="$dt" 'BEGIN { printf "%.9f", e - 25 * t }')" 1e-6 \
    "active = energy - 25 W x the agent's own time ($de J over $dt s)"
near "$(delta "$idle_energy1" "$idle_energy2")" "$(awk -v t="$dt" 'BEGIN { printf "%.9f", 25 * t }')" 1e-6 "idle = 25 W x time"
near "$(awk -v e="$de" -v t="$dt" 'BEGIN { print e / t }')" 40 0.1 "the zone's 40 W"
near "$(delta "$unexplained_energy1" "$unexplained_energy2")" 0 1e-9 "nothing unexplained under the power"

write_conf '[attribution]
idle = baseline
idle_watts = 50'
snap 1; wait_samples 10; snap 2
dt=$(delta "$sample_time1" "$sample_time2") de=$(delta "$energy1" "$energy2")
near "$(delta "$active_energy1" "$active_energy2")" 0 1e-9 "a 50 W baseline over a 40 W zone: no active energy, never negative"
near "$(delta "$idle_energy1" "$idle_energy2")" "$de" 1e-6 "all the energy idle"
near "$(delta "$unexplained_energy1" "$unexplained_energy2")" "$(awk -v e="$de" -v t="$dt" 'BEGIN { printf "%.9f", 50 * t - e }')" 1e-6 \
    "the shortfall, 50 W x time - energy, is unexplained"
pmprobe -v $PMH power.system.active_power | grep -q ' 1 0$' && ok "active power 0" || not_ok "active power 0: $(value power.system.active_power)"

# no value given: the lowest power over the window, once watched that long
# (a window far longer than the three samples write_conf waits, whatever
# the load makes of them; then a short one to watch through)
write_conf '[attribution]
idle = baseline
idle_window = 60'
basis=$(text power.system.idle_basis)
check_match "$basis" '^utilisation until the baseline is known' "until the window is watched, utilisation, and why: $basis"
write_conf '[attribution]
idle = baseline
idle_window = 2'
# 2 s of the agent's time at 0.2 s is more than 10 samples: the timer never fires early
for _ in $(seq 10); do wait_samples 5; basis=$(text power.system.idle_basis); [[ "$basis" == baseline* ]] && break; done
check_match "$basis" '^baseline .* W: the lowest power of rapl:package\+dram over 2 s$' "the window's lowest power: $basis"
# the fake zone's counter is written on the wall clock: on a loaded host a
# late write makes one interval read low, and the lowest is what the window keeps
check_between "$(value power.system.idle_power)" 20 40.1 \
    "the lowest power over the window: the zone's 40 W, or an interval a late write of the fake zone made lower"

# calibrated_conf REFERENCE: idle = baseline and a model calibrated against REFERENCE
calibrated_conf() {
    write_conf "[attribution]
idle = baseline
[model]
idle_watts = 33
max_watts = 60
calibrated = 2026-11-21T10:00:00Z
reference = $1"
}
# a model calibrated against the source in use gives the baseline
calibrated_conf rapl:package+dram
basis=$(text power.system.idle_basis)
check_eq "$basis" "baseline 33 W: the calibrated model (against rapl:package+dram)" "the calibrated model's idle: $basis"
reason=$(text power.source.reason model)
check_match "$reason" 'calibrated 2026-11-21T10:00:00Z against rapl:package\+dram' "the model says it is calibrated: $reason"
# calibrated against a meter, it is another scale: not used for RAPL
calibrated_conf meter
basis=$(text power.system.idle_basis)
check_match "$basis" '^utilisation until the baseline is known' "a model calibrated against another source is not used: $basis"
check_file_has "$WORK/log/power.log" 'power\.conf changed: \[model\] and \[attribution\] idle re-read' "the log says power.conf was re-read"
pmcd_stop
sanitizer_check
finish
