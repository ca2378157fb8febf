#!/usr/bin/env bash
# Per-VM energy through a private pmcd: Scaphandre-style energy_uj files
# under a fake root appear, advance, reset, get caught mid-rewrite, vanish
# and come back, while pminfo/pmprobe watch.
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
rate_timeout = 30
EOF
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 2

check '[ "$(value power.source.state vm)" = active ]' "the vm source is active with one VM file" "$(value power.source.state vm): $(value power.source.reason vm)"
check '[ "$(instances power.vm.energy)" = "0:alpha" ]' "the VM is instance 0, named by its libvirt domain" "$(instances power.vm.energy)"
near "$(value power.vm.energy alpha)" 1 1e-12 "energy starts at the file's 1000000 uJ = 1 J"
check 'pminfo $PMH -l power.vm.energy | grep -q "\"units\":\"joules\""' "power.vm.energy carries units=joules"
check 'pminfo $PMH -l power.vm.power | grep -q "\"units\":\"watts\""' "power.vm.power carries units=watts"
check 'pminfo $PMH -d power.vm.energy | grep -q "Semantics: counter"' "power.vm.energy is a counter"
check 'pminfo $PMH -T power.vm.energy | grep -q "Scaphandre"' "help text for power.vm.energy"

# a second VM starts; the first advances by 5 J
put beta 250000
put alpha 6000000
wait_samples 2
check '[ "$(instances power.vm.energy)" = "0:alpha 1:beta" ]' "a VM appearing later is added as instance 1" "$(instances power.vm.energy)"
near "$(value power.vm.energy alpha)" 6 1e-12 "alpha advanced to 6 J"
near "$(value power.vm.energy beta)" 0.25 1e-12 "beta reads 0.25 J"
p=$(value power.vm.power alpha)
check '[ -n "$p" ] && awk -v p="$p" "BEGIN { exit !(p >= 0) }"' "power.vm.power has a value, never negative" "power '$p'"

# the exporter restarts: alpha goes backwards
e0=$(errors)
put alpha 100
wait_samples 2
near "$(value power.vm.energy alpha)" 6 1e-12 "a counter that goes backwards adds nothing"
check '[ "$(value power.vm.resets alpha)" = 1 ]' "and counts one reset" "resets $(value power.vm.resets alpha)"
check '[ "$(errors)" -eq $((e0 + 1)) ]' "the reset is in power.source.errors" "errors $e0 -> $(errors)"
put alpha 2000100
wait_samples 2
near "$(value power.vm.energy alpha)" 8 1e-12 "then continues from the new base: 8 J"

# caught mid-rewrite: empty, then half a number
e0=$(errors)
put beta ""
wait_samples 2
near "$(value power.vm.energy beta)" 0.25 1e-12 "an empty file is not taken as zero"
e1=$(errors)
check '[ "$e1" -gt "$e0" ]' "an empty file is counted in power.source.errors" "errors $e0 -> $e1"
put beta "12a"
wait_samples 2
near "$(value power.vm.energy beta)" 0.25 1e-12 "\"12a\" is not taken as 12 uJ"
check '[ "$(errors)" -gt "$e1" ]' "\"12a\" is counted too" "errors $e1 -> $(errors)"
check '[ "$(value power.vm.resets beta)" = 0 ]' "bad reads are not resets" "resets $(value power.vm.resets beta)"
put beta 3250000
wait_samples 2
near "$(value power.vm.energy beta)" 3.25 1e-12 "the next good read continues the counter: 3.25 J"

# alpha is shut down and its directory removed
rm -rf "$SCAPH/alpha"
wait_samples 2
check '[ "$(instances power.vm.energy)" = "0:alpha 1:beta" ]' "a vanished VM keeps its instance" "$(instances power.vm.energy)"
check '[ "$(pmprobe $PMH power.vm.energy | awk "{print \$2}")" = 1 ]' "but has no value: only beta answers" "$(pmprobe $PMH power.vm.energy)"
check '[ -z "$(value power.vm.energy alpha)" ]' "pminfo -f shows no value for alpha"
check '[ "$(value power.source.state vm)" = active ]' "the source stays active with beta"

# and comes back: the instance and the counter continue
put alpha 9000000
wait_samples 2
check '[ "$(instances power.vm.energy)" = "0:alpha 1:beta" ]' "a returning VM gets its old instance id" "$(instances power.vm.energy)"
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
check '[ "$(echo $held)" = "4 4 4 4 4" ]' "8 J in rewrites 2 s apart read 4 W at every sample in between" "$held"
echo "# example output:"
pminfo $PMH -f power.vm | sed 's/^/# /'
check '[ -z "$(value power.vm.power delta)" ] && [ "$(value power.vm.energy delta)" = 2 ]' \
    "a VM whose latest rewrite is older than rate_timeout: energy but no power" \
    "power '$(value power.vm.power delta)', energy '$(value power.vm.energy delta)'"

check '[ "$(value power.system.source)" != vm ]' "VM energy is never the host's source" "$(value power.system.source)"
pmcd_stop
sanitizer_check
finish
