#!/usr/bin/env bash
# The history recipe (pmproxy/power-history.conf): loaded with it, an
# archive of the agent's metrics puts power.cgroup.*, power.system.* and the
# rest into the key server but no power.proc.* series; loaded without it,
# the same archive puts power.proc.* there too (what the recipe prevents).
# pmseries --load reads [discover] exclude.metrics as pmproxy's discovery
# does (PCP 6.0.3 src/libpcp_web/src/load.c, load_prepare_excluded_metrics;
# discover.c pmDiscoverInvokeMetricCallBacks). Private pmcd, pmlogger and
# redis-server on loopback ports; never the system ones.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"
trap 'redis_stop_all; pmpower_cleanup' EXIT
command -v redis-server >/dev/null || { not_ok "redis-server is installed (apt-get install redis-server)"; exit 1; }

fake_rapl "$WORK/root" 25
ln -s /proc "$WORK/root/proc"
pmcd_start -r "$WORK/root" -t 0.25 -c "$WORK/power.conf" || { not_ok "private pmcd with the agent starts"; exit 1; }
printf 'log mandatory on 1 sec {\n    power\n}\n' > "$WORK/logger.cfg"
pmlogger_start "$WORK/logger.cfg" 5sec
pmlogger_wait
check_cmd "the archive holds power.proc and power.cgroup" -- pminfo -a "$WORK/arch" power.proc.energy power.cgroup.energy

series() {   # PORT METRIC: the series ids pmseries finds
    pmseries -h 127.0.0.1 -p "$1" "$2" 2>/dev/null
}

# with the recipe: the shipped file, plus where the private key server is
redis_start recipe || { not_ok "a private redis-server starts"; finish; exit 1; }
{ cat "$TOP/pmproxy/power-history.conf"; printf '[redis]\nservers = 127.0.0.1:%s\n' "$RPORT_recipe"; } > "$WORK/recipe.conf"
pmseries -c "$WORK/recipe.conf" -h 127.0.0.1 -p "$RPORT_recipe" --load "$WORK/arch.0" > "$WORK/log/load-recipe.log" 2>&1
check_nonempty "$(series $RPORT_recipe power.system.energy)" "with the recipe: power.system.energy is loaded" \
    "$(tail -3 "$WORK/log/load-recipe.log")"
check_nonempty "$(series $RPORT_recipe power.cgroup.energy)" "with the recipe: power.cgroup.energy is loaded"
check_nonempty "$(series $RPORT_recipe power.cgroup.power)" "with the recipe: power.cgroup.power is loaded"
for m in power.proc.energy power.proc.power power.proc.share power.proc.unattributed.energy; do
    check_empty "$(series $RPORT_recipe $m)" "with the recipe: $m is left out"
done
n=$(redis-cli -p "$RPORT_recipe" dbsize)

# without it (PCP's default exclusions only), the per-process series go in
redis_start plain || { not_ok "a second private redis-server starts"; finish; exit 1; }
printf '[discover]\nexclude.metrics = proc.*,acct.*\n[redis]\nservers = 127.0.0.1:%s\n' "$RPORT_plain" > "$WORK/plain.conf"
pmseries -c "$WORK/plain.conf" -h 127.0.0.1 -p "$RPORT_plain" --load "$WORK/arch.0" > "$WORK/log/load-plain.log" 2>&1
check_nonempty "$(series $RPORT_plain power.proc.energy)" "without it: power.proc.energy goes into the key server"
m=$(redis-cli -p "$RPORT_plain" dbsize)
echo "# key server keys: $n with the recipe, $m without"
check_num "$n" '<' "$m" "the recipe leaves keys out ($n with it, $m without)"
fake_rapl_stop
sanitizer_check
finish
