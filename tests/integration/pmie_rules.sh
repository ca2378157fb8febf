#!/usr/bin/env bash
# The pmieconf rules of the power group (pmieconf/power), each run by a
# real pmie against the private pmcd while the condition it watches is made
# to happen, and not firing before: a host over its power budget (a fake
# RAPL zone's watts raised), a source failed and config errors (a meter
# "device" that is no serial port, a bad power.conf line), an interval
# unsafe for RAPL wraps (a zone wrapping every 4 s, the interval stored to
# 2.5 s), a meter unplugged and then stalled (an emulated WattsUp,
# tests/lib/wattsup.sh) with power.system falling back to the model, and
# RAPL zones removed under the agent (the model again). Every wait counts
# pmie's own evaluations (a heartbeat rule), never the wall clock. The
# rules also pass pmieconf's own reading: `pmieconf list power` shows them
# beside PCP's thermal_throttle once installed (make install DESTDIR=).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/wattsup.sh"
. "$TOP/tests/lib/pmie.sh"
trap 'pmie_stop; stop_emus; advance_stop; pmcd_stop' EXIT

mkdir -p "$WORK/log"
RULES="host_budget source_failed config_errors rapl_wrap_interval meter_lost model_fallback"

# --- installed, they are listed with PCP's power group
DEST=$WORK/dest
DESTDIR=$DEST sh "$TOP/scripts/install-files" install > "$WORK/log/install.log" 2>&1
mkdir -p "$WORK/pmieconf"
cp -r "$PCP_VAR_DIR/config/pmieconf/." "$WORK/pmieconf/"
cp "$DEST$PCP_VAR_DIR"/config/pmieconf/power/* "$WORK/pmieconf/power/"
pmieconf -r "$WORK/pmieconf" -f "$WORK/list.config" list power > "$WORK/list.out" 2>&1
for r in $RULES; do
    check_file_has "$WORK/list.out" "^  rule: power.$r " "pmieconf list power shows power.$r once installed" "$(grep '^  rule:' "$WORK/list.out" | tr '\n' ' ')"
done
if [ -f "$PCP_VAR_DIR/config/pmieconf/power/thermal_throttle" ]; then
    check_file_has "$WORK/list.out" '^  rule: power.thermal_throttle ' "PCP's own power.thermal_throttle is still there"
fi
# pmie accepts the whole group as pmieconf writes it (every rule enabled)
printf 'enable power\nquit\n' | pmieconf -r "$PMIE_RULES" -f "$WORK/all.config" > "$WORK/log/all.log" 2>&1
pmie -C -c "$WORK/all.config" > "$WORK/log/all-check.log" 2>&1
check_num "$?" = 0 "pmie -C accepts every rule of the group" "$(cat "$WORK/log/all-check.log")"

# --- host_budget: the mean power over the delta, from the energy counter
ROOT=$WORK/root
make_rapl_tree "$ROOT"
DEV=$ROOT/sys/devices/virtual/powercap/intel-rapl
PKG=$DEV/intel-rapl:0/energy_uj
echo 25 > "$PKG.watts"
advance_start "$PKG" 25
printf '[system]\npriority = rapl:package+dram, model\n' > "$WORK/power.conf"
pmcd_start -r "$ROOT" -t 0.25 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
pmie_start budget power.host_budget "power.host_budget budget 30" 'power.host_budget delta "2 sec"' || not_ok "pmieconf writes the budget config"
wait_ticks budget 5
check_cmd "host_budget: quiet at 25 W under a 30 W budget" "$(cat "$WORK/pmie-budget.out")" -- ! fired budget 'Host power over its budget'
echo 40 > "$PKG.watts"
wait_fired budget 'Host power over its budget'
check_cmd "host_budget: fires at 40 W over a 30 W budget" "$(tail -5 "$WORK/pmie-budget.out")" -- fired budget 'Host power over its budget'
# the first firing may average 25 W and 40 W; the next is a whole delta at 40 W
wait_fired_times budget 'Host power over its budget' 2
w=$(fired_line budget 'Host power over its budget' | sed -n 's/^\([0-9.]*\)W@.*/\1/p')
near "$w" 40 0.1 "host_budget: reports the mean power over its delta (40 W)"
pmie_stop

# --- rapl_wrap_interval: a zone that wraps every 4 s at 25 W (100 J range)
pmie_start wrap power.rapl_wrap_interval || not_ok "pmieconf writes the wrap config"
wait_ticks wrap 4
check_cmd "rapl_wrap_interval: quiet at a 0.25 s interval" "$(cat "$WORK/pmie-wrap.out")" -- ! fired wrap 'Power sampling interval unsafe'
pmie_stop
pmcd_stop
advance_stop
echo 100000000 > "$DEV/intel-rapl:0/max_energy_range_uj"
echo 0 > "$PKG"
advance_start "$PKG" 25 100000000
pmcd_start -r "$ROOT" -t 0.25 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent restarts"; exit 1; }
pmie_start wrap2 power.rapl_wrap_interval
wait_ticks wrap2 4
check_cmd "rapl_wrap_interval: quiet with a 4 s wrap at a 0.25 s interval" -- ! fired wrap2 'Power sampling interval unsafe'
pmstore $PMH_LOCAL power.control.interval 2.5 > "$WORK/log/pmstore.log" 2>&1
wait_fired wrap2 'Power sampling interval unsafe'
check_cmd "rapl_wrap_interval: fires once the interval is 2.5 s" "$(tail -5 "$WORK/pmie-wrap2.out"; cat "$WORK/log/pmstore.log")" -- fired wrap2 'Power sampling interval unsafe'
check_match "$(fired_line wrap2 'Power sampling interval unsafe')" 'package-0' "rapl_wrap_interval: names the zone"
pmie_stop
pmcd_stop

# --- model_fallback when RAPL zones go away under the agent
echo 262143328850 > "$DEV/intel-rapl:0/max_energy_range_uj"
pmcd_start -r "$ROOT" -t 0.25 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent restarts"; exit 1; }
pmie_start rapl_lost power.model_fallback power.source_failed
wait_ticks rapl_lost 4
check_cmd "model_fallback: quiet while RAPL gives power.system" "$(cat "$WORK/pmie-rapl_lost.out")" -- ! fired rapl_lost 'Host power fell back'
advance_stop
rm -rf "$DEV" "$ROOT"/sys/class/powercap/*
wait_fired rapl_lost 'Host power fell back'
check_cmd "model_fallback: fires when the RAPL zones are gone" "$(tail -5 "$WORK/pmie-rapl_lost.out"; pminfo $PMH -f power.system.source power.source)" -- fired rapl_lost 'Host power fell back'
pmie_stop
pmcd_stop

# --- source_failed and config_errors: a "meter" that is no serial port, a bad key
printf '[system]\npriority = meter, model\ncolour = blue\n[meter desk]\ndevice = %s\n' "$WORK/power.conf" \
    > "$WORK/bad.conf"
pmcd_start -r "$ROOT" -t 0.25 -c "$WORK/bad.conf" || { not_ok "private pmcd with the agent restarts"; exit 1; }
pmie_start bad power.source_failed power.config_errors
wait_fired bad 'Power source failed'
check_cmd "source_failed: fires for a meter device that is not a serial port" "$(tail -5 "$WORK/pmie-bad.out"; pminfo $PMH -f power.source.state)" -- fired bad 'Power source failed'
check_match "$(fired_line bad 'Power source failed')" '^meter@' "source_failed: names the source"
wait_fired bad 'Power agent configuration errors'
check_cmd "config_errors: fires for an unknown key in power.conf" "$(tail -5 "$WORK/pmie-bad.out")" -- fired bad 'Power agent configuration errors'
check_match "$(fired_line bad 'Power agent configuration errors')" '^1@' "config_errors: counts 1 problem"
pmie_stop
pmcd_stop
# and both quiet with a good config (the model alone)
printf '[system]\npriority = model\n' > "$WORK/good.conf"
pmcd_start -r "$ROOT" -t 0.25 -c "$WORK/good.conf" || { not_ok "private pmcd with the agent restarts"; exit 1; }
pmie_start good power.source_failed power.config_errors power.model_fallback
wait_ticks good 4
check_file_lacks "$WORK/pmie-good.out" '^FIRED' "source_failed, config_errors, model_fallback: quiet on a host with the model alone"
pmie_stop
pmcd_stop

# --- meter_lost and model_fallback: an emulated WattsUp unplugged, then stalled
wattsup_setup || { finish; exit 1; }
start_emu desk -w 100
wait_emus 1
printf '[system]\npriority = meter, model\n[meter desk]\ndevice = %s\n' "$WORK/tty-desk" > "$WORK/meter.conf"
pmcd_start -r "$ROOT" -t 0.25 -c "$WORK/meter.conf" || { not_ok "private pmcd with the agent and a meter starts"; exit 1; }
for _ in $(seq 100); do [ "$(value power.system.source)" = meter ] && break; sleep 0.1; done
check_eq "$(value power.system.source)" meter "the meter gives power.system"
# meter_records_flow: three more records than now, so pmie starts on a meter
# logging steadily, not on the handshake before its first records (seen on a
# loaded root: one 3 s interval right after the replug with no record)
meter_records_flow() {
    local start now
    start=$(value power.meter.samples desk)
    for _ in $(seq 200); do
        now=$(value power.meter.samples desk)
        [ -n "$start" ] && [ -n "$now" ] && [ "$now" -ge $((start + 3)) ] && return 0
        [ -z "$start" ] && start=$now
        sleep 0.1
    done
    return 1
}
check_cmd "the meter logs records" -- meter_records_flow
# meter_lost every 5 s, judged quiet over 12 ticks (two judgements): with
# 3 s, a loaded root twice saw an interval with no record while the meter
# logged each second, once the meter was back after the replug
meter_rules=(power.meter_lost 'power.meter_lost delta "5 sec"' power.model_fallback power.source_failed)
pmie_start meter "${meter_rules[@]}"
wait_ticks meter 12
check_file_lacks "$WORK/pmie-meter.out" '^FIRED' "meter_lost, model_fallback: quiet while the meter logs"
kill -HUP "$EMU_desk"
wait_fired meter 'Power meter disconnected or stalled'
check_cmd "meter_lost: fires when the meter is unplugged" "$(tail -5 "$WORK/pmie-meter.out"; pminfo $PMH -f power.meter.connected power.meter.samples)" -- fired meter 'Power meter disconnected or stalled'
check_match "$(fired_line meter 'Power meter disconnected or stalled')" '^desk@' "meter_lost: names the meter"
wait_fired meter 'Host power fell back'
check_cmd "model_fallback: fires when the unplugged meter's power.system goes to the model" "$(tail -5 "$WORK/pmie-meter.out"; pminfo $PMH -f power.system.source)" -- fired meter 'Host power fell back'
pmie_stop
# plugged back in, then silent while still connected
kill -USR2 "$EMU_desk"
for _ in $(seq 150); do [ "$(value power.system.source)" = meter ] && break; sleep 0.1; done
check_eq "$(value power.system.source)" meter "the meter is back after the replug"
check_cmd "and logs records again" -- meter_records_flow
pmie_start stall "${meter_rules[@]}"
wait_ticks stall 12
check_file_lacks "$WORK/pmie-stall.out" '^FIRED' "meter_lost: quiet again once the meter logs again"
kill -USR1 "$EMU_desk"
wait_fired stall 'Power meter disconnected or stalled'
check_cmd "meter_lost: fires when the meter stalls, still connected" "$(tail -5 "$WORK/pmie-stall.out"; pminfo $PMH -f power.meter.connected)" -- fired stall 'Power meter disconnected or stalled'
check_eq "$(value power.meter.connected desk)" 1 "the stalled meter is still connected"
wait_fired stall 'Power source failed'
check_cmd "source_failed: fires for the stalled meter" "$(tail -5 "$WORK/pmie-stall.out"; pminfo $PMH -f power.source.state)" -- fired stall 'Power source failed'
wait_fired stall 'Host power fell back'
check_cmd "model_fallback: fires for the stalled meter" -- fired stall 'Host power fell back'
pmie_stop
stop_emus
sanitizer_check
finish
