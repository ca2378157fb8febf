#!/usr/bin/env bash
# WattsUp meters as they are in the field, against emulated meters
# (build/tests/wattsup_emu -q QUIRK) built from the protocol document,
# "Serial Data Format $Revision: 4.41" (Communications_Protocol_v442.pdf;
# text copy: WattsUp-Daemon on CPAN, doc/wattsup_spec_v442.txt), section
# numbers as there:
#   strict    no empty arguments (I.4): "#L,W,3,E,,1;" is answered #v and
#             ignored; we send "#L,W,3,E,1,1;" as Mochel's wattsup.c,
#             upower's up-device-wup.c and kwapi's drivers/wattsup.py do
#   erase     #C,W erases the logging memory (II): commands sent meanwhile
#             are dropped, so each command waits for the reply to the last,
#             at connection and when a silent meter is asked to log again
#   banner    the power-on announcement (I.7) is outside any packet: no error
#   nul       NULs between records: outside any packet (I.3), no error
#   ctrl      CR, LF and tab inside a packet are ignored (I.4)
#   rs232     an old 16-field RS-232 meter at 9600 baud that does not answer
#             #H,R,0;: read with the documented 16-field layout
#   dash      firmware that logs only for "#L,W,3,E,-,<interval>;": the
#             other forms are tried before the meter counts as stalled
#   wrongbaud that meter with the agent at 115200: the hint names 9600 and 19200
#   vanish    the meter disappears in the middle of a record (issue 11's
#             fault): the half record is neither a record nor energy, the
#             error counts once, and the meter comes back with its counter
#             going on, no jump, no crash (ASan)
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/wattsup.sh"

ROOT=$WORK/root
CONF=$WORK/power.conf
wattsup_setup || { finish; exit 1; }

METERS="strict erase banner nul ctrl rs232 dash wrongbaud vanish"
start_emu strict    -w 21   -q strict
start_emu erase     -w 22   -q erase
start_emu banner    -w 23   -q banner
start_emu nul       -w 24   -q nul
start_emu ctrl      -w 25.5 -q ctrl
start_emu rs232     -w 26   -v 230.2 -m rs232
start_emu dash      -w 27   -q dashonly
start_emu wrongbaud -w 28   -m rs232
start_emu vanish    -w 50   -q midrecord
wait_emus 9
check '[ "$(ls "$WORK"/tty-* | wc -l)" -eq 9 ]' "nine emulated meters on ptys"

{
    for m in $METERS; do
        printf '[meter %s]\ndevice = %s\n' "$m" "$WORK/tty-$m"
        [ "$m" = rs232 ] && printf 'baud = 9600\n'
    done
} > "$CONF"
mkdir -p "$ROOT/proc"
cp /proc/stat "$ROOT/proc/stat"
pmcd_start -r "$ROOT" -c "$CONF" || { not_ok "private pmcd with the agent started"; finish; exit 1; }

# records_from LABEL N: wait (up to 30 s) until the meter's N-th record is in
records_from() {
    local n
    for _ in $(seq 300); do
        n=$(value power.meter.samples "$1")
        [ "${n:-0}" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# pair LABEL: "records energy" from one agent sample
pair() {
    local a b n e
    for _ in $(seq 20); do
        a=$(value power.control.samples)
        n=$(value power.meter.samples "$1"); e=$(value power.meter.energy "$1")
        b=$(value power.control.samples)
        [ "$a" = "$b" ] && [ -n "$e" ] && { echo "$n $e"; return; }
    done
}

for m in strict erase banner nul ctrl rs232 vanish; do records_from $m 4; done
pminfo $PMH -f power.meter.samples power.meter.errors power.meter.connected | sed 's/^/# /'

# strict firmware: no empty argument, nothing refused
log=$WORK/emu-strict.log
near "$(value power.meter.power strict)" 21 1e-9 "strict: records flow: 21 W" "$(cat "$log")"
check 'grep -q "got #L,W,3,E,1,1;" "$log" && ! grep -q "answered #v" "$log"' \
    "strict: logging asked for as #L,W,3,E,1,1; and no command refused" "$(grep -E "got|answered" "$log")"
check '! grep -h "got #" "$WORK"/emu-*.log | grep -q ",,\|,;"' "no command with an empty argument to any meter"

# erasing memory: each command after the reply to the one before
log=$WORK/emu-erase.log
near "$(value power.meter.power erase)" 22 1e-9 "erase: records flow after #C,W erased the memory: 22 W" "$(cat "$log")"
check '! grep -q "dropped" "$log"' "erase: nothing sent while the meter was erasing" "$(grep -E "got|dropp|eras" "$log")"
check '[ "$(value power.meter.errors erase)" = 0 ]' "erase: no errors"

# outside and inside packets: not errors
near "$(value power.meter.power nul)" 24 1e-9 "nul: records between NULs: 24 W"
check '[ "$(value power.meter.errors nul)" = 0 ]' "nul: NULs between records are no errors" \
    "$(value power.meter.errors nul) errors; $(grep "meter nul" "$WORK/log/power.log")"
near "$(value power.meter.power ctrl)" 25.5 1e-9 "ctrl: CR, LF and tab inside records are ignored: 25.5 W" \
    "$(grep "meter ctrl" "$WORK/log/power.log")"
check '[ "$(value power.meter.errors ctrl)" = 0 ]' "ctrl: no errors" "$(value power.meter.errors ctrl)"

# the old RS-232 meter: no header, 16 fields, 9600 baud
log=$WORK/emu-rs232.log
near "$(value power.meter.power rs232)" 26 1e-9 "rs232: no header, 16-field records read: 26 W" "$(cat "$log")"
near "$(value power.meter.voltage rs232)" 230.2 1e-9 "rs232: voltage 230.2 V from the documented layout"
check '[ "$(value power.meter.connected rs232)" = 1 ] && [ "$(value power.meter.errors rs232)" = 0 ]' \
    "rs232: connected, no errors" "$(value power.meter.errors rs232) errors"
check '! grep -q "garbled" "$log" && grep -q "meter rs232: connected on .* 9600 baud, 16 fields (documented layout: no header)" "$WORK/log/power.log"' \
    "rs232: at 9600 baud, and the log says the layout came from the document" "$(grep "meter rs232" "$WORK/log/power.log")"

# the forms of the logging request
log=$WORK/emu-dash.log
records_from dash 3
near "$(value power.meter.power dash)" 27 1e-9 "dash: records once asked with #L,W,3,E,-,1;: 27 W" "$(cat "$log")"
check '[ "$(grep -o "got #L,W,3,E,[^;]*;" "$log" | head -3 | tr "\n" " ")" = "got #L,W,3,E,1,1; got #L,W,3,E,0,1; got #L,W,3,E,-,1; " ]' \
    "dash: the forms asked in turn: E,1 then E,0 then E,-" "$(grep "got #L" "$log")"
check '! grep -q "meter dash: stalled" "$WORK/log/power.log"' "dash: not reported stalled while forms were being tried" \
    "$(grep "meter dash" "$WORK/log/power.log")"
# unplugged and back: the form that worked comes first
kill -HUP "$EMU_dash"
for _ in $(seq 100); do [ "$(value power.meter.connected dash)" = 0 ] && break; sleep 0.1; done
n_dash=$(value power.meter.samples dash)
kill -USR2 "$EMU_dash"
records_from dash $((n_dash + 2))
check '[ "$(grep -o "got #L,W,3,E,[^;]*;" "$log" | sed -n 4p)" = "got #L,W,3,E,-,1;" ] && [ "$(value power.meter.samples dash)" -ge $((n_dash + 2)) ]' \
    "dash: after a reconnection the form that worked is asked first" "$(grep -E "got #L|plug" "$log")"

# wrong baud: garbage both ways, then a hint that names the rates
for _ in $(seq 300); do
    reason=$(value power.source.reason meter)
    echo "$reason" | grep -q "wrongbaud: no answer" && break
    sleep 0.1
done
check 'echo "$reason" | grep -q "wrongbaud: no answer from .* at 115200 baud" && echo "$reason" | grep -q 9600 && echo "$reason" | grep -q 19200' \
    "wrongbaud: power.source.reason says no answer, and names 9600 and 19200" "$reason"
check '[ "$(value power.meter.connected wrongbaud)" = 0 ] && [ "$(value power.meter.errors wrongbaud)" -ge 1 ]' \
    "wrongbaud: not connected, the failure counted" "$(value power.meter.errors wrongbaud)"

# a power cycle: the banner is no error, and the paced kick restarts an erasing meter
kill -PWR "$EMU_banner" "$EMU_erase"
for _ in $(seq 300); do
    [ "$(grep -c "got #L,W,3,E," "$WORK/emu-banner.log")" -ge 2 ] &&
        [ "$(grep -c "got #L,W,3,E," "$WORK/emu-erase.log")" -ge 2 ] && break
    sleep 0.1
done
n_banner=$(value power.meter.samples banner) n_erase=$(value power.meter.samples erase)
records_from banner $((n_banner + 3)); records_from erase $((n_erase + 3))
check '[ "$(value power.meter.samples banner)" -ge $((n_banner + 3)) ] && [ "$(value power.meter.errors banner)" = 0 ]' \
    "banner: records again after a power cycle, its announcement no error" \
    "$(value power.meter.errors banner) errors; $(grep "meter banner" "$WORK/log/power.log")"
check 'grep -q "power cycled" "$WORK/emu-banner.log"' "banner: the meter printed its banner mid-connection"
check '[ "$(value power.meter.samples erase)" -ge $((n_erase + 3)) ] && ! grep -q dropped "$WORK/emu-erase.log"' \
    "erase: asked to log again after a power cycle, one command at a time: records again" \
    "$(grep -E "got|dropp|eras|power" "$WORK/emu-erase.log")"

# the meter vanishes in the middle of a record
records_from vanish 6
kill -HUP "$EMU_vanish"
for _ in $(seq 100); do [ "$(value power.meter.connected vanish)" = 0 ] && break; sleep 0.1; done
for _ in $(seq 50); do grep -q "vanished mid-record" "$WORK/emu-vanish.log" && break; sleep 0.1; done
sent=$(sed -n 's/.*vanished mid-record after \([0-9]*\) whole records.*/\1/p' "$WORK/emu-vanish.log")
grep "vanished" "$WORK/emu-vanish.log" | sed 's/^/# /'
check '[ "$(value power.meter.connected vanish)" = 0 ]' "vanish: connected 0 once the line hung up"
check '[ -n "$sent" ] && [ "$(value power.meter.samples vanish)" = "$sent" ]' \
    "vanish: every whole record counted, the half one not" "$sent sent, $(value power.meter.samples vanish) counted"
check '[ "$(value power.meter.errors vanish)" = 1 ]' "vanish: the loss counted once" "$(value power.meter.errors vanish)"
check '[ -z "$(value power.meter.energy vanish)" ] && [ -z "$(value power.meter.power vanish)" ]' \
    "vanish: no energy or power value while it is gone"
wait_samples 3
kill -USR2 "$EMU_vanish"
for _ in $(seq 300); do [ "$(value power.meter.connected vanish)" = 1 ] && break; sleep 0.1; done
check '[ "$(value power.meter.connected vanish)" = 1 ]' "vanish: reconnected when it came back" \
    "$(grep "meter vanish" "$WORK/log/power.log")"
records_from vanish $((sent + 6))
read -r n1 e1 <<<"$(pair vanish)"
echo "# vanish: $n1 records, $e1 J"
# each record is 50 W over the second it covers (late records make up for
# it in the next), and the counter is published 1.25 s back: it is between
# 50 J x (records - 3) and 50 J x (records + 1). The outage (3 s and more)
# counted would put it above, the half record too.
check 'awk -v n="$n1" -v e="$e1" "BEGIN { exit !(e <= 50 * (n + 1) && e >= 50 * (n - 3)) }"' \
    "vanish: energy goes on with no jump: 50 J per whole record, nothing for the outage or the half record" \
    "$n1 records, $e1 J"
check '[ "$(value power.meter.errors vanish)" = 1 ]' "vanish: still one error after reconnecting (the half record is not a cut-record error)"

pminfo $PMH -f power.meter.samples power.meter.errors power.meter.power power.source.reason | sed 's/^/# /'
pmcd_stop
stop_emus
sleep 1
grep "meter" "$WORK/log/power.log" | sed 's/^/# /'
sanitizer_check
finish
