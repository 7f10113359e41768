import TSDB

/// Result series built step by step, one per distinct label set: what a
/// vector-to-vector operation or `info()` produces when several inputs may
/// land on the same labels (a second value at a step is an error).
struct OutputSeries {
    let steps: Int
    /// Whether every result drops the metric name (arithmetic, `bool`).
    let dropName: Bool
    private(set) var series: [StepSeries] = []
    private var index: [HashedLabels: Int] = [:]

    init(steps: Int, dropName: Bool, capacity: Int) {
        self.steps = steps
        self.dropName = dropName
        series.reserveCapacity(capacity)
        index.reserveCapacity(capacity)
    }

    /// The output series with `labels`, added if new.
    mutating func series(_ labels: Labels, dropName inputDropsName: Bool) -> Int {
        let key = HashedLabels(labels)
        if let existing = index[key] { return existing }
        index[key] = series.count
        series.append(StepSeries(labels: labels, values: Evaluator.StepArrays.zeros(steps), present: Evaluator.StepArrays.absent(steps),
                                 dropName: dropName || inputDropsName))
        return series.count - 1
    }

    /// Adds `s` as it is (merged into a series with its labels, if any).
    mutating func add(_ s: StepSeries) throws(PromQLError) {
        let k = series(s.labels, dropName: s.dropName)
        for i in 0..<steps where s.present[i] { try set(k, step: i, to: s.values[i]) }
    }

    /// Sets series `k` at step `i` to a float or a histogram.
    mutating func set(_ k: Int, step i: Int, to value: Evaluator.StepValue) throws(PromQLError) {
        switch value {
        case .float(let v): try set(k, step: i, to: v)
        case .histogram(let h):
            if series[k].hasValue(i) { throw Self.duplicate }
            series[k].setHistogram(i, h, steps: steps)
        }
    }

    static let duplicate = PromQLError("multiple matches for labels: grouping labels must ensure unique matches")

    /// Sets series `k` at step `i`; a second value there means two pairs gave the same labels.
    mutating func set(_ k: Int, step i: Int, to v: Double) throws(PromQLError) {
        if series[k].hasValue(i) {
            throw Self.duplicate
        }
        series[k].values[i] = v
        series[k].present[i] = true
    }
}
