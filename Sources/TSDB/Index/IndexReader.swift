/// Read access to an inverted label index (the head's or a block's): what
/// `postings(for:)` needs to resolve matchers to series references.
public protocol IndexReader {
    /// All values of a label name, sorted.
    func labelValues(_ name: String) -> [String]
    /// Label names present in the index, sorted.
    func labelNames() -> [String]
    /// Series having `name=value`, sorted; empty if none.
    func postings(_ name: String, _ value: String) -> [SeriesRef]
    /// Every series, sorted.
    func allPostings() -> [SeriesRef]
}

extension IndexReader {
    /// Resolves matchers to the sorted series references satisfying all of
    /// them, with Prometheus semantics for empty values and negative matchers:
    /// matchers that accept "" are applied by subtracting the series whose
    /// value they reject, so series lacking the label are kept.
    public func postings(for matchers: [LabelMatcher]) -> [SeriesRef] {
        var positive: [[SeriesRef]] = []
        var negative: [[SeriesRef]] = []
        for m in matchers {
            if m.matchesEmpty {
                // `{x=~".*"}` and the like accept every value: no constraint.
                if case .anything = m.matcher, m.type == .regexMatch { continue }
                negative.append(postingsMatching(m.inverse))
            } else {
                positive.append(postingsMatching(m))
            }
        }
        var result = positive.isEmpty ? allPostings() : Postings.intersect(positive)
        if !negative.isEmpty && !result.isEmpty {
            result = Postings.subtract(result, Postings.union(negative))
        }
        return result
    }

    /// Union of postings of all values of `m.name` that `m` accepts
    /// (never includes series lacking the label).
    public func postingsMatching(_ m: LabelMatcher) -> [SeriesRef] {
        if let values = m.positiveSet {
            return Postings.union(values.filter { !$0.isEmpty }.map { postings(m.name, $0) })
        }
        let values = labelValues(m.name).filter { m.matches($0) }
        return Postings.union(values.map { postings(m.name, $0) })
    }
}
