#!/usr/bin/env python3
"""Dumps the shared benchmark data set (../shared/bench/gen.py, not copied
here) as a compact binary file that the Swift `Footprint` tool ingests.

    python3 Benchmarks/scripts/dump_dataset.py --preset full --out /tmp/bench-data/full.tsdump

Format (little-endian):
    b"TSDUMP1\\n"
    u32 targets; per target: u32 T, then T x i64 timestamps (ms)
    u32 series;  per series: u32 target index, u16 label count,
                 per label: u16 len + name bytes, u16 len + value bytes,
                 then T x f64 values
Requires numpy and cramjam (pip install cramjam), like gen.py.
"""
import argparse
import os
import struct
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
bench = os.environ.get("BENCH_DIR", os.path.join(here, "..", "..", "..", "shared", "bench"))
sys.path.insert(0, bench)
import gen  # noqa: E402  (the shared generator)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=sorted(gen.PRESETS), default="quick")
    ap.add_argument("--seed", type=int, default=20261101)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    hosts, hours = gen.PRESETS[a.preset]
    T = int(round(hours * 3600 * 1000 / gen.INTERVAL_MS))
    b = gen.Builder(T)
    targets = []
    for h in range(hosts):
        gen.gen_host(b, targets, h, a.seed, T, gen.DEFAULT_START_MS, 0.02)
    with open(a.out + ".tmp", "wb") as f:
        f.write(b"TSDUMP1\n")
        f.write(struct.pack("<I", len(targets)))
        for t in targets:
            f.write(struct.pack("<I", T))
            f.write(np.asarray(t.ts, dtype="<i8").tobytes())
        f.write(struct.pack("<I", len(b.labels)))
        for i, lb in enumerate(b.labels):
            f.write(struct.pack("<IH", b.target[i], len(lb)))
            for k in sorted(lb):
                for s in (k.encode(), str(lb[k]).encode()):
                    f.write(struct.pack("<H", len(s)) + s)
            f.write(np.asarray(b.values[i], dtype="<f8").tobytes())
    os.replace(a.out + ".tmp", a.out)
    print(f"{a.out}: {len(b.labels)} series x {T} samples = {len(b.labels) * T} samples, {len(targets)} targets")


if __name__ == "__main__":
    main()
