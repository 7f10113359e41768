/// The head's inverted index: for every label name and value, the sorted
/// references of the series carrying it. Not thread-safe; the head's lock guards it.
struct MemPostings: IndexReader {
    private(set) var lists: [String: [String: [SeriesRef]]] = [:]
    private(set) var all: [SeriesRef] = []

    mutating func add(_ ref: SeriesRef, _ labels: Labels) {
        MemPostings.insert(ref, into: &all)
        for l in labels.pairs {
            MemPostings.insert(ref, into: &lists[l.name, default: [:]][l.value, default: []])
        }
    }

    /// Keeps the list sorted: refs almost always arrive in increasing order.
    private static func insert(_ ref: SeriesRef, into list: inout [SeriesRef]) {
        if let last = list.last, last >= ref {
            var lo = 0, hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if list[mid] < ref { lo = mid + 1 } else { hi = mid }
            }
            if lo < list.count && list[lo] == ref { return }
            list.insert(ref, at: lo)
        } else {
            list.append(ref)
        }
    }

    mutating func remove(_ dead: Set<SeriesRef>, labels: [Labels]) {
        guard !dead.isEmpty else { return }
        all.removeAll { dead.contains($0) }
        var touched: [String: Set<String>] = [:]
        for ls in labels { for l in ls.pairs { touched[l.name, default: []].insert(l.value) } }
        for (name, values) in touched {
            for v in values {
                lists[name]?[v]?.removeAll { dead.contains($0) }
                if lists[name]?[v]?.isEmpty == true { lists[name]?[v] = nil }
            }
            if lists[name]?.isEmpty == true { lists[name] = nil }
        }
    }

    func labelValues(_ name: String) -> [String] {
        (lists[name]?.keys).map { $0.sorted { $0.utf8Precedes($1) } } ?? []
    }

    func labelNames() -> [String] { lists.keys.sorted { $0.utf8Precedes($1) } }
    func postings(_ name: String, _ value: String) -> [SeriesRef] { lists[name]?[value] ?? [] }
    func allPostings() -> [SeriesRef] { all }
}
