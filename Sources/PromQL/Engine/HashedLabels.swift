import TSDB

/// A label set with its hash computed once: the key of the evaluator's
/// matching dictionaries, where each signature is inserted and looked up
/// several times (hashing every label string each time was a fifth of a
/// small binary-operator query).
struct HashedLabels: Hashable {
    let labels: Labels
    private let hash: Int

    init(_ labels: Labels) {
        self.labels = labels
        self.hash = labels.hashValue
    }

    static func == (a: HashedLabels, b: HashedLabels) -> Bool { a.hash == b.hash && a.labels == b.labels }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}
