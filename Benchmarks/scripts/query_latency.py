#!/usr/bin/env python3
"""Query latency of the bench harness' query set against running servers.

A quicker loop than ../shared/bench/run.py for engine work: the servers are
already running on data the harness ingested (e.g. copies of its
prometheus-data and tsdb-data directories), and only the query phase runs.

    python3 Benchmarks/scripts/query_latency.py --end-ms 1793519999835 --hours 8 \
        prometheus=http://127.0.0.1:9091 tsdb=http://127.0.0.1:9092 \
        'victoriametrics=http://127.0.0.1:9093?nocache=1'

Prints, per query and mode, the median and p90 milliseconds of each server
(same modes as the harness: range_1h, range_all, instant; one keep-alive
connection per server and the body read in full, as the harness times it).
"""
import argparse
import http.client
import json
import math
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench"))
import queries as queries_mod  # noqa: E402


def fmt_ts(ms):
    return f"{ms / 1000:.3f}"


_connections = {}


def connection(url):
    """One keep-alive connection per server, as the harness' `benchlib.Http` keeps."""
    if url not in _connections:
        u = urllib.parse.urlsplit(url)
        _connections[url] = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=600, blocksize=1 << 20)
    return _connections[url]


def run(url, promql, mode, end, span):
    url, _, extra = url.partition("?")  # extra query parameters, e.g. VictoriaMetrics' nocache=1
    if mode == "instant":
        params = {"query": promql, "time": fmt_ts(end)}
        path = "/api/v1/query"
    else:
        start = end - (3600_000 if mode == "range_1h" else span)
        step = 15 if mode == "range_1h" else 60
        params = {"query": promql, "start": fmt_ts(start), "end": fmt_ts(end), "step": str(step)}
        path = "/api/v1/query_range"
    params.update(urllib.parse.parse_qsl(extra))
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Encoding": "identity"}
    c = connection(url)
    t0 = time.perf_counter()
    c.request("POST", urllib.parse.urlsplit(url).path.rstrip("/") + path, body=body, headers=headers)
    data = c.getresponse().read()
    return time.perf_counter() - t0, data


def compare(a, b):
    """Largest relative difference between two responses; raises if series or timestamps differ."""
    def index(body):
        res = json.loads(body)["data"]["result"]
        out = {}
        for s in res:
            key = tuple(sorted(s["metric"].items()))
            out[key] = s.get("values") or [s["value"]]
        return out
    ia, ib = index(a), index(b)
    if ia.keys() != ib.keys():
        raise ValueError(f"series differ: {len(ia)} vs {len(ib)}")
    worst = 0.0
    for k, pa in ia.items():
        pb = ib[k]
        if [p[0] for p in pa] != [p[0] for p in pb]:
            raise ValueError(f"timestamps differ for {k}")
        for (_, x), (_, y) in zip(pa, pb):
            x, y = float(x), float(y)
            if x != y and not (math.isnan(x) and math.isnan(y)):
                worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--end-ms", type=int, required=True)
    ap.add_argument("--hours", type=float, default=8)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated query names")
    ap.add_argument("--modes", default=",".join(queries_mod.MODES))
    ap.add_argument("--compare", action="store_true",
                    help="check every server's answers against the first one's instead of timing")
    ap.add_argument("servers", nargs="+", help="name=url")
    a = ap.parse_args()
    servers = [s.split("=", 1) for s in a.servers]
    span = int(a.hours * 3600_000)
    only = set(a.only.split(",")) if a.only else None
    print(f"{'query/mode':40s} " + " ".join(f"{n:>18s}" for n, _ in servers) + "   (median / p90 ms)")
    for name, promql, _ in queries_mod.QUERIES:
        if only and name not in only:
            continue
        for mode in a.modes.split(","):
            if a.compare:
                ref = run(servers[0][1], promql, mode, a.end_ms, span)[1]
                for n, url in servers[1:]:
                    try:
                        d = compare(ref, run(url, promql, mode, a.end_ms, span)[1])
                        print(f"{name + '/' + mode:40s} {n}: same series, max relative difference {d:.2g}", flush=True)
                    except ValueError as e:
                        print(f"{name + '/' + mode:40s} {n}: DIFFERENT: {e}", flush=True)
                continue
            cells = []
            for _, url in servers:
                run(url, promql, mode, a.end_ms, span)  # warm-up
                ts = sorted(run(url, promql, mode, a.end_ms, span)[0] * 1000 for _ in range(a.reps))
                p90 = ts[min(len(ts) - 1, int(round(0.9 * (len(ts) - 1))))]
                cells.append(f"{statistics.median(ts):8.1f} / {p90:7.1f}")
            print(f"{name + '/' + mode:40s} " + " ".join(f"{c:>18s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
