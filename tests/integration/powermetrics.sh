#!/usr/bin/env bash
# Apple silicon powermetrics through a private pmcd, with stand-ins for
# powermetrics: one that writes the real M1/M2 Ultra samples (with a
# truncated and a duplicate-key document between them) and then stays
# silent, one that exits after each document, and one that does not exist.
. "$(dirname "$0")/../lib/common.sh"

FIX=${POWER_FIXTURES:-$TOP/tests/fixtures}/powermetrics
ROOT=$WORK/root
mkdir -p "$ROOT"

# conf COMMAND: a config that runs COMMAND as powermetrics
conf() {
    cat > "$WORK/power.conf" <<EOF
[powermetrics]
enabled = yes
interval = 0.5
command = $1
EOF
}

# 1. three real samples NUL-separated, two bad documents among them, then silence
cat > "$WORK/fake-powermetrics" <<EOF
#!/bin/sh
echo "\$@" > "$WORK/args"
echo \$\$ > "$WORK/child.pid"
cat "$FIX/powermetrics-output-m1.xml"; printf '\\0'; sleep 0.1
head -c 5000 "$FIX/powermetrics-output-m1-2.xml"; printf '\\0'; sleep 0.1
sed 's|<key>cpu_power</key>|<key>cpu_energy</key><integer>7</integer><key>cpu_power</key>|' "$FIX/powermetrics-output-m1.xml"; printf '\\0'
cat "$FIX/powermetrics-output-m1-2.xml"; printf '\\0'; sleep 0.1
cat "$FIX/powermetrics-output-m2ultra.xml"; printf '\\0'
exec sleep 600
EOF
chmod +x "$WORK/fake-powermetrics"
conf "$WORK/fake-powermetrics --samplers cpu_power,gpu_power,ane_power -f plist"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_until 30 value_is 73.646 power.soc.energy combined
check_eq "$(instances power.soc.energy)" "0:cpu 1:gpu 2:ane 3:dram 4:combined" "fixed SoC instances cpu gpu ane dram combined"
check_eq "$(cat "$WORK/args" 2>/dev/null)" "--samplers cpu_power,gpu_power,ane_power -f plist -i 500" "the command runs with -i 500 for interval = 0.5"
# sums of processor.*_energy over the three good samples (m1 + m1-2 + m2ultra), mJ -> J
near "$(value power.soc.energy cpu)" 0.998 1e-12 "cpu energy: 89 + 54 + 855 mJ = 0.998 J"
near "$(value power.soc.energy gpu)" 72.648 1e-12 "gpu energy: 31 + 10 + 72607 mJ = 72.648 J"
near "$(value power.soc.energy ane)" 0 1e-12 "ane energy: 0 J"
near "$(value power.soc.energy combined)" 73.646 1e-12 "combined energy: 73.646 J"
check_empty "$(value power.soc.energy dram)" "no dram value from current macOS samples"
check_num "$(value power.soc.power combined)" '>' 0.05 "power.soc.power has a value"
check_eq "$(value power.source.errors powermetrics)" 2 "the truncated and the duplicate-key documents are counted"
check_eq "$(value power.source.state powermetrics)" active "the source is active while the child delivers"
check_eq "$(value power.system.source)" powermetrics "power.system comes from powermetrics when nothing better exists"
check_match "$(pminfo $PMH -l power.soc.energy)" '"units":"joules"' "power.soc.energy carries units=joules"
check_match "$(pminfo $PMH -l power.soc.power)" '"units":"watts"' "power.soc.power carries units=watts"
check_match "$(pminfo $PMH -T power.soc.energy)" 'powermetrics' "help text for power.soc.energy"
check_eq "$(grep -c "truncated document" "$WORK/log/power.log")" 1 "a truncated document is logged once" \
    "$(grep powermetrics "$WORK/log/power.log")"
check_eq "$(grep -c "duplicate key" "$WORK/log/power.log")" 1 "a duplicate key is logged once"
echo "# example output:"
pminfo $PMH -f power.soc | sed 's/^/# /'
# the child stays silent: after 3 intervals + 2 s the values go
wait_until 30 value_is "" power.soc.energy combined
check_empty "$(value power.soc.energy combined)" "a silent child's readings go stale: no value"
check_eq "$(value power.source.state powermetrics)" failed "and the source fails"
check_match "$(value power.source.reason powermetrics)" 'no sample' "and says why"
child=$(cat "$WORK/child.pid" 2>/dev/null)
pmcd_stop
check_nonempty "$child" "the child wrote its pid"
wait_until 10 exited "$child"
check_cmd "stopping the agent stops the child (pid $child)" -- exited "$child"
sanitizer_check

# 2. a child that exits after each document is started again
cat > "$WORK/one-shot" <<EOF
#!/bin/sh
cat "$FIX/powermetrics-output-m1.xml"; printf '\\0'
EOF
chmod +x "$WORK/one-shot"
conf "$WORK/one-shot"
rm -f "$WORK/log/power.log"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent with a one-shot child"
three_runs() { [ "$(awk -v e="$(value power.soc.energy combined)" 'BEGIN { print (e >= 0.36) }')" = 1 ]; }
wait_until 30 three_runs
e=$(value power.soc.energy combined)
check_num "$e" '>=' 0.36 "the child is restarted: 3 or more runs of 0.120 J"
near "$(awk -v e="$e" 'BEGIN { printf "%.12f", e / 0.120 - int(e / 0.120 + 0.5) }')" 0 1e-9 "the energy is a whole number of documents" "energy '$e'"
check_num "$(value power.source.errors powermetrics)" '>=' 2 "each exit is counted in power.source.errors"
check_eq "$(grep -c "child exited" "$WORK/log/power.log")" 1 "and logged once"
check_eq "$(value power.source.state powermetrics)" active "restarted promptly (1 s after a child that delivered), it stays active"
pmcd_stop
sanitizer_check

# 3. no such command
conf "$WORK/no-such-powermetrics"
rm -f "$WORK/log/power.log"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent with a missing command"
wait_until 30 value_is failed power.source.state powermetrics
check_eq "$(value power.source.state powermetrics)" failed "a missing command fails"
check_match "$(value power.source.reason powermetrics)" 'no-such-powermetrics' "and the reason names it"
check_eq "$(pmprobe $PMH power.soc.energy | awk '{ print $2 }')" 0 "no SoC values" "$(pmprobe $PMH power.soc.energy)"
check_file_has "$WORK/log/power.log" 'cannot start command' "the log says the command cannot start"
pmcd_stop
sanitizer_check

# 4. macOS 12 (and Intel Macs): powermetrics has no ane_power sampler, says
# so on stderr in its own words ("powermetrics: unrecognized sampler: NAME",
# as in tlkh/asitop issue #53) and exits at once; its exit status is not
# known and the agent does not look at it. Without ane_power it writes the
# macOS 12-layout sample (dram_energy, package_energy, no combined_power)
# every 0.2 s. The stand-in is found through PATH, as the default command
# finds the real powermetrics.
mkdir -p "$WORK/bin"
cat > "$WORK/bin/powermetrics" <<EOF
#!/bin/sh
echo "\$*" >> "$WORK/runs"
case "\$*" in
*ane_power*) echo "powermetrics: unrecognized sampler: ane_power" >&2; exit 1 ;;
esac
while :; do cat "$FIX/powermetrics-output-m1-macos12.xml"; printf '\\0'; sleep 0.2; done
EOF
chmod +x "$WORK/bin/powermetrics"
export PATH="$WORK/bin:$PATH"
runs() { tr '\n' '|' < "$WORK/runs" 2>/dev/null; }
# delivered N: at least N documents of 120 mJ (cpu 89 + gpu 31 + ane 0) have arrived
delivered() { awk -v e="$(value power.soc.energy combined)" -v n="$1" 'BEGIN { exit !(e != "" && e >= n * 0.120 - 1e-9) }'; }
# combined and dram, from one fetch, are whole numbers of documents and the
# same number of each
same_documents() {
    pminfo $PMH -f power.soc.energy | awk '
        /"combined"/ { c = $NF } /"dram"/ { d = $NF }
        END { n = c / 0.120; m = d / 0.024; r = n - int(n + 0.5)
              exit !(c != "" && n >= 1 && r < 1e-9 && r > -1e-9 && m - n < 1e-9 && n - m < 1e-9) }'
}

# 4a. the default command (no command in the config)
cat > "$WORK/power.conf" <<EOF
[powermetrics]
enabled = yes
interval = 0.5
EOF
rm -f "$WORK/log/power.log" "$WORK/runs"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent with the default command on macOS 12"
wait_until 30 delivered 2
check_cmd "the default command delivers on macOS 12" "combined '$(value power.soc.energy combined)', runs: $(runs)" -- delivered 2
check_eq "$(runs)" "--samplers cpu_power,gpu_power -f plist -i 500|" "the default asks for cpu_power,gpu_power: one run, no ane_power"
check_cmd "combined is cpu + gpu + ane (0.120 J a sample); dram (0.024 J) and package stay out" \
    "$(pminfo $PMH -f power.soc.energy | tr -s ' \n' ' ')" -- same_documents
check_eq "$(value power.system.source)" powermetrics "power.system comes from powermetrics on macOS 12"
check_eq "$(value power.source.errors powermetrics)" 0 "no errors"
pmcd_stop
sanitizer_check

# 4b. a command with ane_power, as the default was and installed power.conf files still say
conf "powermetrics --samplers cpu_power,gpu_power,ane_power -f plist"
rm -f "$WORK/log/power.log" "$WORK/runs"
pmcd_start -r "$ROOT" -c "$WORK/power.conf" -t 0.2 || not_ok "agent with ane_power in its command on macOS 12"
wait_until 30 delivered 2
check_cmd "a command with ane_power delivers on macOS 12" "combined '$(value power.soc.energy combined)', runs: $(runs)" -- delivered 2
check_eq "$(runs)" "--samplers cpu_power,gpu_power,ane_power -f plist -i 500|--samplers cpu_power,gpu_power -f plist -i 500|" \
    "it runs once with ane_power, then once more without it"
check_eq "$(value power.source.errors powermetrics)" 1 "the retry is counted once"
check_eq "$(grep -c "unknown sampler" "$WORK/log/power.log")" 1 "and logged once, as an unknown sampler" \
    "$(grep -i sampler "$WORK/log/power.log")"
check_file_lacks "$WORK/log/power.log" 'child exited' "not as a child that exited"
check_match "$(grep "unknown sampler" "$WORK/log/power.log")" 'started again at once as "powermetrics --samplers cpu_power,gpu_power -f plist -i 500"' \
    "the log names the command now run"
check_eq "$(value power.source.state powermetrics)" active "the source is active"
check_cmd "combined is still cpu + gpu + ane" "$(pminfo $PMH -f power.soc.energy | tr -s ' \n' ' ')" -- same_documents
echo "# log:"
grep -i "sampler" "$WORK/log/power.log" | sed 's/^/# /'
echo "# example output:"
pminfo $PMH -f power.soc power.source.errors | sed 's/^/# /'
pmcd_stop
sanitizer_check
finish
