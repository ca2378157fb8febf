#!/usr/bin/env bash
# WattsUp meters through a private pmcd, against emulated meters on
# pseudo-terminals (build/tests/wattsup_emu): the start-up handshake, steady
# records and their energy, garbage counted in errors, records split across
# reads, 16-field firmware, the sum as power.system, a stalled meter, and a
# meter unplugged and plugged back on a new pty.
#
# libserialport 0.1.1 refuses a pty, so the agent (only the agent, not
# pmcd) runs with the sp_pty_shim LD_PRELOADed, libasan first.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/wattsup.sh"

ROOT=$WORK/root
CONF=$WORK/power.conf
wattsup_setup || { finish; exit 1; }

start_emu steady  -w 100   -v 120.0 -a 0.833 -p 100
start_emu split   -w 55.5  -m split
start_emu garbage -w 20    -m garbage
start_emu fw16    -w 30    -v 230.2 -a 0.131 -p 99 -m fw16
start_emu unplug  -w 40
start_emu stall   -w 10
wait_emus 6
check_eq "$(ls "$WORK"/tty-* | wc -l)" 6 "six emulated meters on ptys"

{
    echo "# the [meter NAME] sections, in instance order"
    for m in steady split garbage fw16 unplug stall; do
        printf '[meter %s]\ndevice = %s\n' "$m" "$WORK/tty-$m"
    done
    printf '[meter spare]\ndevice = /dev/ttyUSB7\nbaud = 19200\nenabled = no\n'
} > "$CONF"
mkdir -p "$ROOT/proc"
cp /proc/stat "$ROOT/proc/stat"

pmcd_start -r "$ROOT" -c "$CONF" || { not_ok "private pmcd with the agent started"; finish; exit 1; }

# all_connected: every enabled meter answered the handshake
all_connected() {
    [ "$(pminfo $PMH -f power.meter.connected | grep -c 'value 1$')" -eq 6 ]
}
wait_until 30 all_connected
out=$(pminfo $PMH -f power.meter.connected)
check_cmd "every meter connected after the handshake" "$out" -- all_connected
check_match "$out" 'inst \[0 or "steady"\] value 1' "instance 0 is the first section"
check_match "$out" 'inst \[5 or "stall"\] value 1' "instance 5 is the sixth"
check_match "$out" 'inst \[6 or "spare"\] value 0' "a disabled meter keeps its instance, not connected"

log=$WORK/emu-steady.log
check_file_has "$log" 'got #L,R,0;' "handshake: logging stopped"
check_file_has "$log" 'got #H,R,0;' "handshake: header asked for"
check_file_has "$log" 'got #C,W,18,1,1,1,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0;' "handshake: W, V, A and PF chosen of 18 fields"
check_file_has "$log" 'got #L,W,3,E,1,1;' "handshake: external logging every 1 s, no empty argument"
check_file_has "$WORK/emu-fw16.log" 'got #C,W,16,1,1,1,0,0,0,0,0,0,0,0,0,0,1,0,0;' \
    "16-field firmware: fields chosen of 16, as its header says" "$(cat "$WORK/emu-fw16.log")"
check_no_match "$(cat "$WORK"/emu-*.log)" 'wrong field count' "no meter told a wrong field count"

# records flowing: wait for 8 from each (the garbage meter's junk comes before 2, 4 and 6)
few_records() { pminfo $PMH -f power.meter.samples | awk '/inst \[[0-5] / { if ($NF < 8) n++ } END { print n + 0 }'; }
no_meter_short() { [ "$(few_records)" -eq 0 ]; }
wait_until 60 no_meter_short
pminfo $PMH -f power.meter.samples power.meter.errors | sed 's/^/# /'
check_eq "$(few_records)" 0 "8 records from every meter" "$(pminfo $PMH -f power.meter.samples)"
near "$(value power.meter.power steady)" 100 1e-9 "steady: power 100 W"
near "$(value power.meter.voltage steady)" 120 1e-9 "steady: voltage 120 V"
near "$(value power.meter.current steady)" 0.833 1e-9 "steady: current 0.833 A"
near "$(value power.meter.power_factor steady)" 1 1e-9 "steady: power factor 1"
check_eq "$(value power.meter.errors steady)" 0 "steady: no errors"
near "$(value power.meter.power split)" 55.5 1e-9 "split: records in three pieces read whole: 55.5 W"
check_eq "$(value power.meter.errors split)" 0 "split: no errors"
near "$(value power.meter.power garbage)" 20 1e-9 "garbage: power unharmed: 20 W"
check_eq "$(value power.meter.errors garbage)" 3 "garbage: a garbage run, a cut record and a malformed one are 3 errors"
near "$(value power.meter.power fw16)" 30 1e-9 "fw16: 16-field firmware: 30 W"
near "$(value power.meter.voltage fw16)" 230.2 1e-9 "fw16: voltage 230.2 V"
near "$(value power.meter.power_factor fw16)" 0.99 1e-9 "fw16: power factor 0.99"
check_eq "$(value power.meter.errors fw16)" 0 "fw16: no errors"
check_file_has "$WORK/log/power.log" 'garbage: line noise outside any record' "the first bad input is logged" \
    "$(grep garbage "$WORK/log/power.log")"
check_eq "$(grep -c "meter garbage: .*skipped" "$WORK/log/power.log")" 1 \
    "and only the first, per connection" "$(grep "meter garbage" "$WORK/log/power.log")"

# energy: a snapshot is (agent samples, energy, model energy, records) from
# one fetch, so from one agent sample. The model integrates a constant
# power (the frozen /proc/stat: idle) over the agent's own sample times, so
# it is the clock: the meter's watts are its joules per model joule times
# the model's watts, however late the ticks.
snap() { values power.control.samples "power.meter.energy[$1]" power.model.energy "power.meter.samples[$1]"; }
read -r s1 e1 m1 _ <<<"$(snap steady)"
wait_samples 6
read -r s2 e2 m2 _ <<<"$(snap steady)"
model_w=$(value power.model.power)
watts=$(awk -v a="$e1" -v b="$e2" -v m1="$m1" -v m2="$m2" -v w="$model_w" 'BEGIN { if (m2 > m1) printf "%.6f", (b - a) / (m2 - m1) * w }')
echo "# steady: ticks $s1 -> $s2, $e1 -> $e2 J; model $m1 -> $m2 J at $model_w W"
near "$watts" 100 0.01 "steady: energy within 1% of 100 W x the agent's sample time"
check_num "$(value power.meter.samples steady)" '>=' 12 "steady: a record a second"

wait_samples 2
check_eq "$(value power.system.source)" meter "every meter live: power.system comes from the meters"
near "$(value power.meter.total.power)" 255.5 1e-9 "total power is the sum of the six: 255.5 W"
check_nonempty "$(value power.meter.total.energy)" "total energy has a value"
# the meters' counters are read between records, so the host's power is
# steady tick after tick, not 0 / 2x as records fall either side of a tick
worst=0 seen=""
for _ in $(seq 6); do
    wait_samples 1
    p=$(value power.system.power)
    seen="$seen $p"
    worst=$(awk -v p="$p" -v w="$worst" 'BEGIN { d = (p - 255.5) / 255.5; if (d < 0) d = -d; print (p == "" ? 1 : (d > w ? d : w)) }')
done
check_num "$worst" '<' 0.01 "power.system.power is the meters' sum at every tick, within 1%" "$seen"
check_eq "$(value power.source.state meter)" active "source meter active" "$(pminfo $PMH -f power.source.state)"

# a stalled meter: silent but still connected
kill -USR1 "$EMU_stall"
wait_until 30 value_is "" power.meter.power stall
check_empty "$(value power.meter.power stall)" "stalled: power has no value"
check_empty "$(value power.meter.energy stall)" "stalled: energy has no value"
check_eq "$(value power.meter.connected stall)" 1 "stalled: still connected"
check_match "$(value power.source.reason meter)" 'stall: stalled: no record for' "stalled: power.source.reason says so"
check_empty "$(value power.meter.total.power)" "stalled: no total while a meter is stalled"
wait_samples 2
check_ne "$(value power.system.source)" meter "stalled: power.system falls through to the next source"
near "$(value power.meter.power steady)" 100 1e-9 "stalled: the other meters go on"
wait_samples 3
kill -USR2 "$EMU_stall"
wait_until 30 has_value power.meter.power stall
near "$(value power.meter.power stall)" 10 1e-9 "stall over: power 10 W again"
check_eq "$(grep -c "meter stall: stalled" "$WORK/log/power.log")" 1 "the stall was logged once" \
    "$(grep "meter stall" "$WORK/log/power.log")"

# unplugged: the device vanishes, then comes back on a new pty; meanwhile
# the fw16 meter loses mains power and comes back with logging off
read -r _ e_before _ <<<"$(snap unplug)"
kill -PWR "$EMU_fw16"
kill -HUP "$EMU_unplug"
wait_until 30 value_is 0 power.meter.connected unplug
check_eq "$(value power.meter.connected unplug)" 0 "unplugged: connected 0"
check_empty "$(value power.meter.power unplug)" "unplugged: power has no value"
wait_samples 2
check_match "$(value power.source.reason meter)" 'unplug: ' "unplugged: power.source.reason names it"
check_ne "$(value power.system.source)" meter "unplugged: power.system falls through"
check_num "$(value power.meter.errors unplug)" '>=' 1 "unplugged: the lost connection is counted"
# an outage of 4 more of the agent's samples (a second each)
wait_samples 4
kill -USR2 "$EMU_unplug"
replugged() { value_is 1 power.meter.connected unplug && has_value power.meter.power unplug; }
wait_until 60 replugged
check_eq "$(value power.meter.connected unplug)" 1 "replugged: connected 1 again"
near "$(value power.meter.power unplug)" 40 1e-9 "replugged: power 40 W"
check_num "$(grep -c "got #H,R,0;" "$WORK/emu-unplug.log")" '>=' 2 "replugged: the handshake was redone" \
    "$(cat "$WORK/emu-unplug.log")"
# every record is 40 W over the second it covers, the first of a connection
# too, and the counter is published 1.25 s back: between 40 J x (records -
# 3) and 40 J x (records + 1), from one fetch. The outage (4 s and more)
# counted would put it above.
read -r _ e_after _ n_after <<<"$(snap unplug)"
echo "# unplug: $e_before J before, $e_after J after $n_after records"
check_num "$e_after" '>=' "$e_before" "replugged: energy went on from where it was"
check_between "$e_after" "$((40 * (n_after - 3)))" "$((40 * (n_after + 1)))" \
    "replugged: 40 J per record, nothing for the outage" "$n_after records"
wait_until 30 has_value power.meter.power fw16
near "$(value power.meter.power fw16)" 30 1e-9 "power cycled: a silent meter is asked to log again" \
    "$(grep "fw16" "$WORK/log/power.log")"
check_eq "$(grep -c "got #L,W,3,E," "$WORK/emu-fw16.log")" 2 "power cycled: logging restarted once" \
    "$(cat "$WORK/emu-fw16.log")"
check_file_has "$WORK/log/power.log" 'meter fw16: silent for' "power cycled: and logged"
check_eq "$(value power.meter.errors fw16)" 0 "power cycled: the port stayed open, no errors"
check_eq "$(value power.meter.connected fw16)" 1 "power cycled: still connected"
wait_until 30 value_is meter power.system.source
check_eq "$(value power.system.source)" meter "all back: power.system from the meters again"

# metadata
check_eq "$(pminfo $PMH -T power.meter | grep -c "^Help:")" 10 "every meter metric has help"
check_match "$(pminfo $PMH -l power.meter.energy)" '"units":"joules"' "energy carries units=joules"
check_match "$(pminfo $PMH -l power.meter.total.power)" '"units":"watts"' "total power carries units=watts"
check_match "$(pminfo $PMH -d power.meter.energy)" 'Semantics: counter' "energy is a counter"
check_match "$(chkhelp -n "$TOP/pmda/root" -i -H "$BUILD/help" 2>/dev/null)" '\[meter LABEL\]' "the meter indom has help"
pminfo $PMH -f power.meter power.source.reason | sed 's/^/# /'

pmcd_stop
# a clean close stops each meter's logging before the threads end
logging_stopped() { [ "$(grep -c "got #L,R,0;" "$WORK/emu-steady.log")" -ge 2 ]; }
wait_until 10 logging_stopped
check_num "$(grep -c "got #L,R,0;" "$WORK/emu-steady.log")" '>=' 2 \
    "agent exit: the reader threads stopped the meters' logging" "$(cat "$WORK/emu-steady.log")"
stop_emus
check_file_has "$WORK/log/power.log" 'meter steady: connected on /dev/pts/' "the log names each connection"
grep "meter" "$WORK/log/power.log" | sed 's/^/# /'
sanitizer_check
finish
