#!/usr/bin/env python3
"""Asks two Prometheus-compatible servers the same things through the
`prometheus-api-client` package from PyPI and reports every difference.

    prometheus_api_client_probe.py OURS_URL PROMETHEUS_URL UNIX_TIME

Run by Tests/ServerTests/RealClientTests.swift (scripts/setup.sh --test-clients
installs the package into .build/python). Prints one line per check,
`ok NAME` or `MISMATCH NAME ...`, and exits non-zero if any check failed.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

from prometheus_api_client import (MetricRangeDataFrame, MetricsList, PrometheusApiClientException,
                                   PrometheusConnect)

ours_url, theirs_url, t = sys.argv[1], sys.argv[2], int(sys.argv[3])
end = datetime.fromtimestamp(t, tz=timezone.utc)
start = end - timedelta(seconds=10)
ours, theirs = PrometheusConnect(url=ours_url), PrometheusConnect(url=theirs_url)
failures = 0


def canonical(value):
    """Lists of series in a stable order, so that order alone never differs."""
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    return value


def compare(name, call, must_have_data=True):
    """Runs `call` on both clients; the answers must be equal (and not empty)."""
    global failures
    try:
        mine, reference = call(ours), call(theirs)
    except Exception as e:  # noqa: BLE001 — any client failure is a finding
        failures += 1
        print(f"MISMATCH {name}: raised {type(e).__name__}: {e}")
        return
    if canonical(mine) != canonical(reference):
        failures += 1
        print(f"MISMATCH {name}:\n  ours:       {json.dumps(mine, sort_keys=True)[:600]}\n"
              f"  prometheus: {json.dumps(reference, sort_keys=True)[:600]}")
    elif must_have_data and not reference:
        failures += 1
        print(f"MISMATCH {name}: Prometheus returned nothing, the comparison proves nothing")
    else:
        print(f"ok {name}")


def check(name, condition, detail=""):
    global failures
    if condition:
        print(f"ok {name}")
    else:
        failures += 1
        print(f"MISMATCH {name}: {detail}")


def error_status(client, query):
    try:
        client.custom_query(query)
    except PrometheusApiClientException as e:
        return str(e).split(" (")[0]
    return "no error"


compare("check_prometheus_connection", lambda c: c.check_prometheus_connection())
compare("all_metrics", lambda c: c.all_metrics())
compare("get_label_names", lambda c: c.get_label_names())
compare("get_label_values(job)", lambda c: c.get_label_values("job"))
compare("get_series(up)", lambda c: c.get_series(start, end, params={"match[]": "up"}))
compare("get_current_metric_value(up)", lambda c: c.get_current_metric_value("up", params={"time": t}))
compare("get_current_metric_value(node_cpu_seconds_total{mode='idle'})",
        lambda c: c.get_current_metric_value("node_cpu_seconds_total", {"mode": "idle"}, params={"time": t}))
compare("get_metric_range_data(node_load1)",
        lambda c: c.get_metric_range_data("node_load1", start_time=start, end_time=end))
compare("custom_query(sum by (mode) (rate))",
        lambda c: c.custom_query("sum by (mode) (rate(node_cpu_seconds_total[5s]))", params={"time": t}))
compare("custom_query_range(node_load1)", lambda c: c.custom_query_range("node_load1", start, end, "1s"))
compare("custom_query_range(count by (job) (up))",
        lambda c: c.custom_query_range("count by (job) (up)", start, end, "2s"))
compare("get_metric_aggregation(node_load1)", lambda c: c.get_metric_aggregation(
    "node_load1", ["sum", "max", "min", "average", "percentile_50", "deviation", "variance"], start, end, "1s"))
compare("MetricsList(node_cpu_seconds_total)", lambda c: sorted(
    (m.metric_name, json.dumps(m.label_config, sort_keys=True), len(m.metric_values))
    for m in MetricsList(c.custom_query_range("node_cpu_seconds_total", start, end, "1s"))))
compare("MetricRangeDataFrame(node_load1)", lambda c: MetricRangeDataFrame(
    c.custom_query_range("node_load1", start, end, "1s")).reset_index().astype(str).to_dict(orient="records"))
compare("bad query is an HTTP 400", lambda c: error_status(c, "sum(up"), must_have_data=False)
check("get_targets", isinstance(ours.get_targets(), dict))
compare("get_metric_metadata(node_load1)", lambda c: c.get_metric_metadata("node_load1"))
sys.exit(1 if failures else 0)
