#!/usr/bin/env bash
# Per-VM energy through a private pmcd. First with [vm] format = microjoules:
# energy_uj files under a fake root appear, advance, reset, get caught
# mid-rewrite, vanish and come back, while pminfo/pmprobe watch. Then with
# the default format, files written as Scaphandre 1.0.x's qemu exporter
# writes them.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$WORK/root
SCAPH=$ROOT/var/lib/libvirt/scaphandre
mkdir -p "$ROOT"

# put VM TEXT [STAMP]: the VM's counter as the exporter writes it (no
# newline), stamped (mtime) with STAMP if given; renamed into place so only
# the deliberate bad contents, with their stamp, are ever read
put() {
    mkdir -p "$SCAPH/$1/intel-rapl:0"
    printf '%s' "$2" > "$SCAPH/$1/intel-rapl:0/energy_uj.new"
    [ -n "${3:-}" ] && touch -d "@$3" "$SCAPH/$1/intel-rapl:0/energy_uj.new"
    mv "$SCAPH/$1/intel-rapl:0/energy_uj.new" "$SCAPH/$1/intel-rapl:0/energy_uj"
}

errors() { value power.source.errors vm; }

put alpha 1000000
cat > "$WORK/power.conf" <<EOF
[vm]
enabled = yes
format = microjoules
rate_timeout = 30
EOF
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 2

check_eq "$(value power.source.state vm)" active "the vm source is active with one VM file" "$(value power.source.reason vm)"
check_eq "$(instances power.vm.energy)" "0:alpha" "the VM is instance 0, named by its libvirt domain"
near "$(value power.vm.energy alpha)" 1 1e-12 "energy starts at the file's 1000000 uJ = 1 J"
check_match "$(pminfo $PMH -l power.vm.energy)" '"units":"joules"' "power.vm.energy carries units=joules"
check_match "$(pminfo $PMH -l power.vm.power)" '"units":"watts"' "power.vm.power carries units=watts"
check_match "$(pminfo $PMH -d power.vm.energy)" 'Semantics: counter' "power.vm.energy is a counter"
check_match "$(pminfo $PMH -T power.vm.energy)" 'Scaphandre' "help text for power.vm.energy"

# a second VM starts; the first advances by 5 J
put beta 250000
put alpha 6000000
wait_samples 2
check_eq "$(instances power.vm.energy)" "0:alpha 1:beta" "a VM appearing later is added as instance 1"
near "$(value power.vm.energy alpha)" 6 1e-12 "alpha advanced to 6 J"
near "$(value power.vm.energy beta)" 0.25 1e-12 "beta reads 0.25 J"
p=$(value power.vm.power alpha)
check_num "$p" '>=' 0 "power.vm.power has a value, never negative"

# alpha's file is made anew (a recreated tmpfs): it goes backwards
e0=$(errors)
put alpha 100
wait_samples 2
near "$(value power.vm.energy alpha)" 6 1e-12 "a counter that goes backwards adds nothing"
check_eq "$(value power.vm.resets alpha)" 1 "and counts one reset"
check_num "$(errors)" = $((e0 + 1)) "the reset is in power.source.errors"
put alpha 2000100
wait_samples 2
near "$(value power.vm.energy alpha)" 8 1e-12 "then continues from the new base: 8 J"

# caught mid-rewrite: empty, then half a number
e0=$(errors)
put beta ""
wait_samples 2
near "$(value power.vm.energy beta)" 0.25 1e-12 "an empty file is not taken as zero"
e1=$(errors)
check_num "$e1" '>' "$e0" "an empty file is counted in power.source.errors"
put beta "12a"
wait_samples 2
near "$(value power.vm.energy beta)" 0.25 1e-12 "\"12a\" is not taken as 12 uJ"
check_num "$(errors)" '>' "$e1" "\"12a\" is counted too"
check_eq "$(value power.vm.resets beta)" 0 "bad reads are not resets"
put beta 3250000
wait_samples 2
near "$(value power.vm.energy beta)" 3.25 1e-12 "the next good read continues the counter: 3.25 J"

# alpha is shut down and its directory removed
rm -rf "$SCAPH/alpha"
wait_samples 2
check_eq "$(instances power.vm.energy)" "0:alpha 1:beta" "a vanished VM keeps its instance"
check_eq "$(pmprobe $PMH power.vm.energy | awk '{ print $2 }')" 1 "but has no value: only beta answers" "$(pmprobe $PMH power.vm.energy)"
check_empty "$(value power.vm.energy alpha)" "pminfo -f shows no value for alpha"
check_eq "$(value power.source.state vm)" active "the source stays active with beta"

# and comes back: the instance and the counter continue
put alpha 9000000
wait_samples 2
check_eq "$(instances power.vm.energy)" "0:alpha 1:beta" "a returning VM gets its old instance id"
near "$(value power.vm.energy alpha)" 8 1e-12 "and continues its counter where it stopped"
put alpha 10000000
wait_samples 2
near "$(value power.vm.energy alpha)" 9 1e-12 "then advances: 9 J"

# the exporter's cadence: rewrites 2 s apart (stamped with touch), the agent
# samples every 0.2 s; power is the gain between rewrites over their stamps,
# held between them. delta's exporter went quiet 38 s ago, longer than
# rate_timeout (30 s): its energy stands, its power has no value.
now=$(( $(date +%s) + 1 ))    # whole seconds (exact rates), rounded up (more margin)
put gamma 0 $((now - 2))
put delta 0 $((now - 40))
wait_samples 2
put gamma 8000000 "$now"
put delta 2000000 $((now - 38))
wait_samples 2
held=
for _ in 1 2 3 4 5; do held="$held $(value power.vm.power gamma)"; wait_samples 2; done
echo "# the five reads ended $(( $(date +%s) - now + 1 )) s after gamma's first rewrite"
check_eq "$(echo $held)" "4 4 4 4 4" "8 J in rewrites 2 s apart read 4 W at every sample in between"
echo "# example output:"
pminfo $PMH -f power.vm | sed 's/^/# /'
check_empty "$(value power.vm.power delta)" "a VM whose latest rewrite is older than rate_timeout: no power"
check_eq "$(value power.vm.energy delta)" 2 "but its energy"

check_ne "$(value power.system.source)" vm "VM energy is never the host's source"
pmcd_stop

# Scaphandre 1.0.x, the default format, as its qemu exporter writes
# (hubblo-org/scaphandre, src/exporters/qemu.rs): every loop, for each qemu
# VM, add_or_create() reads the VM's file, adds uj_to_add = ratio *
# get_records_diff_power_microwatts() / 100 (the VM's share of the host's
# power, in microwatts) and fs::write()s it back (truncate, then write; no
# newline); a missing file is written as 0. Then the loop sleeps 5 s. The
# VMs started without guest= all add into scaphandre//intel-rapl:0. The
# agent must read each rewrite's gain as watts, and its energy as those
# watts times the time since the previous rewrite (the files' mtimes).
ROOT=$WORK/root-1.0
SCAPH=$ROOT/var/lib/libvirt/scaphandre
mkdir -p "$SCAPH"
cat > "$WORK/power.conf" <<EOF
[vm]
enabled = yes
EOF
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started (scaphandre-1.0)"; finish; exit 1; }
wait_samples 2

# add_or_create DIR MICROWATTS: qemu.rs add_or_create(); sets GAIN to what
# it added. Shell builtins only, so that two writes of one loop are, as in
# the exporter, a moment apart.
add_or_create() {
    local f="$1/energy_uj" old
    mkdir -p "$1"
    if [ -e "$f" ]; then
        read -r old < "$f" || true       # no newline: read returns 1 but sets old
        GAIN=$2
        printf '%s' $((old + GAIN)) > "$f"
    else
        GAIN=0
        printf '%s' 0 > "$f"
    fi
}
# "WEB01_STAMP WEB01_GAIN UNNAMED_STAMP UNNAMED_GAIN", one line a loop:
# the stamps of each file's last write
LOOPS=$WORK/loops
# iterate W A B: one loop of the exporter: web01 at W uW, two VMs without guest= at A and B
iterate() {
    local g u
    add_or_create "$SCAPH/web01/intel-rapl:0" "$1"; g=$GAIN
    add_or_create "$SCAPH//intel-rapl:0" "$2"; u=$GAIN
    add_or_create "$SCAPH//intel-rapl:0" "$3"; u=$((u + GAIN))
    echo "$(stat -c %.9Y "$SCAPH/web01/intel-rapl:0/energy_uj") $g $(stat -c %.9Y "$SCAPH//intel-rapl:0/energy_uj") $u" >> "$LOOPS"
}
# expected: web01's joules by the README's rule, from the stamps: a loop's
# gain times the time since the previous loop or, after a gap too long for
# one loop (a loaded test machine), times the latest one-loop interval.
# Then the least and the most the unnamed file's can be: the agent times a
# loop from the first of its two writes that it read, which came after
# web01's write and no later than the second.
expected() {
    awk 'function loop(dt, g, i) { if (dt >= 2.5 && dt <= 7.5) step[i] = dt; return g * step[i] / 1e6 }
         NR > 1 { web += loop($1 - w, $2, 0); lo += loop($1 - u, $4, 1); hi += loop($3 - w, $4, 2) }
         NR == 1 { step[0] = step[1] = step[2] = 5 }
         { w = $1; u = $3 }
         END { printf "%.9f %.9f %.9f\n", web, lo, hi }' "$LOOPS"
}
web=(0 7000000 9000000 4000000 12000000)
un_a=(0 2000000 2500000 1000000 3000000)
un_b=(0 500000 1500000 0 1000000)
powers_ok=yes
for k in 0 1 2 3 4; do
    [ "$k" -gt 0 ] && sleep 5
    iterate "${web[$k]}" "${un_a[$k]}" "${un_b[$k]}"
    wait_samples 2
    [ "$k" -eq 0 ] && continue
    pw=$(value power.vm.power web01) pu=$(value power.vm.power unnamed)
    want_w=$(awk -v g="${web[$k]}" 'BEGIN { print g / 1e6 }')
    want_u=$(awk -v a="${un_a[$k]}" -v b="${un_b[$k]}" 'BEGIN { print (a + b) / 1e6 }')
    echo "# loop $k: web01 $pw W (want $want_w), unnamed $pu W (want $want_u)"
    awk -v p="$pw" -v w="$want_w" -v q="$pu" -v u="$want_u" \
        'BEGIN { exit !(p != "" && q != "" && (p - w)^2 < 1e-18 && (q - u)^2 < 1e-18) }' || powers_ok=no
done
sed 's/^/# written (stamp, gain of web01 and unnamed): /' "$LOOPS"
echo "# expected: web01, unnamed from, to: $(expected)"
# ids come from the saved instance cache: alpha..delta of the first agent kept theirs
ids=$(instances power.vm.energy)
check_eq "$(echo "$ids" | sed "s/[0-9]*://g")" "web01 unnamed" \
    "the default globs find web01 and the VMs without guest= (scaphandre//intel-rapl:0), named unnamed" "$ids"
check_eq "$powers_ok" yes "each rewrite's gain is its power: +7000000 reads 7 W, not 1.4 W"
read -r want lo hi <<< "$(expected)"
near "$(value power.vm.energy web01)" "$want" 1e-6 \
    "web01's energy is each gain / 1e6 W x the time since the previous rewrite (stamps), from 0 J"
got=$(value power.vm.energy unnamed)
check_between "$got" "$(awk -v x="$lo" 'BEGIN { printf "%.9f", x * (1 - 1e-6) }')" "$(awk -v x="$hi" 'BEGIN { printf "%.9f", x * (1 + 1e-6) }')" \
    "the VMs without guest= as well: two writes a loop, one loop's power"
echo "# example output:"
pminfo $PMH -f power.vm | sed 's/^/# /'
pmcd_stop
sanitizer_check

# a restarted agent gives each VM the id it had (pmdaCache, saved across restarts)
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.5 || not_ok "agent restarts"
wait_samples 2
check_eq "$(instances power.vm.energy)" "$ids" "VM instance ids survive an agent restart"
pmcd_stop
finish
