import TSDB

/// `info(v, {data-label-selector})` (experimental in Prometheus 3): adds to
/// each series of `v` the data labels of the info series (`target_info` by
/// default) that share its identifying labels, `instance` and `job`.
///
/// - The selector's `__name__` matchers pick the info metrics; without any,
///   `target_info`; with only negative ones, names ending in `_info`.
/// - Its other matchers filter the info series, and limit the labels added
///   to the ones they name. Labels the series already has are kept.
/// - Among info series of one metric with the same identity, the one with
///   the newest sample wins; two metrics giving one label different values
///   is an error.
/// - A series met by no info series stays as it is, unless a data matcher
///   rejects the empty value: then it is dropped at that step.
/// - Series of `v` that are info series themselves (their name matches every
///   `__name__` matcher) pass unchanged.
/// - Info series are looked up at the time the series' samples come from:
///   `@` and `offset` inside `v` move it.
extension Evaluator {
    static let identifyingLabels = ["instance", "job"]

    /// The values of the identifying labels, which a series and its info series share.
    struct InfoIdentity: Hashable {
        var instance: String
        var job: String

        init(_ labels: Labels) {
            instance = labels["instance"]
            job = labels["job"]
        }
    }

    mutating func evalInfo(_ c: Call) throws(PromQLError) -> [StepSeries] {
        guard case .vector(let base) = try eval(c.args[0]) else { throw PromQLError("info() needs an instant vector") }
        var selector: [LabelMatcher] = []
        if c.args.count > 1 {
            guard case .vectorSelector(let vs) = c.args[1], vs.offset == nil, vs.at == nil else {
                throw PromQLError("expected label selectors as the second argument to \"info\" function")
            }
            selector = vs.matchers
        }
        var nameMatchers = selector.filter { $0.name == Labels.metricName }
        let dataMatchers = selector.filter { $0.name != Labels.metricName }
        if nameMatchers.isEmpty {
            nameMatchers = [.equal(Labels.metricName, "target_info")]
        } else if !nameMatchers.contains(where: { $0.type == .equal || $0.type == .regexMatch }) {
            nameMatchers.append(try! LabelMatcher(.regexMatch, Labels.metricName, ".+_info"))
        }
        let dataNames = Set(dataMatchers.map(\.name))
        let dropUnmatched = dataMatchers.contains { !$0.matchesEmpty }

        let infos = try infoRows(nameMatchers + dataMatchers, at: try infoReferenceTimes(c.args[0], selectorTimes(at: nil, offset: 0)))
        // Per info metric (in name order): its series by identity.
        var byMetric: [String: [InfoIdentity: [Int]]] = [:]
        for (j, info) in infos.enumerated() {
            byMetric[info.labels.metricName, default: [:]][InfoIdentity(info.labels), default: []].append(j)
        }
        let metrics = byMetric.keys.sorted().map { byMetric[$0]! }

        var output = OutputSeries(steps: steps, dropName: false, capacity: base.count)
        var chosen = [Int](repeating: -1, count: metrics.count)
        for s in base {
            if nameMatchers.allSatisfy({ $0.matches(s.labels.metricName) }) {
                try output.add(s)
                continue
            }
            let identity = InfoIdentity(s.labels)
            var lastChosen: [Int]?, out = -1
            for i in 0..<steps where s.present[i] {
                for (m, metric) in metrics.enumerated() {
                    chosen[m] = try Self.newestInfo(metric[identity] ?? [], infos, step: i)
                }
                if chosen.allSatisfy({ $0 < 0 }) && dropUnmatched { continue }
                if chosen != lastChosen {
                    let labels = try Self.enriched(s.labels, with: chosen.filter { $0 >= 0 }.map { infos[$0].labels }, only: dataNames)
                    out = output.series(labels, dropName: s.dropName)
                    lastChosen = chosen
                }
                try output.set(out, step: i, to: s.values[i])
            }
        }
        return output.series
    }

    /// An info series: its labels and, per step, the time of its sample then (nil: none).
    struct InfoRow {
        var labels: Labels
        var sampleTimes: [Double]
        var present: [Bool]
    }

    /// The info series matching `matchers`, with the newest sample at each of `times`.
    mutating func infoRows(_ matchers: [LabelMatcher], at times: [Int64]) throws(PromQLError) -> [InfoRow] {
        let (lookback, steps) = (options.lookbackDelta, steps)
        let series = try selectSeries(matchers, mint: times.min()! - lookback + 1, maxt: times.max()!, newestOnly: times.count == 1)
        // Info metrics are floats: a histogram selected at any step is an error, as in Prometheus.
        for s in series where s.hasHistograms {
            if let mixed = try mixedInstantSeries(s, times: times, lookback: lookback, sampleTimes: false),
               mixed.histograms?.contains(where: { $0 != nil }) == true {
                throw PromQLError("this should be an info metric, with float samples: \(Self.promLabels(s.labels))")
            }
        }
        let work = series.reduce(0) { $0 + $1.encodedByteCount } + series.count * steps
        let rows = try decodeRows(count: series.count, work: work) { k, buffer throws(PromQLError) in
            try Self.decode(series[k], into: &buffer, dropStale: false)
        } row: { _, samples in
            Self.instantRow(samples, times: times, lookback: lookback, steps: steps, sampleTimes: true)
        }
        return series.indices.compactMap { k in
            rows[k].map { InfoRow(labels: series[k].labels, sampleTimes: $0.values, present: $0.present) }
        }
    }

    /// Of the info series `candidates`, the one with the newest sample at step `i` (-1: none there).
    static func newestInfo(_ candidates: [Int], _ infos: [InfoRow], step i: Int) throws(PromQLError) -> Int {
        var best = -1
        for j in candidates where infos[j].present[i] {
            guard best >= 0 else { best = j; continue }
            let (t, bestT) = (infos[j].sampleTimes[i], infos[best].sampleTimes[i])
            if t == bestT {
                throw PromQLError("found duplicate series for info metric: existing \(Self.promLabels(infos[best].labels)) @ \(Int64((bestT * 1000).rounded())), new \(Self.promLabels(infos[j].labels)) @ \(Int64((t * 1000).rounded()))")
            }
            if t > bestT { best = j }
        }
        return best
    }

    /// `labels` with the data labels of `infos` it lacks (only `names`, if any are given).
    static func enriched(_ labels: Labels, with infos: [Labels], only names: Set<String>) throws(PromQLError) -> Labels {
        var added: [String: String] = [:]
        for info in infos {
            for l in info.pairs where l.name != Labels.metricName && (names.isEmpty || names.contains(l.name)) {
                if let v = added[l.name], v != l.value { throw PromQLError("conflicting label: \(l.name)") }
                if !labels[l.name].isEmpty { continue }
                added[l.name] = l.value
            }
        }
        var result = labels
        for (name, value) in added { result = result.setting(name, to: value) }
        return result
    }

    /// When the samples of `e` at each of `times` come from: `@` and `offset`
    /// on the way down to its first selector move it.
    func infoReferenceTimes(_ e: Expr, _ times: [Int64]) throws(PromQLError) -> [Int64] {
        func moved(_ at: AtModifier?, _ offset: DurationExpr?) throws(PromQLError) -> [Int64] {
            let o = try offsetMillis(offset), pinned = pinnedTime(at)
            return times.map { (pinned ?? $0) - o }
        }
        switch e {
        case .vectorSelector(let vs): return try moved(vs.at, vs.offset)
        case .matrixSelector(let ms): return try moved(ms.selector.at, ms.selector.offset)
        case .subquery(let sq): return try infoReferenceTimes(sq.expr, moved(sq.at, sq.offset))
        case .call(let call):
            guard let arg = call.args.first(where: { $0.type == .vector || $0.type == .matrix }) else { return times }
            return try infoReferenceTimes(arg, times)
        case .aggregate(let a): return try infoReferenceTimes(a.expr, times)
        case .binary(let b): return try infoReferenceTimes(b.lhs.type == .vector ? b.lhs : b.rhs, times)
        case .unary(_, let x), .paren(let x): return try infoReferenceTimes(x, times)
        case .number, .string: return times
        }
    }
}
