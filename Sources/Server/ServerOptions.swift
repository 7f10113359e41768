import Foundation
import PromQL
import TSDB

/// How the server was started: the switches its handlers consult, and every
/// command-line flag with its effective value for `/api/v1/status/flags`
/// (Prometheus' flag names, so that tools reading that page keep working).
public struct ServerOptions: Sendable {
    /// `--web.enable-admin-api`: the `/api/v1/admin/tsdb/*` endpoints answer only when set.
    public var adminAPI = false
    /// `--web.enable-lifecycle`: `POST /-/reload` and `/-/quit` answer only when set.
    public var lifecycleAPI = false
    /// `--query.max-concurrency`: queries evaluated at once; more wait in a queue.
    public var maxConcurrentQueries = 20
    /// Queries allowed to wait for a slot; beyond this the server answers 503.
    public var maxQueuedQueries = 200
    /// `--storage.tsdb.retention.time` / `.size` as given ("" when unset), for status pages.
    public var retentionTime = ""
    public var retentionSize = ""
    /// Largest accepted request body (remote write, form posts).
    public var maxRequestBodyBytes = 64 << 20
    /// Every flag by Prometheus name with its effective value, as `/api/v1/status/flags` shows it.
    public var flags: [String: String] = [:]

    public init() {}

    /// Prometheus' `--storage.tsdb.retention.size` units (see `ByteSizeFormat`). Nil if malformed.
    public static func parseBytes(_ s: String) -> Int64? { ByteSizeFormat.parse(s) }

    /// The retention in effect as (duration ms, bytes): Prometheus keeps 15 days
    /// when neither flag is given; a size alone sets no time limit.
    public var effectiveRetention: (duration: Int64?, bytes: Int64?) {
        let bytes = retentionSize.isEmpty ? nil : Self.parseBytes(retentionSize)
        let duration = retentionTime.isEmpty ? (bytes == nil ? 15 * 86_400_000 : nil) : DurationFormat.parse(retentionTime)
        return (duration, bytes)
    }

    /// Prometheus' summary of the retention in effect (`15d`, `15d or 512MiB`).
    public var storageRetention: String {
        switch (retentionTime.isEmpty, retentionSize.isEmpty) {
        case (true, true): "15d"
        case (false, true): retentionTime
        case (true, false): retentionSize
        case (false, false): "\(retentionTime) or \(retentionSize)"
        }
    }
}
