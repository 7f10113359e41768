import Foundation
import Hummingbird
import TSDB

/// `/api/v1/status/*`: build info, configuration, flags, runtime information,
/// head cardinality and WAL replay, in Prometheus' shapes.
extension APIServer {
    /// The Prometheus API level this server implements (Grafana reads it to pick features).
    static let apiVersion = "3.14.0"

    func registerStatus(_ router: Router<BasicRequestContext>) {
        router.get("/api/v1/status/buildinfo") { _, _ in
            Self.json(PrometheusJSON.object([
                ("version", Self.apiVersion), ("revision", "unknown"), ("branch", "main"),
                ("buildUser", "tsdb"), ("buildDate", "unknown"), ("goVersion", "swift6"),
            ]))
        }
        router.get("/api/v1/status/config") { _, _ in
            try Self.encoded(["yaml": self.config.yaml])
        }
        router.get("/api/v1/status/flags") { _, _ in
            try Self.encoded(self.options.flags)
        }
        router.get("/api/v1/status/runtimeinfo") { _, _ in
            try Self.encoded(self.runtimeInfo())
        }
        router.get("/api/v1/status/walreplay") { _, _ in
            let r = self.slot.replay
            return try Self.encoded(["min": r.min, "max": r.max, "current": r.current])
        }
        router.get("/api/v1/status/tsdb") { request, _ in
            let p = try await self.parameters(request)
            do {
                var limit = 10
                if let s = p["limit"], !s.isEmpty {
                    guard let n = Int(s), n > 0, n <= 10_000 else {
                        throw APIError.badData("limit must be a positive number less than or equal to 10000")
                    }
                    limit = n
                }
                return try Self.encoded(TSDBStatus(try self.database().head.cardinality(limit: limit)))
            } catch let e as APIError {
                return Self.failure(e)
            }
        }
    }

    struct RuntimeInfo: Encodable {
        var startTime: String
        var CWD: String
        var hostname: String
        var serverTime: String
        var reloadConfigSuccess: Bool
        var lastConfigTime: String
        var corruptionCount: Int
        var goroutineCount: Int
        var GOMAXPROCS: Int
        var GOMEMLIMIT: Int64
        var GOGC: String
        var GODEBUG: String
        var storageRetention: String
    }

    func runtimeInfo() -> RuntimeInfo {
        let report = slot.db?.replayReport
        return RuntimeInfo(
            startTime: Self.rfc3339(startTime), CWD: FileManager.default.currentDirectoryPath,
            hostname: ProcessInfo.processInfo.hostName, serverTime: Self.rfc3339(Date()),
            reloadConfigSuccess: config.lastReloadSucceeded, lastConfigTime: Self.rfc3339(config.lastSuccessfulLoad),
            corruptionCount: report?.corruption == nil ? 0 : 1,
            goroutineCount: Self.threadCount(), GOMAXPROCS: ProcessInfo.processInfo.activeProcessorCount,
            GOMEMLIMIT: .max, GOGC: "", GODEBUG: "", storageRetention: options.storageRetention)
    }

    /// `/api/v1/status/tsdb`'s `data`.
    struct TSDBStatus: Encodable {
        struct HeadStats: Encodable {
            var numSeries: Int
            var numLabelPairs: Int
            var chunkCount: Int
            var minTime: Int64
            var maxTime: Int64
        }

        struct Entry: Encodable {
            var name: String
            var value: UInt64
        }

        var headStats: HeadStats
        var seriesCountByMetricName: [Entry]
        var labelValueCountByLabelName: [Entry]
        var memoryInBytesByLabelName: [Entry]
        var seriesCountByLabelValuePair: [Entry]

        init(_ c: HeadCardinality) {
            // An empty head reports Prometheus' sentinels (MaxInt64 / MinInt64).
            headStats = HeadStats(numSeries: c.numSeries, numLabelPairs: c.numLabelPairs, chunkCount: c.chunkCount,
                                  minTime: c.minTime ?? .max, maxTime: c.maxTime ?? .min)
            func entries(_ xs: [HeadCardinality.Entry]) -> [Entry] { xs.map { Entry(name: $0.name, value: $0.value) } }
            seriesCountByMetricName = entries(c.seriesCountByMetricName)
            labelValueCountByLabelName = entries(c.labelValueCountByLabelName)
            memoryInBytesByLabelName = entries(c.memoryInBytesByLabelName)
            seriesCountByLabelValuePair = entries(c.seriesCountByLabelValuePair)
        }
    }

    /// `{"status":"success","data":<value>}` for the small, rarely called endpoints.
    static func encoded<T: Encodable>(_ data: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return json(ByteBuffer(bytes: try encoder.encode(Envelope(data: data))))
    }

    struct Envelope<T: Encodable>: Encodable {
        var status = "success"
        var data: T
    }

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// Threads of this process (what Go's goroutine count stands for here).
    static func threadCount() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return 0 }
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }
}
