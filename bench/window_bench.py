#!/usr/bin/python3
"""
window_bench.py [--hours H] [--runs N] [--dir DIR] [--pmpower PATH]: the
energy of an 18-hour window of a day-long archive at 1 Hz, by pmpower
report (two reads, and bisection around the agent restart inside the
window) against the seed's way (pandas over a CSV of the same day,
seed_window.py), in one run; and 1,000 phases over the day in one pass.

The archive and its CSV are made by day_archive.py (once; kept in DIR).
Each command is timed whole, as a user runs it (process start, archive
open, answer), N times; the table gives the medians. The answers are
checked against each other: every energy column the same to 1e-9, so the
speed is not bought with accuracy, across the restart too.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
T0 = 1796083200                      # day_archive.py's midnight
PY = "/usr/bin/python3"              # Debian's: python3-pcp and python3-pandas


def timed(cmd, runs):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr.decode()))
        out = p.stdout.decode()
    return statistics.median(times), out


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ("%.6f" % (t % 1))[1:] + "Z"


def seed(csv, a, b, runs):
    sec, out = timed([PY, os.path.join(HERE, "seed_window.py"), csv, repr(a), repr(b)], runs)
    return sec, {line.split()[0]: float(line.split()[1]) for line in out.splitlines()}


# pmpower's labels for the CSV's columns
LABELS = {"system_energy": "system", "meter_rack_a_energy": "meter:rack-a",
          "meter_rack_b_energy": "meter:rack-b", "meter_total_energy": "meters",
          "rapl_package_energy": "rapl:package-0", "rapl_dram_energy": "rapl:package-0/dram",
          "model_energy": "model"}


def pmpower_energies(report):
    return {e["label"]: e["joules"] for e in report["energy"]}


def agree(want, got, what):
    bad = []
    for col, label in LABELS.items():
        w, g = want[col], got.get(label)
        if g is None or abs(g - w) > 1e-9 * max(1.0, abs(w)):
            bad.append("%s: %s J, want %.6f J" % (label, g, w))
    if bad:
        sys.exit("%s disagree: %s" % (what, "; ".join(bad)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--dir", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--pmpower", default=os.path.join(TOP, "build", "pmpower"))
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    arch = os.path.join(args.dir, "day%g" % args.hours)
    csv = arch + ".csv"
    gen = os.path.join(HERE, "day_archive.py")
    if not os.path.exists(csv) or os.path.getmtime(csv) < os.path.getmtime(gen):
        for ext in (".0", ".meta", ".index", ".csv"):
            if os.path.exists(arch + ext):
                os.remove(arch + ext)
        print("writing %s (%g h at 1 Hz)..." % (arch, args.hours), file=sys.stderr)
        subprocess.run([PY, gen, arch, str(args.hours), str(int(args.hours * 3600 * 14 / 24))], check=True)

    # 18 hours of the day, across the restart at 14 h. The edges are at
    # agent samples: there both ways are exact and must agree to 1e-9
    # (between samples pandas interpolates linearly and pmpower places a
    # power step, edge.h: they differ by design, tests/integration/pmpower_edges.sh)
    a, b = T0 + 3 * 3600, T0 + 21 * 3600
    if args.hours < 22:
        a, b = T0 + round(args.hours * 3600 * 0.125), T0 + round(args.hours * 3600 * 0.875)
    report = [args.pmpower, "report", "-a", arch, "-S", iso(a), "-T", iso(b), "--json"]
    seed_s, want = seed(csv, a, b, max(3, args.runs // 2))
    fast_s, out = timed(report, args.runs)
    got = json.loads(out)
    agree(want, pmpower_energies(got), "pmpower report and pandas")
    scan_s, out = timed(report + ["--top", "1"], 3)
    agree(want, pmpower_energies(json.loads(out)), "pmpower report --top (every record) and pandas")

    # 1,000 phases of 40 s, one every 86.4 s, over the day: one pass
    nphases = 1000
    step = args.hours * 3600 / nphases
    phases = os.path.join(args.dir, "phases1000.csv")
    with open(phases, "w") as f:
        f.write("label,start,end\n")
        for i in range(nphases):
            s = T0 + round(i * step)
            f.write("p%04d,%s,%s\n" % (i, iso(s), iso(s + 40)))
    phases_s, out = timed([args.pmpower, "report", "-a", arch, "--phases", phases, "--json"], 3)
    ph = json.loads(out)
    checked = 0
    for i in (0, nphases // 3, int(nphases * 14 / 24), nphases - 1):
        p = ph["phases"][i]
        _, w = seed(csv, p["start_epoch"], p["end_epoch"], 1)
        if abs(p["joules"] - w["system_energy"]) > 1e-9 * max(1.0, w["system_energy"]):
            sys.exit("phase %s: pmpower %.6f J, pandas %.6f J" % (p["label"], p["joules"], w["system_energy"]))
        checked += 1

    ratio = fast_s / seed_s
    print("archive   %s: %g h at 1 Hz, %.0f MB, an agent restart at %g h" %
          (arch, args.hours, os.path.getsize(arch + ".0") / 1e6, args.hours * 14 / 24))
    print("window    %s .. %s (%.0f s), restarts inside: %d" %
          (iso(a), iso(b), b - a, got.get("counter_restarts", 0)))
    print("energy    power.system %.3f J: pmpower and pandas agree on all %d columns to 1e-9" %
          (got["joules"], len(LABELS)))
    print()
    print("| how | median of %d runs | vs pandas |" % args.runs)
    print("| --- | ---: | ---: |")
    print("| pandas over the CSV (seed_window.py) | %.1f ms | 1 |" % (seed_s * 1e3))
    print("| `pmpower report` (two reads, bisection at the restart) | %.1f ms | %.3fx |" % (fast_s * 1e3, ratio))
    print("| `pmpower report --top 1` (every record, for processes) | %.1f ms | %.3fx |" %
          (scan_s * 1e3, scan_s / seed_s))
    print("| `pmpower report --phases` (1,000 phases, one pass) | %.1f ms | %.3fx |" %
          (phases_s * 1e3, phases_s / seed_s))
    print()
    ok = ratio <= 0.05 and fast_s < 0.050
    print("target    at most 0.05x pandas and under 50 ms: %s (%.3fx, %.1f ms); %d phases checked against pandas" %
          ("met" if ok else "NOT met", ratio, fast_s * 1e3, checked))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
