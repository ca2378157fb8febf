#!/usr/bin/env bash
# real-nvml.sh: the agent against a real NVIDIA driver (not part of make check).
# Needs an NVIDIA GPU, its driver, nvidia-smi on the path, and root (as the
# other integration tests, it runs a private pmcd with the sanitized agent).
#   make all build/tests/fake_nvml && sudo tests/gpu/real-nvml.sh
# Checks, for GPU 0 (NVML index 0, nvidia-smi -i 0):
#   1. power.gpu.power within 5% of nvidia-smi --query-gpu=power.draw (the
#      means of 10 readings each, one a second: both sample the same sensor);
#   2. the energy counter against the power: over 30 s under load (gpu-burn
#      when it is on the path, else whatever the GPU does), the growth of
#      power.gpu.energy over the time between its two reads is within 10%
#      of the mean of nvidia-smi's power readings taken each second between.
. "$(dirname "$0")/../lib/common.sh"

command -v nvidia-smi >/dev/null || { echo "# no nvidia-smi: not a machine with an NVIDIA driver"; exit 77; }
nvidia-smi -i 0 --query-gpu=name,uuid,power.draw --format=csv,noheader || { echo "# nvidia-smi found no GPU 0"; exit 77; }

printf '[gpu]\nhwmon = no\n' > "$WORK/power.conf"
pmcd_start -c "$WORK/power.conf" -t 1 || { not_ok "private pmcd with the agent started"; finish; exit 1; }
wait_samples 3
check '[ "$(value power.source.state gpu)" = active ]' "the gpu source is active" "$(value power.source.state gpu): $(value power.source.reason gpu)"
uuid=$(nvidia-smi -i 0 --query-gpu=uuid --format=csv,noheader)
check 'pminfo $PMH -l power.gpu.energy | grep "nvidia0" | grep -q "\"uuid\":\"$uuid\""' "nvidia0 is nvidia-smi's GPU 0 ($uuid)"

smi_power() { nvidia-smi -i 0 --query-gpu=power.draw --format=csv,noheader,nounits; }

agent=0 smi=0
for _ in $(seq 10); do
    agent=$(awk -v a="$agent" -v b="$(value power.gpu.power nvidia0)" 'BEGIN { print a + b }')
    smi=$(awk -v a="$smi" -v b="$(smi_power)" 'BEGIN { print a + b }')
    sleep 1
done
near "$(awk -v a="$agent" 'BEGIN { print a / 10 }')" "$(awk -v s="$smi" 'BEGIN { print s / 10 }')" 0.05 \
    "power.gpu.power within 5% of nvidia-smi's power.draw (10 s means)"

load=
if command -v gpu_burn >/dev/null || command -v gpu-burn >/dev/null; then
    burn=$(command -v gpu_burn || command -v gpu-burn)
    "$burn" 40 >/dev/null 2>&1 &
    load=$!
    sleep 5
fi
e0=$(value power.gpu.energy nvidia0); t0=$(date +%s.%N)
sum=0 n=0
for _ in $(seq 30); do
    sum=$(awk -v a="$sum" -v b="$(smi_power)" 'BEGIN { print a + b }'); n=$((n + 1))
    sleep 1
done
e1=$(value power.gpu.energy nvidia0); t1=$(date +%s.%N)
[ -n "$load" ] && { kill "$load" 2>/dev/null; wait "$load" 2>/dev/null; }
mean=$(awk -v e0="$e0" -v e1="$e1" -v t0="$t0" -v t1="$t1" 'BEGIN { print (e1 - e0) / (t1 - t0) }')
near "$mean" "$(awk -v s="$sum" -v n="$n" 'BEGIN { print s / n }')" 0.10 \
    "power.gpu.energy's rate over 30 s${load:+ of gpu-burn} within 10% of nvidia-smi's mean power"
echo "# energy method: $(pminfo $PMH -l power.gpu.energy | grep nvidia0 | grep -o '"energy_method":"[^"]*"')"
sanitizer_check
finish
