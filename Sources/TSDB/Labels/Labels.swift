/// The identity of a series: a set of label pairs sorted by name (byte order),
/// names unique, no empty values (an empty value means "label absent", so such
/// pairs are dropped on construction). `__name__` holds the metric name.
///
/// Equality and ordering compare the pairs; `stableHash` is a 64-bit hash
/// that is the same across processes and versions (it is never persisted, but
/// sharding and tests rely on it being deterministic).
public struct Labels: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The pairs, sorted by name, names unique, values non-empty.
    public private(set) var pairs: [Label]

    public static let metricName = "__name__"
    public static let empty = Labels(sortedUnchecked: [])

    /// Builds a label set from pairs in any order; drops empty values; the last
    /// of duplicate names wins. Does not validate UTF-8 (Swift strings are
    /// always valid Unicode); use `init(validating:)` for outside bytes.
    public init(_ pairs: [Label]) {
        if Self.isCanonical(pairs) {  // mostly already so: no copy, no sort
            self.pairs = pairs
            return
        }
        var sorted = pairs.filter { !$0.value.isEmpty }
        sorted.sort { $0.name.utf8Precedes($1.name) }
        var out: [Label] = []
        out.reserveCapacity(sorted.count)
        for p in sorted {
            if let last = out.last, last.name == p.name { out[out.count - 1] = p } else { out.append(p) }
        }
        self.pairs = out
    }

    /// Sorted by name, names unique, no empty value.
    static func isCanonical(_ pairs: [Label]) -> Bool {
        for i in pairs.indices {
            if pairs[i].value.isEmpty || (i > 0 && !pairs[i - 1].name.utf8Precedes(pairs[i].name)) { return false }
        }
        return true
    }

    public init(_ dict: KeyValuePairs<String, String>) {
        self.init(dict.map { Label($0.key, $0.value) })
    }

    public init(_ dict: [String: String]) {
        self.init(dict.map { Label($0.key, $0.value) })
    }

    /// Trusted constructor: the caller guarantees sorting, uniqueness and non-empty values.
    @usableFromInline
    init(sortedUnchecked pairs: [Label]) { self.pairs = pairs }

    /// Builds a label set from raw bytes (WAL, index, network), rejecting
    /// invalid UTF-8 and empty names with an error that names the offending pair.
    public init(validating raw: [(name: [UInt8], value: [UInt8])]) throws {
        var pairs: [Label] = []
        pairs.reserveCapacity(raw.count)
        for (i, p) in raw.enumerated() {
            guard let n = String(validating: p.name, as: UTF8.self) else {
                throw TSDBError(.invalidLabels, "label name #\(i + 1) is not valid UTF-8: \(Labels.hex(p.name))")
            }
            guard !n.isEmpty else { throw TSDBError(.invalidLabels, "label name #\(i + 1) is empty") }
            guard let v = String(validating: p.value, as: UTF8.self) else {
                throw TSDBError(.invalidLabels, "value of label \"\(n)\" is not valid UTF-8: \(Labels.hex(p.value))")
            }
            pairs.append(Label(n, v))
        }
        self.init(pairs)
    }

    private static func hex(_ b: [UInt8]) -> String {
        b.prefix(32).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
    }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }

    /// The value of `name`, or "" when the label is absent.
    public subscript(name: String) -> String {
        for p in pairs where p.name == name { return p.value }
        return ""
    }

    public var metricName: String { self[Labels.metricName] }

    /// A copy with `name` set to `value` (removed when `value` is empty).
    public func setting(_ name: String, to value: String) -> Labels {
        var ps: [Label] = []
        ps.reserveCapacity(pairs.count + 1)
        var placed = value.isEmpty  // nothing to insert, only an old pair to drop
        for p in pairs {
            if !placed && !p.name.utf8Precedes(name) {
                ps.append(Label(name, value))
                placed = true
                if p.name == name { continue }
            } else if p.name == name {
                continue
            }
            ps.append(p)
        }
        if !placed { ps.append(Label(name, value)) }
        return Labels(sortedUnchecked: ps)
    }

    /// A copy with only the labels named in `names`.
    public func keeping(_ names: [String]) -> Labels {
        filter { names.contains($0.name) }
    }

    /// A copy with only the pairs `isIncluded` accepts (still sorted: no re-sort).
    public func filter(_ isIncluded: (Label) -> Bool) -> Labels {
        Labels(sortedUnchecked: pairs.filter(isIncluded))
    }

    /// A copy without the label `name` (cheaper than the set version for one name).
    public func removing(_ name: String) -> Labels {
        filter { $0.name != name }
    }

    public func removing(_ names: Set<String>) -> Labels {
        // One name (the metric name, mostly): string comparison, not a set lookup per label.
        if names.count == 1, let name = names.first { return removing(name) }
        return filter { !names.contains($0.name) }
    }

    /// A deterministic 64-bit hash (xxHash64-style mixing over name 0xff value 0xff ...).
    public var stableHash: UInt64 {
        var h = StableHasher()
        for p in pairs {
            h.combine(p.name.utf8)
            h.combine(0xff)
            h.combine(p.value.utf8)
            h.combine(0xff)
        }
        return h.finalize()
    }

    /// Pair by pair, name then value, in byte order; a prefix sorts first. The
    /// pairs are read in place (copying a pair out retains its two strings,
    /// which was most of the cost of sorting a query's result).
    public static func < (a: Labels, b: Labels) -> Bool {
        withUnsafePointer(to: a) { a in withUnsafePointer(to: b) { b in precedes(a, b) } }
    }

    /// `a.pointee < b.pointee`, reading both in place: for sorts that would
    /// otherwise retain and release the two label sets at every comparison.
    public static func precedes(_ a: UnsafePointer<Labels>, _ b: UnsafePointer<Labels>) -> Bool {
        a.pointee.pairs.withUnsafeBufferPointer { x in
            b.pointee.pairs.withUnsafeBufferPointer { y in
                for i in 0..<min(x.count, y.count) {
                    if x[i].name != y[i].name { return x[i].name.utf8Precedes(y[i].name) }
                    if x[i].value != y[i].value { return x[i].value.utf8Precedes(y[i].value) }
                }
                return x.count < y.count
            }
        }
    }

    /// Prometheus notation: `name{a="x", b="y"}`.
    public var description: String {
        let name = metricName
        let rest = pairs.filter { $0.name != Labels.metricName }
            .map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ", ")
        if rest.isEmpty { return name.isEmpty ? "{}" : name }
        return "\(name){\(rest)}"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}
