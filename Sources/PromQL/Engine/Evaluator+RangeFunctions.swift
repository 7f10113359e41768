import Foundation
import TSDB

/// The functions of range vectors, each computing one step's value from the
/// samples in its window (rangeStart, rangeEnd].
extension Evaluator {
    static let rangeFunctions: [String: WindowFunction] = [
        "rate": { w in extrapolatedRate(w, counter: true, rate: true) },
        "increase": { w in extrapolatedRate(w, counter: true, rate: false) },
        "delta": { w in extrapolatedRate(w, counter: false, rate: false) },
        "irate": { w in instantDelta(w, rate: true) },
        "idelta": { w in instantDelta(w, rate: false) },
        "sum_over_time": { w in
            var k = KahanSum()
            for x in w.samples { k.add(x.v) }
            return k.value
        },
        "avg_over_time": { w in aggregate(.avg, w.values, param: 0) },
        "count_over_time": { w in Double(w.count) },
        "min_over_time": { w in aggregate(.min, w.values, param: 0) },
        "max_over_time": { w in aggregate(.max, w.values, param: 0) },
        "stddev_over_time": { w in aggregate(.stddev, w.values, param: 0) },
        "stdvar_over_time": { w in aggregate(.stdvar, w.values, param: 0) },
        "last_over_time": { w in w.last!.v },
        "first_over_time": { w in w.first!.v },
        "present_over_time": { _ in 1 },
        "quantile_over_time": { w in quantile(w.param, Array(w.values)) },
        "mad_over_time": { w in
            let values = Array(w.values)
            if values.contains(where: \.isNaN) { return .nan }
            let median = quantile(0.5, values)
            return quantile(0.5, values.map { abs($0 - median) })
        },
        "ts_of_first_over_time": { w in Double(w.first!.t) / 1000 },
        "ts_of_last_over_time": { w in Double(w.last!.t) / 1000 },
        "ts_of_min_over_time": { w in extremeTime(w, max: false) },
        "ts_of_max_over_time": { w in extremeTime(w, max: true) },
        "changes": { w in
            var n = 0.0
            var prev = w.first!.v
            for x in w.samples.dropFirst() {
                if !(x.v == prev || (x.v.isNaN && prev.isNaN)) { n += 1 }
                prev = x.v
            }
            return n
        },
        "resets": { w in
            var n = 0.0
            var prev = w.first!.v
            for x in w.samples.dropFirst() {
                if x.v < prev { n += 1 }
                prev = x.v
            }
            return n
        },
        "deriv": { w in
            guard w.count >= 2 else { return nil }
            return linearRegression(w, interceptTime: w.first!.t).slope
        },
        "predict_linear": { w in
            guard w.count >= 2 else { return nil }
            // The intercept is at the evaluation step's time, even with @ (as Prometheus does).
            let (slope, intercept) = linearRegression(w, interceptTime: w.stepTime)
            return slope * w.param + intercept
        },
    ]

    /// Time (seconds) of the last sample holding the minimum (maximum) value; NaN values lose.
    static func extremeTime(_ w: Window, max: Bool) -> Double {
        var best = w.first!
        for s in w.samples.dropFirst() {
            if best.v.isNaN || (max ? s.v >= best.v : s.v <= best.v) { best = s }
        }
        return Double(best.t) / 1000
    }

    /// Prometheus' extrapolated rate/increase/delta: counter resets corrected,
    /// extrapolated to the window edges unless the series starts or ends
    /// inside the window (gap > 1.1 × average sample spacing), and never
    /// extrapolated below zero for counters.
    static func extrapolatedRate(_ w: Window, counter: Bool, rate: Bool) -> Double? {
        guard w.count >= 2 else { return nil }
        let first = w.first!, last = w.last!
        var result = last.v - first.v
        if counter && !w.noCounterResets {
            var prev = first.v
            for x in w.samples.dropFirst() {
                if x.v < prev { result += prev }
                prev = x.v
            }
        }
        var durationToStart = Double(first.t - w.rangeStart) / 1000
        var durationToEnd = Double(w.rangeEnd - last.t) / 1000
        let sampledInterval = Double(last.t - first.t) / 1000
        let averageSpacing = sampledInterval / Double(w.count - 1)
        let threshold = averageSpacing * 1.1
        if durationToStart >= threshold { durationToStart = averageSpacing / 2 }
        if counter {
            var durationToZero = durationToStart
            if result > 0 && first.v >= 0 { durationToZero = sampledInterval * (first.v / result) }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= threshold { durationToEnd = averageSpacing / 2 }
        var factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
        if rate { factor /= Double(w.range) / 1000 }
        return result * factor
    }

    static func instantDelta(_ w: Window, rate: Bool) -> Double? {
        guard w.count >= 2 else { return nil }
        let last = w[w.endIndex - 1], prev = w[w.endIndex - 2]
        var result = last.v - prev.v
        if rate && last.v < prev.v { result = last.v }  // counter reset
        if rate {
            let dt = Double(last.t - prev.t) / 1000
            guard dt != 0 else { return nil }
            result /= dt
        }
        return result
    }

    /// Least-squares fit of value over time (seconds relative to `interceptTime`).
    static func linearRegression(_ w: Window, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0, sumX = KahanSum(), sumY = KahanSum(), sumXY = KahanSum(), sumX2 = KahanSum()
        var constY = true
        let initY = w.first!.v
        for s in w.samples {
            if constY && s.v != initY { constY = false }
            n += 1
            let x = Double(s.t - interceptTime) / 1000
            sumX.add(x)
            sumY.add(s.v)
            sumXY.add(x * s.v)
            sumX2.add(x * x)
        }
        if constY {
            if initY.isInfinite { return (.nan, .nan) }
            return (0, initY)
        }
        let covXY = sumXY.value - sumX.value * sumY.value / n
        let varX = sumX2.value - sumX.value * sumX.value / n
        let slope = covXY / varX
        let intercept = sumY.value / n - slope * sumX.value / n
        return (slope, intercept)
    }
}
