import Synchronization

/// Interns strings so that every equal label name or value in the head
/// shares one heap buffer. Thread-safe.
///
/// Swift strings of 16 or more UTF-8 bytes live on the heap; without interning
/// a million series with `instance="web-001.dc1.example.internal:9100"` would
/// hold a million copies of the same bytes.
public final class SymbolTable: Sendable {
    private let table = Mutex<Set<String>>([])

    public init() {}

    public func intern(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }  // small strings are stored inline anyway
        return table.withLock { set in
            if let existing = set.firstIndex(of: s) { return set[existing] }
            set.insert(s)
            return s
        }
    }

    public func intern(_ labels: Labels) -> Labels {
        Labels(sortedUnchecked: labels.pairs.map { Label(intern($0.name), intern($0.value)) })
    }

    /// Drops every string not in `keep` (called after the head drops series).
    public func retain(only keep: Set<String>) {
        table.withLock { $0 = $0.intersection(keep) }
    }

    public var count: Int { table.withLock { $0.count } }
}
