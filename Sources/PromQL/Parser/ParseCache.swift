import Synchronization

/// The syntax trees of recently parsed queries, by query text.
///
/// Dashboards and API clients send the same query texts over and over
/// (a Grafana panel re-sends its query on every refresh); parsing one is a
/// twentieth of a small instant query's work, more with cold caches. Only
/// successful parses are kept, texts up to `maxTextBytes`; past `capacity`
/// entries the least recently used goes.
public final class ParseCache: Sendable {
    public let capacity: Int
    public static let maxTextBytes = 4096

    private struct Entry {
        var expr: Expr
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
    }

    /// The tree of `text`: from the cache, or parsed (and kept) now.
    public func parse(_ text: String) throws(PromQLError) -> Expr {
        guard text.utf8.count <= Self.maxTextBytes else { return try Parser.parse(text) }
        let cached: Expr? = state.withLock { s in
            s.clock += 1
            guard var entry = s.entries[text] else { return nil }
            entry.lastUse = s.clock
            s.entries[text] = entry
            return entry.expr
        }
        if let cached { return cached }
        let expr = try Parser.parse(text)
        state.withLock { s in
            if s.entries.count >= capacity, s.entries[text] == nil,
               let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                s.entries[oldest] = nil
            }
            s.clock += 1
            s.entries[text] = Entry(expr: expr, lastUse: s.clock)
        }
        return expr
    }

    /// Entries held (for tests).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Whether `text`'s tree is held (for tests; does not count as a use).
    public func contains(_ text: String) -> Bool { state.withLock { $0.entries[text] != nil } }
}
