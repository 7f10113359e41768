#!/usr/bin/env python3
"""In-process A/B of two tsql builds on the same data: `tsql debug-query`
runs each query REPEATS times per round; rounds alternate the binaries, and
the minimum over rounds of each round's median is printed (the machine's
neighbours add ±30 % between runs, so only interleaved figures compare).

    python3 Benchmarks/scripts/ab_debug_query.py --data /tmp/lat/t2 \
        --at 1793519999835 /tmp/tsql-before .build/release/tsql 'count by (job) (up)' ...

`--at` evaluates at one time (an instant query); `--start/--end/--step` a range.
"""
import argparse
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--at", type=int, help="instant query time, unix ms")
    ap.add_argument("--start", type=int)
    ap.add_argument("--end", type=int)
    ap.add_argument("--step", type=int, default=60000)
    ap.add_argument("--repeats", type=int, default=800)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("queries", nargs="+")
    a = ap.parse_args()
    start, end = (a.at, a.at) if a.at is not None else (a.start, a.end)
    bins = {"before": a.before, "after": a.after}
    medians = {(b, q): [] for b in bins for q in a.queries}
    for _ in range(a.rounds):
        for b, path in bins.items():
            for q in a.queries:
                out = subprocess.run([path, "debug-query", "--data", a.data, "--start", str(start), "--end", str(end),
                                      "--step", str(a.step), "--repeats", str(a.repeats), q],
                                     capture_output=True, text=True, check=True).stdout
                ts = sorted(float(line.split()[0]) for line in out.splitlines() if "seconds" in line)
                medians[(b, q)].append(ts[len(ts) // 2] * 1e6)
    for q in a.queries:
        print(q)
        for b in bins:
            ms = sorted(medians[(b, q)])
            print(f"  {b:6s} min of medians {ms[0]:9.0f} µs   (medians {', '.join(f'{m:.0f}' for m in ms)})")


if __name__ == "__main__":
    main()
