import Ingest
import Synchronization

/// The metric metadata (type, help, unit) the server has been told about —
/// today by remote write, which Prometheus sends every `metadata_config.send_interval` —
/// kept in memory like Prometheus' scrape caches and served by `/api/v1/metadata`.
public final class MetadataStore: Sendable {
    public struct Entry: Hashable, Sendable {
        public var kind: MetricMetadata.Kind
        public var help: String
        public var unit: String
    }

    private let families = Mutex<[String: [Entry]]>([:])
    /// Distinct entries kept per family (targets may disagree on help text).
    let perFamily: Int
    /// Families kept; beyond this, new families are ignored (bounded memory).
    let capacity: Int

    public init(perFamily: Int = 8, capacity: Int = 1_000_000) {
        self.perFamily = perFamily
        self.capacity = capacity
    }

    public func record(_ metadata: [MetricMetadata]) {
        families.withLock { f in
            for m in metadata where !m.family.isEmpty {
                let entry = Entry(kind: m.kind, help: m.help, unit: m.unit)
                if var list = f[m.family] {
                    guard !list.contains(entry), list.count < perFamily else { continue }
                    list.append(entry)
                    f[m.family] = list
                } else if f.count < capacity {
                    f[m.family] = [entry]
                }
            }
        }
    }

    /// Families sorted by name, `metric` alone if given; at most `limit` families
    /// and `limitPerMetric` entries each (negative: no limit), as Prometheus counts them.
    public func list(metric: String?, limit: Int, limitPerMetric: Int) -> [(family: String, entries: [Entry])] {
        let snapshot = families.withLock { f in metric.map { name in f[name].map { [name: $0] } ?? [:] } ?? f }
        var out: [(String, [Entry])] = []
        for name in snapshot.keys.sorted() {
            if limit >= 0 && out.count >= limit { break }
            let entries = snapshot[name]!
            out.append((name, limitPerMetric > 0 ? Array(entries.prefix(limitPerMetric)) : entries))
        }
        return out
    }
}
