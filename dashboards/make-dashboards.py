#!/usr/bin/python3
"""Writes the grafana-pcp dashboards for pcp-power (run from anywhere:
python3 dashboards/make-dashboards.py). The JSON files are committed; edit
this script and rerun it rather than editing them by hand, so the three stay
alike. tests/integration/ecosystem_grafana.sh checks that every target of
every panel resolves to data through pmproxy."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
VECTOR = "performancecopilot-vector-datasource"
VALKEY = "performancecopilot-valkey-datasource"


def ds_var(kind, label):
    return {"name": "datasource", "label": label, "type": "datasource", "query": kind,
            "current": {}, "hide": 0, "refresh": 1, "options": [], "regex": ""}


def host_var():
    return {"name": "host", "label": "Host", "type": "query", "datasource": {"uid": "$datasource"},
            "query": "label_values(hostname)", "definition": "label_values(hostname)",
            "refresh": 1, "sort": 1, "current": {}, "hide": 0, "options": [], "multi": False}


class Board:
    def __init__(self, uid, title, kind, history, all_hosts=False):
        self.uid, self.title, self.kind, self.history = uid, title, kind, history
        self.all_hosts = all_hosts    # every host's series side by side, no $host filter
        self.panels, self.y, self.x, self.next_id = [], 0, 0, 1

    def expr(self, metric):
        return '%s{hostname == "$host"}' % metric if self.history and not self.all_hosts else metric

    def row(self, title):
        if self.x:
            self.y += 8
            self.x = 0
        self.panels.append({"id": self.next_id, "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.next_id += 1
        self.y += 1

    def panel(self, title, metrics, unit, kind="timeseries", width=12, description="",
              legend="$instance", rate=True, calcs=None, height=8):
        if self.x + width > 24:
            self.x = 0
            self.y += height
        targets = []
        for i, (metric, leg) in enumerate(metrics):
            t = {"refId": chr(ord("A") + i), "expr": self.expr(metric), "format": "time_series",
                 "legendFormat": leg or legend, "datasource": {"type": self.kind, "uid": "$datasource"}}
            if self.history:
                t["options"] = {"rateConversion": rate, "timeUtilizationConversion": False}
            targets.append(t)
        p = {"id": self.next_id, "type": kind, "title": title, "description": description,
             "datasource": {"type": self.kind, "uid": "$datasource"},
             "gridPos": {"x": self.x, "y": self.y, "w": width, "h": height},
             "targets": targets,
             "fieldConfig": {"defaults": {"unit": unit, "min": 0, "custom": {}}, "overrides": []},
             "options": {}}
        if kind == "timeseries":
            p["options"] = {"legend": {"displayMode": "table", "placement": "bottom",
                                       "calcs": ["mean", "max", "last"]},
                            "tooltip": {"mode": "multi"}}
            p["fieldConfig"]["defaults"]["custom"] = {"lineWidth": 1, "fillOpacity": 10}
        elif kind == "stat":
            p["options"] = {"reduceOptions": {"calcs": calcs or ["lastNotNull"], "fields": "",
                                              "values": False},
                            "textMode": "value_and_name", "colorMode": "none", "graphMode": "none"}
        elif kind == "table":
            p["options"] = {"showHeader": True}
            p["fieldConfig"]["defaults"].pop("min")
        self.panels.append(p)
        self.next_id += 1
        self.x += width
        if self.x >= 24:
            self.x = 0
            self.y += height

    def write(self, name, description):
        templating = [ds_var(self.kind, "PCP Valkey" if self.history else "PCP Vector")]
        if self.history and not self.all_hosts:
            templating.append(host_var())
        board = {
            "uid": self.uid, "title": self.title, "description": description,
            "tags": ["pcp-power", "pcp-valkey" if self.history else "pcp-vector"],
            "editable": True, "schemaVersion": 36, "version": 1, "graphTooltip": 1,
            "time": {"from": "now-6h" if self.history else "now-5m", "to": "now"},
            "refresh": "1m" if self.history else "5s",
            "templating": {"list": templating}, "annotations": {"list": []},
            "panels": self.panels,
        }
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(board, f, indent=2)
            f.write("\n")


SOURCES = [
    ("RAPL zones", "power.rapl.power", "Package, core, uncore, DRAM and psys domains (Intel/AMD RAPL)."),
    ("Wall meters", "power.meter.power", "External meters (WattsUp and alike): the whole plug load."),
    ("Virtual machines", "power.vm.power", "Per-VM energy counters exported by the hypervisor."),
    ("SoC (Apple silicon)", "power.soc.power", "powermetrics: CPU, GPU, ANE, DRAM and combined."),
    ("Batteries", "power.battery.power", "Discharge power of each battery."),
    ("GPUs", "power.gpu.power", "Each GPU: NVIDIA's through NVML, amdgpu, i915, xe and nouveau "
     "through hwmon."),
    ("Platform sensors (hwmon)", "power.hwmon.power", "amd_energy, zenergy and ACPI power meters."),
]


def host_panels(b):
    b.row("Host")
    b.panel("Host power", [("power.system.power", "system"), ("power.system.active_power", "busy share")],
            "watt", width=16, description="power.system.power from the best source "
            "(power.system.source); the busy share is the part apportioned to processes.")
    b.panel("Source of power.system", [("power.system.source", "source")], "string", kind="table",
            width=8, description="meter, battery, hwmon:power_meter, rapl:psys, rapl:package+dram, "
            "powermetrics or model (an estimate); +gpu when the GPUs' energy was added to a source "
            "that excludes them.")
    if b.history:
        b.panel("Energy in the time range", [("power.system.energy", "system")], "joule", kind="stat",
                width=8, rate=False, calcs=["delta"],
                description="Delta of the power.system.energy counter over the dashboard's range.")
        b.panel("Mean power from the energy counter", [("power.system.energy", "system")], "watt",
                width=16, description="Rate of power.system.energy: the exact mean power of each "
                "step, nothing lost between samples.")
    b.row("Sources")
    for title, metric, desc in SOURCES:
        b.panel(title, [(metric, "")], "watt", description=desc)
    b.panel("Utilisation model (estimate)", [("power.model.power", "model")], "watt",
            description="An estimate from CPU utilisation where no sensor exists.")
    if b.history:
        b.row("Energy counters")
        b.panel("RAPL energy in the time range", [("power.rapl.energy", "")], "joule", kind="stat",
                width=12, rate=False, calcs=["delta"])
        b.panel("Meter energy in the time range", [("power.meter.energy", "")], "joule", kind="stat",
                width=12, rate=False, calcs=["delta"])
        b.panel("GPU energy in the time range", [("power.gpu.energy", "")], "joule", kind="stat",
                width=12, rate=False, calcs=["delta"])


def proc_panels(b):
    # history follows pmproxy/power-history.conf: power.proc.* stays out of
    # the key server (per-PID cardinality, as PCP leaves out proc.*), so the
    # history board has cgroups only; processes are live, or in the archives
    if not b.history:
        b.row("Processes")
        b.panel("Power by process", [("power.proc.power", "")], "watt", width=24,
                description="Host power apportioned by CPU time (pmdapower attribution).")
        b.panel("Share of host power by process", [("power.proc.share", "")], "percentunit", width=12)
        b.panel("Unattributed busy energy", [("power.proc.unattributed.energy", "unattributed")],
                "watt", width=12, description="Rate of power.proc.unattributed.energy: busy CPU energy "
                "of processes that came and went between samples.")
    b.row("Cgroups")
    b.panel("Power by cgroup", [("power.cgroup.power", "")], "watt", width=24)
    if b.history:
        b.panel("Cgroup energy in the time range", [("power.cgroup.energy", "")], "joule", kind="stat",
                width=12, rate=False, calcs=["delta"])


def fleet_panels(b):
    b.row("Hosts side by side")
    b.panel("Power by host", [("power.system.power", "$hostname")], "watt", width=24,
            description="power.system.power of every host whose archives pmproxy loaded "
            "(a pmlogger farm's, README: Many hosts).")
    b.panel("Mean power by host, from the energy counter", [("power.system.energy", "$hostname")], "watt",
            width=24, description="Rate of each host's power.system.energy: exact mean power per step.")
    b.panel("Energy in the time range by host", [("power.system.energy", "$hostname")], "joule",
            kind="stat", width=16, rate=False, calcs=["delta"],
            description="Delta of each host's power.system.energy over the dashboard's range; the fleet's "
            "total is their sum (pmpower report -a FARMDIR prints it).")
    b.panel("Source by host", [("power.system.source", "$hostname")], "string", kind="table", width=8)


b = Board("pcp-power-host-vector", "PCP Vector: Host Power", VECTOR, False)
host_panels(b)
b.write("pcp-power-host-vector.json", "Live host power from pmdapower through pmproxy (PCP Vector).")

b = Board("pcp-power-host-valkey", "PCP Valkey: Host Power and Energy", VALKEY, True)
host_panels(b)
b.write("pcp-power-host-valkey.json", "Host power and energy history from pmlogger archives "
        "loaded into Valkey/Redis (PCP Valkey; pmseries).")

b = Board("pcp-power-processes-vector", "PCP Vector: Power by Process and Cgroup", VECTOR, False)
proc_panels(b)
b.write("pcp-power-processes-vector.json", "Live power by process and cgroup (PCP Vector).")

b = Board("pcp-power-processes-valkey", "PCP Valkey: Power by Cgroup", VALKEY, True)
proc_panels(b)
b.write("pcp-power-processes-valkey.json", "Power and energy by cgroup from history (PCP Valkey). "
        "Per-process series stay out of the key server (pmproxy/power-history.conf); "
        "pmpower report --top reads processes from the archives.")

b = Board("pcp-power-fleet-valkey", "PCP Valkey: Fleet Power and Energy", VALKEY, True, all_hosts=True)
fleet_panels(b)
b.write("pcp-power-fleet-valkey.json", "Every host's power and energy side by side, from the history "
        "pmproxy loads from a pmlogger farm's archives (PCP Valkey; pmseries).")
