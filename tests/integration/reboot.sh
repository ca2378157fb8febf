#!/usr/bin/env bash
# A host reboot as the agent sees it: its counters saved, then a new agent on
# another boot (the fake root's proc/sys/kernel/random/boot_id changed while
# it was down). A battery's fuel gauge counts through a reboot: the battery's
# energy adds exactly what energy_now fell by while it discharged. RAPL
# starts again with the kernel: its zone adds nothing, and neither does
# power.system. power.control.gap_time counts the downtime and
# power.control.continued the restart. Then a damaged saved file: logged,
# and every counter starts afresh, none half-continued (pmda/persist.h).
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
make_rapl_tree "$ROOT"
BOOT=$ROOT/proc/sys/kernel/random/boot_id
mkdir -p "$(dirname "$BOOT")"
echo 7d1c9a52-0b1e-4a6f-9d3e-5f2a8c4b0001 > "$BOOT"
PKG=$ROOT/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj
echo 5000000 > "$PKG"
PS=$ROOT/sys/class/power_supply
# discharging at 15 W (power_now): while an agent runs, the counter gains
# 15 W over its own sample clock (power.control.sample_time)
put_file "$PS/BAT0/type" Battery
put_file "$PS/BAT0/status" Discharging
put_file "$PS/BAT0/power_now" 15000000
put_file "$PS/BAT0/energy_now" 40000000
SAVED=$WORK/var/config/pmda/power.counters
snap() {
    values 'power.battery.energy[BAT0]' 'power.rapl.energy[package-0]' power.control.gap_time \
        power.control.continued power.control.start_time power.control.sample_time
}

pmcd_start -r "$ROOT" -t 0.2 || { not_ok "private pmcd with the agent starts"; finish; exit 1; }
wait_samples 5
read -r bat1 rapl1 gap1 cont1 start1 _ <<<"$(snap)"
echo "# first boot: battery $bat1 J, rapl $rapl1 J, gap $gap1 s, continued $cont1"
check_eq "$cont1" 0 "a first start continues nothing"
check_nonempty "$bat1" "the battery has an energy counter" "$(tail -5 "$WORK/log/power.log")"
pmcd_stop
check_file_has "$SAVED" $'\tBAT0$' "the agent saved the battery's counter as it stopped"
saved=$(awk -F'\t' '$2 == "BAT0" { split($1, f, " "); print f[3] }' "$SAVED")
check_file_has "$SAVED" '^boot 7d1c9a52-0b1e-4a6f-9d3e-5f2a8c4b0001$' "with the boot it was on"

# the host is down for ten minutes (the saved times put back by 600 s: a
# battery's level is trusted only over a gap that long, pmda/persist.h):
# the battery gives 0.5 Wh (1800 J); RAPL's counter starts again at boot
awk -F'\t' -v OFS='\t' '/^saved / { split($0, s, " "); printf "saved %.6f\n", s[2] - 600; next }
    /^c / { split($1, f, " "); f[4] = sprintf("%.6f", f[4] - 600); $1 = f[1]; for (i = 2; i <= 10; i++) $1 = $1 " " f[i] }
    { print }' \
    "$SAVED" > "$SAVED.new" && mv "$SAVED.new" "$SAVED"
put_file "$PS/BAT0/energy_now" 39500000
echo 1000000 > "$PKG"
echo 7d1c9a52-0b1e-4a6f-9d3e-5f2a8c4b0002 > "$BOOT"
KEEP_COUNTERS=1 pmcd_start -r "$ROOT" -t 0.2 || { not_ok "the agent starts again"; finish; exit 1; }
wait_samples 5
read -r bat2 rapl2 gap2 cont2 start2 clock2 <<<"$(snap)"
echo "# after the reboot: battery $bat2 J, rapl $rapl2 J, gap $gap2 s, continued $cont2"
check_eq "$cont2" 1 "power.control.continued counts the restart"
check_near "$bat2" "$(awk -v s="$saved" -v c="$clock2" 'BEGIN { printf "%.6f", s + 1800 + 15 * c }')" 1e-5 \
    "the battery's energy is its saved $saved J, the 1800 J energy_now fell by across the reboot, and 15 W over the new agent's clock"
check_eq "$rapl2" "$rapl1" "the RAPL zone, started again by the reboot, goes on from its saved value adding nothing"
check_between "$gap2" 600 "$(awk -v a="$start1" -v b="$start2" 'BEGIN { print b - a + 600 }')" \
    "power.control.gap_time holds the downtime: the ten minutes, less than the starts apart and them"
check_file_has "$WORK/log/power.log" 'counters: continued from .*another boot' "the log says the counters went on from another boot"

# a damaged file (a disk error, a hand edit): refused whole, with the reason
pmcd_stop
sed -i 's/^c \([0-9]*\) [0-9.e+-]*/c \1 garbage/' "$SAVED"
KEEP_COUNTERS=1 pmcd_start -r "$ROOT" -t 0.2 || { not_ok "the agent starts over a damaged file"; finish; exit 1; }
wait_samples 5
read -r bat3 rapl3 gap3 cont3 _ clock3 <<<"$(snap)"
check_file_has "$WORK/log/power.log" 'counters: .*malformed; every counter starts again from its own zero' \
    "a damaged saved file is logged with the reason"
check_eq "$cont3 $gap3" "0 0" "and nothing is continued from it"
check_near "$bat3" "$(awk -v c="$clock3" 'BEGIN { printf "%.6f", 15 * c }')" 1e-5 \
    "the battery's counter starts again from zero (15 W over the agent's clock), not from part of the file"
pmcd_stop
sanitizer_check
finish
