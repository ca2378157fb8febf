#!/usr/bin/python3
"""
day_archive.py OUT [HOURS] [RESTART_AT_S]: a day of the power agent's
metrics as pmlogger logs them every second, written with PCP's LOGIMPORT
API (python3-pcp's pmi, libpcp_import(3)), and the same records as
OUT.csv for the seed's pandas workflow (seed_window.py).

Logging a real day through a private pmcd takes a day: this writes what
that would hold. Two wall meters feed power.system (their sum), a RAPL
package and DRAM zone and the utilisation model are logged beside them,
with power.control (the agent's interval, samples, start_time: its first
sample's wall time, and sample_time: the seconds since). The agent
samples every second, pmlogger fetches 0.37 s
after each sample, so every record holds the sample taken 0.37 s before
it. At RESTART_AT_S (default 14 h in) the agent is killed and pmcd starts
it again 13 s later (as seen in tests/integration/agent_restart.sh): no
power values for 13 s, then a new start_time, samples from 1, the meters,
model and system counters from 0, RAPL's on from the hardware counter.

The names, PMIDs, types and semantics are the agent's (pmda/pmns,
pmda/domain.h, pmda/family_*.c); Python is Debian's (/usr/bin/python3,
which has python3-pcp).
"""
import math
import random
import sys

from pcp import pmi
import cpmapi as c_api

DOMAIN = 390                      # pmda/domain.h PCPPOWER
INDOM_RAPL, INDOM_METER = 1, 5    # pmda/family_rapl.c, family_meter.c
T0 = 1796083200                   # 2026-12-01 00:00:00 UTC
LAG = 0.37                        # pmlogger's fetch after the agent's sample
GAP = 13                          # seconds without the agent at the restart

D, C, I, S = c_api.PM_TYPE_DOUBLE, c_api.PM_SEM_COUNTER, c_api.PM_SEM_INSTANT, c_api.PM_TYPE_STRING
METRICS = [
    # name, cluster, item, type, indom serial (None: singular), semantics
    ("power.system.energy", 0, 0, D, None, C),
    ("power.system.power", 0, 1, D, None, I),
    ("power.system.source", 0, 2, S, None, c_api.PM_SEM_DISCRETE),
    ("power.rapl.energy", 1, 0, D, INDOM_RAPL, C),
    ("power.rapl.power", 1, 1, D, INDOM_RAPL, I),
    ("power.model.energy", 2, 0, D, None, C),
    ("power.model.power", 2, 1, D, None, I),
    ("power.model.utilization", 2, 2, D, None, I),
    ("power.control.interval", 3, 0, D, None, c_api.PM_SEM_DISCRETE),
    ("power.control.samples", 3, 3, c_api.PM_TYPE_U64, None, C),
    ("power.control.sample_time", 3, 8, D, None, C),
    ("power.control.start_time", 3, 9, D, None, c_api.PM_SEM_DISCRETE),
    ("power.meter.energy", 8, 0, D, INDOM_METER, C),
    ("power.meter.power", 8, 1, D, INDOM_METER, I),
    ("power.meter.voltage", 8, 2, D, INDOM_METER, I),
    ("power.meter.current", 8, 3, D, INDOM_METER, I),
    ("power.meter.total.energy", 9, 0, D, None, C),
    ("power.meter.total.power", 9, 1, D, None, I),
]
ZONES = [(0, "package-0"), (1, "package-0/dram")]
METERS = [(0, "rack-a"), (1, "rack-b")]
CSV_COLUMNS = ["time", "sample_time", "start_time", "system_energy", "system_power",
               "meter_rack_a_energy", "meter_rack_b_energy", "meter_total_energy",
               "rapl_package_energy", "rapl_dram_energy", "model_energy"]


def watts(k, rng):
    """The two meters' power over the agent's interval k: a daily cycle, load bursts, noise."""
    day = 0.5 - 0.5 * math.cos(2 * math.pi * k / 86400)
    burst = 120.0 if (k // 600) % 7 == 3 else 0.0
    return (90 + 60 * day + burst + rng.gauss(0, 4), 70 + 40 * day + 0.5 * burst + rng.gauss(0, 3))


def main():
    out = sys.argv[1]
    hours = float(sys.argv[2]) if len(sys.argv) > 2 else 24
    restart_at = int(sys.argv[3]) if len(sys.argv) > 3 else 14 * 3600
    n = int(hours * 3600)
    rng = random.Random(14)

    log = pmi.pmiLogImport(out)
    log.pmiSetHostname("bench")
    log.pmiSetTimezone("UTC")
    none = log.pmiUnits(0, 0, 0, 0, 0, 0)
    for name, cluster, item, typ, serial, sem in METRICS:
        indom = c_api.PM_INDOM_NULL if serial is None else log.pmiInDom(DOMAIN, serial)
        log.pmiAddMetric(name, log.pmiID(DOMAIN, cluster, item), typ, indom, sem, none)
    for inst, name in ZONES:
        log.pmiAddInstance(log.pmiInDom(DOMAIN, INDOM_RAPL), name, inst)
    for inst, name in METERS:
        log.pmiAddInstance(log.pmiInDom(DOMAIN, INDOM_METER), name, inst)
    handles = {}

    def put(name, inst, value):
        key = (name, inst)
        if key not in handles:
            handles[key] = log.pmiGetHandle(name, inst)
        log.pmiPutValueHandle(handles[key], value if isinstance(value, str) else repr(value))

    csv = open(out + ".csv", "w")
    csv.write(",".join(CSV_COLUMNS) + "\n")
    meters = [0.0, 0.0]
    rapl = [4.0e6, 1.0e6]         # the hardware counters: they do not start at 0
    model = 0.0
    start_time, samples = T0 - 3600.0, 3600
    for k in range(n):
        sample_t = T0 + k
        p = watts(k, rng)
        if restart_at <= k < restart_at + GAP:
            # the agent is down: RAPL's hardware counts on, nothing is logged
            rapl[0] += 0.55 * (p[0] + p[1])
            rapl[1] += 0.07 * (p[0] + p[1])
            continue
        if k == restart_at + GAP:
            start_time, samples = float(sample_t), 0
            meters, model = [0.0, 0.0], 0.0
            first = True
        else:
            first = False
        samples += 1
        total = p[0] + p[1]
        zone = (0.55 * total, 0.07 * total)
        util = min(1.0, max(0.0, (total - 150) / 250))
        mp = 40 + 160 * util
        if not first:             # a new agent's first sample primes its counters
            meters = [meters[0] + p[0], meters[1] + p[1]]
            model += mp
        rapl = [rapl[0] + zone[0], rapl[1] + zone[1]]
        system = meters[0] + meters[1]
        rec = sample_t + LAG
        put("power.system.energy", "", system)
        put("power.system.power", "", total)
        put("power.system.source", "", "meter")
        for (inst, name), e, w in zip(ZONES, rapl, zone):
            put("power.rapl.energy", name, e)
            put("power.rapl.power", name, w)
        put("power.model.energy", "", model)
        put("power.model.power", "", mp)
        put("power.model.utilization", "", util)
        put("power.control.interval", "", 1.0)
        put("power.control.samples", "", str(samples))
        # the agent's first sample's wall time, and the seconds since it
        put("power.control.start_time", "", start_time)
        put("power.control.sample_time", "", float(sample_t) - start_time)
        for (inst, name), e, w in zip(METERS, meters, p):
            put("power.meter.energy", name, e)
            put("power.meter.power", name, w)
            put("power.meter.voltage", name, 230.0)
            put("power.meter.current", name, w / 230.0)
        put("power.meter.total.energy", "", system)
        put("power.meter.total.power", "", total)
        sec = int(rec)
        log.pmiWrite(sec, int(round((rec - sec) * 1e6)))
        csv.write("%.6f,%d,%.6f,%r,%r,%r,%r,%r,%r,%r,%r\n" % (
            rec, sample_t, start_time, system, total, meters[0], meters[1], system,
            rapl[0], rapl[1], model))
    log.pmiEnd()
    csv.close()


if __name__ == "__main__":
    main()
