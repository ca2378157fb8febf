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
check_eq "$(ls "$WORK"/tty-* | wc -l)" 9 "nine emulated meters on ptys"

{
    for m in $METERS; do
        printf '[meter %s]\ndevice = %s\n' "$m" "$WORK/tty-$m"
        [ "$m" = rs232 ] && printf 'baud = 9600\n'
    done
} > "$CONF"
mkdir -p "$ROOT/proc"
cp /proc/stat "$ROOT/proc/stat"
pmcd_start -r "$ROOT" -c "$CONF" || { not_ok "private pmcd with the agent started"; finish; exit 1; }

# has_records LABEL N: the meter's N-th record is in; records_from waits (60 s) for it
has_records() { [ "$(value power.meter.samples "$1")" -ge "$2" ] 2>/dev/null; }
records_from() { wait_until 60 has_records "$@"; }

for m in strict erase banner nul ctrl rs232 vanish; do records_from $m 4; done
pminfo $PMH -f power.meter.samples power.meter.errors power.meter.connected | sed 's/^/# /'

# strict firmware: no empty argument, nothing refused
log=$WORK/emu-strict.log
near "$(value power.meter.power strict)" 21 1e-9 "strict: records flow: 21 W" "$(cat "$log")"
check_file_has "$log" 'got #L,W,3,E,1,1;' "strict: logging asked for as #L,W,3,E,1,1;" "$(grep -E "got|answered" "$log")"
check_file_lacks "$log" 'answered #v' "strict: no command refused"
check_no_match "$(grep -h "got #" "$WORK"/emu-*.log)" ',,|,;' "no command with an empty argument to any meter"

# erasing memory: each command after the reply to the one before
log=$WORK/emu-erase.log
near "$(value power.meter.power erase)" 22 1e-9 "erase: records flow after #C,W erased the memory: 22 W" "$(cat "$log")"
check_file_lacks "$log" 'dropped' "erase: nothing sent while the meter was erasing"
check_eq "$(value power.meter.errors erase)" 0 "erase: no errors"

# outside and inside packets: not errors
near "$(value power.meter.power nul)" 24 1e-9 "nul: records between NULs: 24 W"
check_eq "$(value power.meter.errors nul)" 0 "nul: NULs between records are no errors" \
    "$(grep "meter nul" "$WORK/log/power.log")"
near "$(value power.meter.power ctrl)" 25.5 1e-9 "ctrl: CR, LF and tab inside records are ignored: 25.5 W" \
    "$(grep "meter ctrl" "$WORK/log/power.log")"
check_eq "$(value power.meter.errors ctrl)" 0 "ctrl: no errors"

# the old RS-232 meter: no header, 16 fields, 9600 baud
log=$WORK/emu-rs232.log
near "$(value power.meter.power rs232)" 26 1e-9 "rs232: no header, 16-field records read: 26 W" "$(cat "$log")"
near "$(value power.meter.voltage rs232)" 230.2 1e-9 "rs232: voltage 230.2 V from the documented layout"
check_eq "$(value power.meter.connected rs232)" 1 "rs232: connected"
check_eq "$(value power.meter.errors rs232)" 0 "rs232: no errors"
check_file_lacks "$log" 'garbled' "rs232: at 9600 baud nothing is garbled"
check_file_has "$WORK/log/power.log" 'meter rs232: connected on .* 9600 baud, 16 fields \(documented layout: no header\)' \
    "rs232: the log says the layout came from the document" "$(grep "meter rs232" "$WORK/log/power.log")"

# the forms of the logging request
log=$WORK/emu-dash.log
records_from dash 3
near "$(value power.meter.power dash)" 27 1e-9 "dash: records once asked with #L,W,3,E,-,1;: 27 W" "$(cat "$log")"
check_eq "$(grep -o "got #L,W,3,E,[^;]*;" "$log" | head -3 | tr "\n" " ")" "got #L,W,3,E,1,1; got #L,W,3,E,0,1; got #L,W,3,E,-,1; " \
    "dash: the forms asked in turn: E,1 then E,0 then E,-"
check_file_lacks "$WORK/log/power.log" 'meter dash: stalled' "dash: not reported stalled while forms were being tried"
# unplugged and back: the form that worked comes first
kill -HUP "$EMU_dash"
wait_until 30 value_is 0 power.meter.connected dash
n_dash=$(value power.meter.samples dash)
kill -USR2 "$EMU_dash"
records_from dash $((n_dash + 2))
check_eq "$(grep -o "got #L,W,3,E,[^;]*;" "$log" | sed -n 4p)" "got #L,W,3,E,-,1;" \
    "dash: after a reconnection the form that worked is asked first" "$(grep -E "got #L|plug" "$log")"
check_num "$(value power.meter.samples dash)" '>=' $((n_dash + 2)) "dash: and records flow again"

# wrong baud: garbage both ways, then a hint that names the rates
wrongbaud_told() { value power.source.reason meter | grep -q "wrongbaud: no answer"; }
wait_until 60 wrongbaud_told
reason=$(value power.source.reason meter)
check_match "$reason" 'wrongbaud: no answer from .* at 115200 baud' "wrongbaud: power.source.reason says no answer"
check_match "$reason" '9600' "wrongbaud: the reason names 9600"
check_match "$reason" '19200' "wrongbaud: the reason names 19200"
check_eq "$(value power.meter.connected wrongbaud)" 0 "wrongbaud: not connected"
check_num "$(value power.meter.errors wrongbaud)" '>=' 1 "wrongbaud: the failure counted"

# a power cycle: the banner is no error, and the paced kick restarts an erasing meter
kill -PWR "$EMU_banner" "$EMU_erase"
asked_again() { [ "$(grep -c "got #L,W,3,E," "$WORK/emu-$1.log")" -ge 2 ]; }
both_asked_again() { asked_again banner && asked_again erase; }
wait_until 60 both_asked_again
n_banner=$(value power.meter.samples banner) n_erase=$(value power.meter.samples erase)
records_from banner $((n_banner + 3)); records_from erase $((n_erase + 3))
check_num "$(value power.meter.samples banner)" '>=' $((n_banner + 3)) "banner: records again after a power cycle"
check_eq "$(value power.meter.errors banner)" 0 "banner: its announcement no error" \
    "$(grep "meter banner" "$WORK/log/power.log")"
check_file_has "$WORK/emu-banner.log" 'power cycled' "banner: the meter printed its banner mid-connection"
check_num "$(value power.meter.samples erase)" '>=' $((n_erase + 3)) \
    "erase: asked to log again after a power cycle: records again" "$(grep -E "got|dropp|eras|power" "$WORK/emu-erase.log")"
check_file_lacks "$WORK/emu-erase.log" 'dropped' "erase: one command at a time after the power cycle"

# the meter vanishes in the middle of a record
records_from vanish 6
kill -HUP "$EMU_vanish"
wait_until 30 value_is 0 power.meter.connected vanish
vanished() { grep -q "vanished mid-record" "$WORK/emu-vanish.log"; }
wait_until 30 vanished
sent=$(sed -n 's/.*vanished mid-record after \([0-9]*\) whole records.*/\1/p' "$WORK/emu-vanish.log")
grep "vanished" "$WORK/emu-vanish.log" | sed 's/^/# /'
check_eq "$(value power.meter.connected vanish)" 0 "vanish: connected 0 once the line hung up"
check_nonempty "$sent" "vanish: the emulator tells the whole records it sent"
check_eq "$(value power.meter.samples vanish)" "$sent" "vanish: every whole record counted, the half one not"
check_eq "$(value power.meter.errors vanish)" 1 "vanish: the loss counted once"
check_empty "$(value power.meter.energy vanish)" "vanish: no energy value while it is gone"
check_empty "$(value power.meter.power vanish)" "vanish: no power value while it is gone"
wait_samples 3
kill -USR2 "$EMU_vanish"
wait_until 60 value_is 1 power.meter.connected vanish
check_eq "$(value power.meter.connected vanish)" 1 "vanish: reconnected when it came back" \
    "$(grep "meter vanish" "$WORK/log/power.log")"
records_from vanish $((sent + 6))
# records and energy from one fetch (one agent sample)
read -r n1 e1 <<<"$(values 'power.meter.samples[vanish]' 'power.meter.energy[vanish]')"
echo "# vanish: $n1 records, $e1 J"
# each record is 50 W over the second it covers (late records make up for
# it in the next), and the counter is published 1.25 s back: it is between
# 50 J x (records - 3) and 50 J x (records + 1). The outage (3 s and more)
# counted would put it above, the half record too.
check_between "$e1" "$((50 * (n1 - 3)))" "$((50 * (n1 + 1)))" \
    "vanish: energy goes on with no jump: 50 J per whole record, nothing for the outage or the half record" \
    "$n1 records"
check_eq "$(value power.meter.errors vanish)" 1 "vanish: still one error after reconnecting (the half record is not a cut-record error)"

pminfo $PMH -f power.meter.samples power.meter.errors power.meter.power power.source.reason | sed 's/^/# /'
pmcd_stop
stop_emus
grep "meter" "$WORK/log/power.log" | sed 's/^/# /'
sanitizer_check
finish
