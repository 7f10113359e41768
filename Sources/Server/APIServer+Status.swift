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
            Self.json(PrometheusJSON.object([("yaml", self.config.yaml)]))
        }
        router.get("/api/v1/status/flags") { _, _ in
            // Go's encoding/json writes map keys sorted.
            Self.json(PrometheusJSON.object(self.options.flags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        }
        router.get("/api/v1/status/runtimeinfo") { _, _ in
            Self.json(PrometheusJSON.success(self.runtimeInfo()))
        }
        router.get("/api/v1/status/walreplay") { _, _ in
            let r = self.slot.replay
            return Self.json(PrometheusJSON.success(.object([
                ("min", .int(Int64(r.min))), ("max", .int(Int64(r.max))), ("current", .int(Int64(r.current))),
            ])))
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
                return Self.json(PrometheusJSON.success(Self.tsdbStatus(try self.database().head.cardinality(limit: limit))))
            } catch let e as APIError {
                return Self.failure(e)
            }
        }
    }

    /// Prometheus' `RuntimeInfo`, keys in its field order.
    func runtimeInfo() -> JSONValue {
        let report = slot.db?.replayReport
        return .object([
            ("startTime", .string(Self.rfc3339(startTime))),
            ("CWD", .string(FileManager.default.currentDirectoryPath)),
            ("hostname", .string(ProcessInfo.processInfo.hostName)),
            ("serverTime", .string(Self.rfc3339(Date()))),
            ("reloadConfigSuccess", .bool(config.lastReloadSucceeded)),
            ("lastConfigTime", .string(Self.rfc3339(config.lastSuccessfulLoad))),
            ("corruptionCount", .int(report?.corruption == nil ? 0 : 1)),
            ("goroutineCount", .int(Int64(Self.threadCount()))),
            ("GOMAXPROCS", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
            ("GOMEMLIMIT", .int(.max)),
            ("GOGC", .string("")),
            ("GODEBUG", .string("")),
            ("storageRetention", .string(options.storageRetention)),
        ])
    }

    /// `/api/v1/status/tsdb`'s `data`, keys in Prometheus' field order. An empty
    /// head reports Prometheus' sentinels (MaxInt64 / MinInt64) as its time range.
    static func tsdbStatus(_ c: HeadCardinality) -> JSONValue {
        func entries(_ xs: [HeadCardinality.Entry]) -> JSONValue {
            .array(xs.map { .object([("name", .string($0.name)), ("value", .int(Int64(clamping: $0.value)))]) })
        }
        return .object([
            ("headStats", .object([
                ("numSeries", .int(Int64(c.numSeries))), ("numLabelPairs", .int(Int64(c.numLabelPairs))),
                ("chunkCount", .int(Int64(c.chunkCount))), ("minTime", .int(c.minTime ?? .max)), ("maxTime", .int(c.maxTime ?? .min)),
            ])),
            ("seriesCountByMetricName", entries(c.seriesCountByMetricName)),
            ("labelValueCountByLabelName", entries(c.labelValueCountByLabelName)),
            ("memoryInBytesByLabelName", entries(c.memoryInBytesByLabelName)),
            ("seriesCountByLabelValuePair", entries(c.seriesCountByLabelValuePair)),
        ])
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
