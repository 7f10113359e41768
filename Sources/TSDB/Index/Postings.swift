/// A series reference: in the head, a stable id assigned at creation (also
/// written to the WAL); in a block, the series' ordinal in its index.
public typealias SeriesRef = UInt64

/// Set operations on postings lists (sorted, duplicate-free series
/// references), each linear in the total input length.
public enum Postings {
    public static func intersect(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
        var out: [SeriesRef] = []
        out.reserveCapacity(Swift.min(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let x = a[i], y = b[j]
            if x == y {
                out.append(x); i += 1; j += 1
            } else if x < y {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }

    /// Intersects many lists, shortest first so the work shrinks fast.
    public static func intersect(_ lists: [[SeriesRef]]) -> [SeriesRef] {
        guard var acc = lists.min(by: { $0.count < $1.count }) else { return [] }
        for l in lists.sorted(by: { $0.count < $1.count }).dropFirst() {
            if acc.isEmpty { break }
            acc = intersect(acc, l)
        }
        return acc
    }

    public static func union(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
        var out: [SeriesRef] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let x = a[i], y = b[j]
            if x == y {
                out.append(x); i += 1; j += 1
            } else if x < y {
                out.append(x); i += 1
            } else {
                out.append(y); j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// Unions many lists by pairwise merging (O(n log k)).
    public static func union(_ lists: [[SeriesRef]]) -> [SeriesRef] {
        var level = lists.filter { !$0.isEmpty }
        if level.isEmpty { return [] }
        while level.count > 1 {
            var next: [[SeriesRef]] = []
            next.reserveCapacity((level.count + 1) / 2)
            var k = 0
            while k + 1 < level.count {
                next.append(union(level[k], level[k + 1]))
                k += 2
            }
            if k < level.count { next.append(level[k]) }
            level = next
        }
        return level[0]
    }

    /// Elements of `a` not in `b`.
    public static func subtract(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
        if b.isEmpty { return a }
        var out: [SeriesRef] = []
        out.reserveCapacity(a.count)
        var j = 0
        for x in a {
            while j < b.count && b[j] < x { j += 1 }
            if j < b.count && b[j] == x { continue }
            out.append(x)
        }
        return out
    }
}
