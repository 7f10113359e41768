import TSDB

/// Numbers the parts of label sets that aggregation groups and vector
/// matching look at — `by`/`on` keep the listed names, `without`/`ignoring`
/// drop them — so that series with the same part get the same small integer
/// (0, 1, 2, … in order of first appearance). A series' part is hashed and
/// compared in place; its label set is built only when the part is new, so
/// assigning thousands of series to a few groups allocates nothing per
/// series (building a label set per series was a sixth of an instant
/// `sum by (instance) (rate(…))`).
struct LabelGroups {
    /// With `keeping`, the part is the listed names; otherwise all but them.
    private let names: [String]
    private let keeping: Bool
    /// A group with the hash, and per group the next one with the same hash (-1: none).
    private var firstWithHash: [Int: Int] = [:]
    private var nextWithHash: [Int] = []
    /// Each group's part, as a label set (sorted, as every `Labels`).
    private(set) var keys: [Labels] = []

    /// Groups by the listed names only (`by`, `on`).
    init(keeping names: [String]) {
        self.names = names
        self.keeping = true
    }

    /// Groups by every name but the listed ones (`without`, `ignoring`).
    init(dropping names: [String]) {
        self.names = names
        self.keeping = false
    }

    var count: Int { keys.count }

    @inline(__always)
    private func isPart(_ name: String) -> Bool { names.contains(name) == keeping }

    /// The group of `labels`' part, numbering it if it is new.
    mutating func id(of labels: Labels) -> Int {
        // The pairs are read in place: copying one out retains its two strings.
        let hash = labels.pairs.withUnsafeBufferPointer { pairs in
            var hasher = Hasher()
            for i in pairs.indices where isPart(pairs[i].name) {
                hasher.combine(pairs[i].name)
                hasher.combine(pairs[i].value)
            }
            return hasher.finalize()
        }
        var candidate = firstWithHash[hash] ?? -1
        while candidate >= 0 {
            if hasPart(labels, equalTo: keys[candidate]) { return candidate }
            candidate = nextWithHash[candidate]
        }
        let id = keys.count
        keys.append(labels.filter { isPart($0.name) })
        nextWithHash.append(firstWithHash[hash] ?? -1)
        firstWithHash[hash] = id
        return id
    }

    /// The series of each group (index: group id), in input order, given each series' id.
    func members(_ ids: [Int]) -> [[Int]] {
        var out = [[Int]](repeating: [], count: count)
        for (k, id) in ids.enumerated() { out[id].append(k) }
        return out
    }

    /// Whether the part of `labels` is `key` (both in name order).
    private func hasPart(_ labels: Labels, equalTo key: Labels) -> Bool {
        labels.pairs.withUnsafeBufferPointer { pairs in
            key.pairs.withUnsafeBufferPointer { keyPairs in
                var j = 0
                for i in pairs.indices where isPart(pairs[i].name) {
                    guard j < keyPairs.count, keyPairs[j].name == pairs[i].name, keyPairs[j].value == pairs[i].value else { return false }
                    j += 1
                }
                return j == keyPairs.count
            }
        }
    }
}
