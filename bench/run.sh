#!/bin/sh
# bench/run.sh: build and run proc_scan_bench (the attribution refresh cost
# against a naive /proc scan and the seed's pmcd fetch).
#
#   bench/run.sh [N ...]        default N: 1000 10000
#
# The seed's figures need the system pmcd with the proc PMDA; if pmcd is not
# answering it is started with /etc/init.d/pmcd (its config is not touched)
# and left running. Forking 10,000 idle children needs ~1 GB of RAM.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${TMPDIR:-/tmp}/proc_scan_bench.$$
trap 'rm -f "$out"' EXIT

pcp_flags=
if printf '#include <pcp/pmapi.h>\nint main(void){return pmGetConfig("PCP_VAR_DIR")==0;}\n' |
   cc -x c - -lpcp -o "$out" 2>/dev/null; then
    pcp_flags="-DHAVE_PCP -lpcp"
else
    echo "libpcp not found: the seed's pmFetch figure is skipped" >&2
fi

cc -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$top/attribution" -I"$top/procfs" \
   "$here/proc_scan_bench.c" "$top/attribution/attribution.c" "$top/attribution/ptrtable.c" \
   "$top/attribution/idle.c" \
   "$top/procfs/procscan.c" "$top/procfs/procpids.c" "$top/procfs/procentry.c" \
   "$top/procfs/procparse.c" "$top/procfs/cpustat.c" $pcp_flags -lm -o "$out"

if command -v pminfo >/dev/null 2>&1 && ! pminfo -f proc.nprocs >/dev/null 2>&1; then
    if [ -x /etc/init.d/pmcd ]; then
        echo "pmcd is not answering: starting it with /etc/init.d/pmcd start" >&2
        /etc/init.d/pmcd start >/dev/null 2>&1 || true
        sleep 2
    fi
fi

"$out" "$@"
echo; echo "== fetch of power.proc.power through pmcd at 10000 processes =="; "$here/proc_fetch_bench.sh" 10000 2>&1 | grep -v "^starting"
