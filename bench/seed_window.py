#!/usr/bin/python3
"""
seed_window.py CSV START END: the seed's way to a window's energy, pandas
over a CSV export of the archive (day_archive.py writes one), done as
exactly as the data allows so that its answer can be held against
pmpower's: every counter placed at its sample time, interpolated at the
window's ends within one run of the agent, and summed step by step across
a restart (a counter that went back counts from zero, as pmpower's
window.h does). Prints one "column joules" line per energy column.
"""
import sys

import numpy as np
import pandas as pd


def main():
    df = pd.read_csv(sys.argv[1])
    a, b = float(sys.argv[2]), float(sys.argv[3])
    t = df["sample_time"].to_numpy()
    run = df["start_time"].to_numpy()
    i0 = np.searchsorted(t, a, side="right")      # first sample after a
    i1 = np.searchsorted(t, b, side="left")       # first sample at or after b
    for col in [c for c in df.columns if c.endswith("_energy")]:
        e = df[col].to_numpy()
        inner = e[i0:i1]
        ends = []
        for i, x in ((i0, a), (i1, b)):
            # the counter at x, from the samples either side when one run holds both
            if 0 < i < len(t) and run[i - 1] == run[i]:
                ends.append(np.interp(x, t[i - 1:i + 1], e[i - 1:i + 1]))
            else:
                ends.append(e[i] if x == a else e[i - 1])
        v = np.concatenate(([ends[0]], inner, [ends[1]]))
        steps = np.diff(v)
        back = steps < 0
        steps[back] = v[1:][back]
        print("%s %.6f" % (col, steps.sum()))


if __name__ == "__main__":
    main()
