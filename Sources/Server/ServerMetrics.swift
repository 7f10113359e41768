import Foundation
import Hummingbird
import Prometheus
import Synchronization
import TSDB

/// A metric name without namespace or unit parts (our names are Prometheus' own, whole).
func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

/// The server's own metrics for `/metrics`, under Prometheus' self-monitoring
/// names where one exists (`prometheus_http_requests_total`,
/// `prometheus_tsdb_head_series`, `process_resident_memory_bytes`, …), so
/// that existing dashboards for a Prometheus server work on this one.
///
/// Give the same instance to the database (`maintenanceObserver` → `record`)
/// and to `APIServer` to have the compaction and retention metrics.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let querySeconds: DurationHistogram
    private let querySamples: Counter
    private let remoteWriteSamples: Counter
    private let remoteWriteRejected: Counter
    private let remoteReadQueries: Counter
    private let compactions: Counter
    private let compactionsFailed: Counter
    private let compactionSeconds: DurationHistogram
    private let tombstoneCleanupSeconds: DurationHistogram
    private let compactionReclaimed: Counter
    private let headTruncations: Counter
    private let timeRetentions: Counter
    private let sizeRetentions: Counter
    private let retentionReclaimed: Counter

    public init() {
        querySeconds = registry.makeDurationHistogram(
            descriptor: metric("prometheus_engine_query_duration_seconds", "Query evaluation time."),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                      .seconds(1), .seconds(5), .seconds(30), .seconds(120)])
        querySamples = registry.makeCounter(descriptor: metric(
            "prometheus_engine_query_samples_total", "The total number of samples loaded by all queries."))
        remoteWriteSamples = registry.makeCounter(descriptor: metric(
            "prometheus_remote_write_samples_received_total", "Samples received through remote write and stored."))
        remoteWriteRejected = registry.makeCounter(descriptor: metric(
            "prometheus_remote_write_samples_rejected_total", "Samples received through remote write and rejected (out of order, duplicate, out of bounds)."))
        remoteReadQueries = registry.makeCounter(descriptor: metric(
            "prometheus_api_remote_read_queries_total", "Queries answered through remote read."))
        compactions = registry.makeCounter(descriptor: metric(
            "prometheus_tsdb_compactions_total", "Total number of compactions that were executed for the partition."))
        compactionsFailed = registry.makeCounter(descriptor: metric(
            "prometheus_tsdb_compactions_failed_total", "Total number of compactions that failed for the partition."))
        let slow: [Duration] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map { .seconds($0) }
        compactionSeconds = registry.makeDurationHistogram(
            descriptor: metric("prometheus_tsdb_compaction_duration_seconds", "Duration of compaction runs"), buckets: slow)
        tombstoneCleanupSeconds = registry.makeDurationHistogram(
            descriptor: metric("prometheus_tsdb_tombstone_cleanup_seconds", "The time taken to recompact blocks to remove tombstones."),
            buckets: slow)
        compactionReclaimed = registry.makeCounter(descriptor: metric(
            "tsql_tsdb_compaction_reclaimed_bytes_total",
            "Bytes of blocks on disk freed by merging blocks and removing deleted samples (head compactions not counted)."))
        headTruncations = registry.makeCounter(descriptor: metric(
            "prometheus_tsdb_head_truncations_total", "Total number of head truncations attempted."))
        timeRetentions = registry.makeCounter(descriptor: metric(
            "prometheus_tsdb_time_retentions_total",
            "The number of times that blocks were deleted because the maximum time limit was exceeded."))
        sizeRetentions = registry.makeCounter(descriptor: metric(
            "prometheus_tsdb_size_retentions_total",
            "The number of times that blocks were deleted because the maximum number of bytes was exceeded."))
        retentionReclaimed = registry.makeCounter(descriptor: metric(
            "tsql_tsdb_retention_reclaimed_bytes_total", "Bytes of blocks deleted by the time and size retention."))
    }

    /// Records what the database's maintenance job did (its `maintenanceObserver`).
    public func record(_ event: MaintenanceEvent) {
        switch event {
        case .compactionFinished(let o):
            compactions.increment()
            if o.error != nil { compactionsFailed.increment() }
            let took = Duration.nanoseconds(Int64(o.seconds * 1e9))
            if o.kind == .tombstones { tombstoneCleanupSeconds.record(took) } else { compactionSeconds.record(took) }
            if o.kind != .head, o.reclaimedBytes > 0 { compactionReclaimed.increment(by: o.reclaimedBytes) }
        case .headTruncated:
            headTruncations.increment()
        case .retentionDeleted(_, let bytes, let reason):
            (reason == .time ? timeRetentions : sizeRetentions).increment()
            retentionReclaimed.increment(by: bytes)
        case .compactionStarted, .compactionProgress:
            break
        }
    }

    func queryFinished(seconds: Double, samples: Int) {
        querySeconds.record(.nanoseconds(Int64(seconds * 1e9)))
        querySamples.increment(by: Int64(samples))
    }

    func remoteWrite(stored: Int, rejected: Int) {
        remoteWriteSamples.increment(by: Int64(stored))
        remoteWriteRejected.increment(by: Int64(rejected))
    }

    func remoteRead(queries: Int) { remoteReadQueries.increment(by: Int64(queries)) }

    /// Counter values copied from elsewhere (the head, /proc), as last reported.
    private let reported = Mutex<[String: Double]>([:])

    /// Moves a counter mirrored from another source up to `value`, by the
    /// difference to what was reported last (never reset, so a concurrent
    /// scrape never sees it drop).
    private func advance(_ name: String, _ help: String, to value: Double) {
        let delta = reported.withLock { last -> Double in
            let d = value - (last[name] ?? 0)
            if d > 0 { last[name] = value }
            return d
        }
        if delta > 0 { registry.makeCounter(descriptor: metric(name, help)).increment(by: delta) }
    }

    /// Counts requests by handler and status code and times them by handler.
    func middleware<Context: RequestContext>() -> some RouterMiddleware<Context> {
        HTTPMetricsMiddleware<Context>(metrics: self)
    }

    /// The request counter and latency histogram of each handler and status
    /// code, made once: looking them up in the registry on every request
    /// (building label arrays and descriptors) cost more than counting.
    private let httpSeries = Mutex<[HTTPSeriesKey: (Counter, DurationHistogram)]>([:])

    private struct HTTPSeriesKey: Hashable {
        let handler: String
        let code: Int
    }

    static let httpBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(10), .milliseconds(100), .milliseconds(400), .seconds(1), .seconds(3), .seconds(8),
        .seconds(20), .seconds(60), .seconds(120),
    ]

    /// Counts one answered request of `handler` (a route pattern) and records its latency.
    func httpRequest(handler: String, code: Int, took: Duration) {
        let key = HTTPSeriesKey(handler: handler, code: code)
        let (counter, histogram) = httpSeries.withLock { cache in
            if let known = cache[key] { return known }
            let made = (
                registry.makeCounter(descriptor: metric("prometheus_http_requests_total", "Counter of HTTP requests."),
                                     labels: [("code", String(code)), ("handler", handler)]),
                registry.makeDurationHistogram(
                    descriptor: metric("prometheus_http_request_duration_seconds", "Histogram of latencies for HTTP requests."),
                    labels: [("handler", handler)], buckets: Self.httpBuckets)
            )
            cache[key] = made
            return made
        }
        counter.increment()
        histogram.record(took)
    }

    /// Sets the gauges read from the database and process at scrape time.
    func refresh(db: DB?, gate: QueryGate) {
        let load = gate.load
        registry.makeGauge(descriptor: metric("prometheus_engine_queries", "The current number of queries being executed or waiting."))
            .set(Double(load.running + load.waiting))
        registry.makeGauge(descriptor: metric("prometheus_engine_queries_concurrent_max", "The max number of concurrent queries."))
            .set(Double(gate.maxRunning))
        if let db {
            let s = db.stats
            func gauge(_ name: String, _ help: String, _ v: Double) { registry.makeGauge(descriptor: metric(name, help)).set(v) }
            gauge("prometheus_tsdb_head_series", "Total number of series in the head block.", Double(s.head.numSeries))
            gauge("prometheus_tsdb_head_chunks", "Total number of chunks in the head block.", Double(s.head.numChunks))
            gauge("prometheus_tsdb_head_min_time", "Minimum time bound of the head block.", Double(s.head.minTime ?? 0))
            gauge("prometheus_tsdb_head_max_time", "Maximum timestamp of the head block.", Double(s.head.maxTime ?? 0))
            gauge("prometheus_tsdb_blocks_loaded", "Number of currently loaded data blocks.", Double(s.blocks.count))
            gauge("prometheus_tsdb_storage_blocks_bytes", "The number of bytes that are currently used for local storage by all blocks.",
                  Double(s.blockBytes))
            gauge("prometheus_tsdb_wal_storage_size_bytes", "Size of the write log directory.", Double(s.walBytes))
            advance("prometheus_tsdb_head_samples_appended_total", "Total number of appended samples.",
                    to: Double(s.head.samplesAppended))
        }
        let p = ProcessStats.read()
        registry.makeGauge(descriptor: metric("process_resident_memory_bytes", "Resident memory size in bytes.")).set(Double(p.residentBytes))
        registry.makeGauge(descriptor: metric("process_virtual_memory_bytes", "Virtual memory size in bytes.")).set(Double(p.virtualBytes))
        registry.makeGauge(descriptor: metric("process_open_fds", "Number of open file descriptors.")).set(Double(p.openFDs))
        advance("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", to: p.cpuSeconds)
        registry.makeGauge(descriptor: metric("process_start_time_seconds", "Start time of the process since unix epoch in seconds."))
            .set(p.startTime)
    }
}

extension APIServer {
    /// `/metrics` in the text exposition format.
    func metricsPage() -> Response {
        metrics.refresh(db: slot.db, gate: gate)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }
}

/// `prometheus_http_requests_total{handler,code}` and `prometheus_http_request_duration_seconds{handler}`
/// for requests that go through the router (the direct query lane records its own).
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var code = 500
        defer { metrics.httpRequest(handler: context.endpointPath ?? "other", code: code, took: ContinuousClock.now - start) }
        do {
            let response = try await next(request, context)
            code = response.status.code
            return response
        } catch let e as HTTPError {
            code = e.status.code
            throw e
        }
    }
}

/// This process' resources, from `/proc/self`.
struct ProcessStats {
    var residentBytes = 0
    var virtualBytes = 0
    var openFDs = 0
    var cpuSeconds = 0.0
    var startTime = 0.0

    static func read() -> ProcessStats {
        var p = ProcessStats()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command name; see proc(5): utime is field 14, vsize 23, rss 24.
            let f = stat[stat.index(after: close)...].split(separator: " ")
            if f.count > 22 {
                p.cpuSeconds = (Double(f[11]) ?? 0) / ticks + (Double(f[12]) ?? 0) / ticks
                p.virtualBytes = Int(f[20]) ?? 0
                p.residentBytes = (Int(f[21]) ?? 0) * page
                if let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
                   let up = Double(uptime.split(separator: " ")[0]), let started = Double(f[19]) {
                    p.startTime = Date().timeIntervalSince1970 - up + started / ticks
                }
            }
        }
        p.openFDs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return p
    }
}
