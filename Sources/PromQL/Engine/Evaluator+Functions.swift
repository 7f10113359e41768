import Foundation
import TSDB

/// Function calls. Functions over range vectors get, for every step, the
/// samples of each series in the step's window (t - range, t], found by
/// sliding two cursors over the series' samples (decoded once).
extension Evaluator {
    /// Whether a range function's result loses the metric name (all but the two that pick a sample).
    static func rangeFunctionDropsName(_ name: String) -> Bool { name != "last_over_time" && name != "first_over_time" }

    mutating func evalCall(_ c: Call) throws(PromQLError) -> EvalValue {
        let name = c.function.name
        if let f = Self.mathFunctions[name] {
            return .vector(try mapVector(c.args[0]) { v, _ in f(v) })
        }
        if let f = Self.histogramStatistics[name] {
            return .vector(try histogramStatistic(c, f))
        }
        if let f = Self.rangeFunctions[name] {
            return .vector(try rangeFunction(c, dropName: Self.rangeFunctionDropsName(name), f))
        }
        switch name {
        case "histogram_quantile", "histogram_fraction":
            return .vector(try evalHistogramFunction(c))
        case "double_exponential_smoothing":
            let sf = try scalarArg(c.args[1]), tf = try scalarArg(c.args[2])
            for i in 0..<steps {
                guard sf[i] > 0 && sf[i] < 1 else {
                    throw PromQLError("invalid smoothing factor. Expected: 0 < sf < 1, got: \(GoFormat.formatFloat(sf[i]))")
                }
                guard tf[i] > 0 && tf[i] < 1 else {
                    throw PromQLError("invalid trend factor. Expected: 0 < tf < 1, got: \(GoFormat.formatFloat(tf[i]))")
                }
            }
            let out = try smoothing(c.args[0], sf, tf)
            // Histogram samples are left out; Prometheus says so where floats remained beside them.
            if let name = out.first(where: { s in s.present.contains(true) && histogramsSelected(c.args[0], s.labels) })?.labels.metricName {
                annotations.histogramsIgnoredInMixedRange(metric: name, at: c.argPosition(0))
            }
            return .vector(out)
        case "histogram_quantiles":
            // One series per requested quantile, labelled with it.
            let label = try stringArg(c.args[1])
            var out: [StepSeries] = []
            for (n, qExpr) in c.args.enumerated().dropFirst(2) {
                let qs = try scalarArg(qExpr)
                let single = Call(function: Function.all["histogram_quantile"]!, args: [qExpr, c.args[0]],
                                  position: c.position, argPositions: [c.argPosition(n), c.argPosition(0)])
                for var s in try evalHistogramFunction(single) {
                    s.labels = s.labels.setting(label, to: GoFormat.floatLabelValue(qs[0]))
                    out.append(s)
                }
            }
            return .vector(out)
        case "label_replace":
            return .vector(try labelReplace(c))
        case "label_join":
            return .vector(try labelJoin(c))
        case "info":
            return .vector(try evalInfo(c))
        case "absent_over_time":
            let present = try rangeFunction(c, dropName: true, WindowFunction { _ in 1 })
            let absent = (0..<steps).map { i in !present.contains { $0.present[i] } }
            guard absent.contains(true) else { return .vector([]) }
            return .vector([StepSeries(labels: Self.absentLabels(c.args[0]), values: [Double](repeating: 1, count: steps), present: absent)])
        case "step": return .scalar([Double](repeating: Double(query.step) / 1000, count: steps))
        case "range": return .scalar([Double](repeating: Double(query.range) / 1000, count: steps))
        case "start": return .scalar([Double](repeating: Double(query.start) / 1000, count: steps))
        case "end": return .scalar([Double](repeating: Double(query.end) / 1000, count: steps))
        case "min_of", "max_of":
            let a = try scalarArg(c.args[0]), b = try scalarArg(c.args[1])
            return .scalar(zip(a, b).map { x, y in
                if x.isNaN || y.isNaN { return .nan }
                return name == "min_of" ? Swift.min(x, y) : Swift.max(x, y)
            })
        case "sort_by_label", "sort_by_label_desc":
            if step != 0 { annotations.sortInRangeQuery(at: c.position) }
            // Ordering is applied to instant results by the engine; histogram samples are left out.
            guard case .vector(var series) = try eval(c.args[0]) else { throw PromQLError("expected an instant vector argument") }
            guard series.contains(where: { $0.histograms != nil }) else { return .vector(series) }
            for k in series.indices { series[k].histograms = nil }
            return .vector(series.filter { $0.present.contains(true) })
        case "time": return .scalar((0..<steps).map { Double(time($0)) / 1000 })
        case "pi": return .scalar([Double](repeating: .pi, count: steps))
        case "vector":
            guard case .scalar(let vs) = try eval(c.args[0]) else { throw PromQLError("vector() needs a scalar") }
            return .vector([StepSeries(labels: .empty, values: vs, present: [Bool](repeating: true, count: steps))])
        case "scalar":
            guard case .vector(let series) = try eval(c.args[0]) else { throw PromQLError("scalar() needs a vector") }
            return .scalar((0..<steps).map { i in
                let live = series.filter { $0.present[i] }
                return live.count == 1 ? live[0].values[i] : .nan
            })
        case "round":
            let nearest = c.args.count > 1 ? try scalarArg(c.args[1]) : [Double](repeating: 1, count: steps)
            return .vector(try mapVector(c.args[0]) { v, i in
                let inv = 1 / nearest[i]
                return (v * inv + 0.5).rounded(.down) / inv
            })
        case "clamp":
            let lo = try scalarArg(c.args[1]), hi = try scalarArg(c.args[2])
            var out = try mapVector(c.args[0]) { v, i in Self.goMax(lo[i], Self.goMin(hi[i], v)) }
            for k in out.indices { for i in 0..<steps where lo[i] > hi[i] { out[k].present[i] = false } }
            return .vector(out.filter { $0.present.contains(true) })
        case "clamp_min":
            let lo = try scalarArg(c.args[1])
            return .vector(try mapVector(c.args[0]) { v, i in Self.goMax(lo[i], v) })
        case "clamp_max":
            let hi = try scalarArg(c.args[1])
            return .vector(try mapVector(c.args[0]) { v, i in Self.goMin(hi[i], v) })
        case "timestamp":
            if case .vectorSelector(let vs) = c.args[0].withoutParens {
                var series = try selectInstant(vs, sampleTimes: true)
                for k in series.indices { series[k].dropName = true }
                return .vector(series)
            }
            let (t0, dt) = (start, step)
            return .vector(try mapVector(c.args[0]) { _, i in Double(t0 + Int64(i) * dt) / 1000 })
        case "sort", "sort_desc":
            if step != 0 { annotations.sortInRangeQuery(at: c.position) }
            // Ordering is applied to instant results by the engine; histogram samples are left out.
            guard case .vector(var series) = try eval(c.args[0]) else { throw PromQLError("expected an instant vector argument") }
            guard series.contains(where: { $0.histograms != nil }) else { return .vector(series) }
            for k in series.indices { series[k].histograms = nil }
            return .vector(series.filter { $0.present.contains(true) })
        case "absent":
            guard case .vector(let series) = try eval(c.args[0]) else { throw PromQLError("absent() needs a vector") }
            let present = (0..<steps).map { i in !series.contains { $0.hasValue(i) } }
            guard present.contains(true) else { return .vector([]) }
            return .vector([StepSeries(labels: Self.absentLabels(c.args[0]), values: [Double](repeating: 1, count: steps), present: present)])
        case "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year":
            let f = Self.dateFunction(name)
            if c.args.isEmpty {
                return .vector([StepSeries(labels: .empty, values: (0..<steps).map { f(Double(time($0)) / 1000) },
                                           present: [Bool](repeating: true, count: steps))])
            }
            return .vector(try mapVector(c.args[0]) { v, _ in f(v) })
        default:
            throw PromQLError("function \"\(name)\" is not supported yet")
        }
    }

    /// Holt's double exponential smoothing of each window (Prometheus' algorithm).
    mutating func smoothing(_ arg: Expr, _ sf: [Double], _ tf: [Double]) throws(PromQLError) -> [StepSeries] {
        try forEachWindow(of: arg, dropName: true) { w, i in
            guard w.count >= 2 else { return nil }
            var s0 = 0.0, s1 = w[0].v
            var b = w[1].v - w[0].v
            for k in 1..<w.count {
                let x = sf[i] * w[k].v
                if k > 1 { b = tf[i] * (s1 - s0) + (1 - tf[i]) * b }
                let y = (1 - sf[i]) * (s1 + b)
                (s0, s1) = (s1, x + y)
            }
            return s1
        }
    }

    /// Whether the range selector `arg` holds histogram samples of the series with `labels` in the query's windows.
    func histogramsSelected(_ arg: Expr, _ labels: Labels) -> Bool {
        guard case .matrixSelector(let ms) = arg.withoutParens,
              let offset = try? offsetMillis(ms.selector.offset), let range = try? ms.range.evaluate(step: query.step, range: query.range) else {
            return false
        }
        let times = selectorTimes(at: ms.selector.at, offset: offset)
        let matchers = ms.selector.matchers + labels.pairs.filter { $0.name != Labels.metricName }.map { LabelMatcher.equal($0.name, $0.value) }
        guard let series = try? selectSeries(matchers, mint: times.min()! - range + 1, maxt: times.max()!) else { return false }
        return series.contains { $0.hasHistograms }
    }

    mutating func scalarArg(_ e: Expr) throws(PromQLError) -> [Double] {
        guard case .scalar(let vs) = try eval(e) else { throw PromQLError("expected a scalar argument") }
        return vs
    }

    /// Applies `f` to every present value; the metric name is dropped.
    mutating func mapVector(_ arg: Expr, _ f: (Double, Int) -> Double) throws(PromQLError) -> [StepSeries] {
        guard case .vector(var series) = try eval(arg) else { throw PromQLError("expected an instant vector argument") }
        for k in series.indices {
            series[k].dropName = true
            series[k].histograms = nil  // float functions leave histogram samples out
            for i in 0..<steps where series[k].present[i] { series[k].values[i] = f(series[k].values[i], i) }
        }
        return series.filter { $0.present.contains(true) }
    }

    static let mathFunctions: [String: @Sendable (Double) -> Double] = [
        "abs": { abs($0) }, "ceil": { ceil($0) }, "floor": { floor($0) }, "exp": { exp($0) }, "sqrt": { sqrt($0) },
        "ln": { log($0) }, "log2": { log2($0) }, "log10": { log10($0) },
        "sgn": { $0 > 0 ? 1 : $0 < 0 ? -1 : $0 },
        "deg": { $0 * 180 / .pi }, "rad": { $0 * .pi / 180 },
        "acos": { acos($0) }, "acosh": { acosh($0) }, "asin": { asin($0) }, "asinh": { asinh($0) },
        "atan": { atan($0) }, "atanh": { atanh($0) }, "cos": { cos($0) }, "cosh": { cosh($0) },
        "sin": { sin($0) }, "sinh": { sinh($0) }, "tan": { tan($0) }, "tanh": { tanh($0) },
    ]

    /// Go's `math.Min`/`math.Max`: NaN if either is NaN, and -0 below +0.
    static func goMin(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        if a == 0 && b == 0 { return a.sign == .minus ? a : b }
        return a < b ? a : b
    }

    static func goMax(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        if a == 0 && b == 0 { return a.sign == .plus ? a : b }
        return a > b ? a : b
    }

    /// The Gregorian calendar in UTC, built once (not per value).
    static let utcCalendar: Calendar = {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal
    }()

    static func dateFunction(_ name: String) -> @Sendable (Double) -> Double {
        { seconds in
            guard seconds.isFinite else { return .nan }
            let cal = utcCalendar
            let d = Date(timeIntervalSince1970: seconds.rounded(.down))
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: d)
            switch name {
            case "day_of_month": return Double(c.day!)
            case "day_of_week": return Double(c.weekday! - 1)
            case "day_of_year": return Double(cal.ordinality(of: .day, in: .year, for: d)!)
            case "days_in_month": return Double(cal.range(of: .day, in: .month, for: d)!.count)
            case "hour": return Double(c.hour!)
            case "minute": return Double(c.minute!)
            case "month": return Double(c.month!)
            default: return Double(c.year!)
            }
        }
    }

    /// `absent(foo{a="b"})` → `{a="b"}`: the equality matchers' labels (not the name).
    static func absentLabels(_ e: Expr) -> Labels {
        let matchers: [LabelMatcher]
        switch e {
        case .vectorSelector(let vs): matchers = vs.matchers
        case .matrixSelector(let ms): matchers = ms.selector.matchers
        default: return .empty
        }
        // Labels named by more than one matcher (of any type) are ambiguous and left out.
        var uses: [String: Int] = [:]
        for m in matchers { uses[m.name, default: 0] += 1 }
        let pairs = matchers.filter { $0.name != Labels.metricName && $0.type == .equal && uses[$0.name] == 1 }
            .map { Label($0.name, $0.value) }
        return Labels(pairs)
    }
}
