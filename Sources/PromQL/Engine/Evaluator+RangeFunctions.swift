import Foundation
import TSDB

/// The functions of range vectors, each computing one step's value from the
/// samples in its window (rangeStart, rangeEnd].
extension Evaluator {
    /// Queries evaluate rate, increase and delta through `forEachWindow`'s
    /// memoised path (`ExtrapolationMemo`), not through these closures.
    static let rangeFunctions: [String: WindowFunction] = [
        "rate": WindowFunction { w in extrapolatedRate(w, counter: true, rate: true) },
        "increase": WindowFunction { w in extrapolatedRate(w, counter: true, rate: false) },
        "delta": WindowFunction { w in extrapolatedRate(w, counter: false, rate: false) },
        "irate": WindowFunction { w in instantDelta(w, rate: true) },
        "idelta": WindowFunction { w in instantDelta(w, rate: false) },
        "sum_over_time": WindowFunction { w in
            var k = KahanSum()
            for x in w.samples { k.add(x.v) }
            return k.value
        },
        "avg_over_time": WindowFunction { w in aggregate(.avg, w.values, param: 0) },
        "count_over_time": WindowFunction { w in Double(w.count) },
        "min_over_time": WindowFunction { w in aggregate(.min, w.values, param: 0) },
        "max_over_time": WindowFunction { w in aggregate(.max, w.values, param: 0) },
        "stddev_over_time": WindowFunction { w in aggregate(.stddev, w.values, param: 0) },
        "stdvar_over_time": WindowFunction { w in aggregate(.stdvar, w.values, param: 0) },
        "last_over_time": WindowFunction { w in w.last!.v },
        "first_over_time": WindowFunction { w in w.first!.v },
        "present_over_time": WindowFunction { _ in 1 },
        "quantile_over_time": WindowFunction { w in quantile(w.param, Array(w.values)) },
        "mad_over_time": WindowFunction { w in
            let values = Array(w.values)
            if values.contains(where: \.isNaN) { return .nan }
            let median = quantile(0.5, values)
            return quantile(0.5, values.map { abs($0 - median) })
        },
        "ts_of_first_over_time": WindowFunction { w in Double(w.first!.t) / 1000 },
        "ts_of_last_over_time": WindowFunction { w in Double(w.last!.t) / 1000 },
        "ts_of_min_over_time": WindowFunction { w in extremeTime(w, max: false) },
        "ts_of_max_over_time": WindowFunction { w in extremeTime(w, max: true) },
        "changes": WindowFunction { w in
            var n = 0.0
            var prev = w.first!.v
            for x in w.samples.dropFirst() {
                if !(x.v == prev || (x.v.isNaN && prev.isNaN)) { n += 1 }
                prev = x.v
            }
            return n
        },
        "resets": WindowFunction { w in
            var n = 0.0
            var prev = w.first!.v
            for x in w.samples.dropFirst() {
                if x.v < prev { n += 1 }
                prev = x.v
            }
            return n
        },
        "deriv": WindowFunction { w in
            guard w.count >= 2 else { return nil }
            return linearRegression(w, interceptTime: w.first!.t).slope
        },
        "predict_linear": WindowFunction { w in
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
        var memo = ExtrapolationMemo()
        return extrapolatedRate(w, counter: counter, rate: rate, memo: &memo)
    }

    /// `extrapolatedRate`, reusing the extrapolation factor `memo` holds when
    /// the window has the same shape as the one before (see `ExtrapolationMemo`).
    @inline(__always)
    static func extrapolatedRate(_ w: Window, counter: Bool, rate: Bool, memo: inout ExtrapolationMemo) -> Double? {
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
        let shape = ExtrapolationMemo.Shape(startGap: first.t - w.rangeStart, sampled: last.t - first.t,
                                            endGap: w.rangeEnd - last.t, count: w.count, range: w.range)
        if shape != memo.shape { memo = ExtrapolationMemo(shape, rate: rate) }
        if counter && result > 0 && first.v >= 0 {
            // Never extrapolate below zero: this part depends on the values.
            let durationToZero = memo.sampledInterval * (first.v / result)
            if durationToZero < memo.durationToStart {
                return result * extrapolationFactor(sampledInterval: memo.sampledInterval, durationToStart: durationToZero,
                                                    durationToEnd: memo.durationToEnd, range: w.range, rate: rate)
            }
        }
        return result * memo.factor
    }

    /// How far `extrapolatedRate` stretches a window's difference (divided
    /// by the range in seconds for a rate).
    @inline(__always)
    static func extrapolationFactor(sampledInterval: Double, durationToStart: Double, durationToEnd: Double,
                                    range: Int64, rate: Bool) -> Double {
        var factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
        if rate { factor /= Double(range) / 1000 }
        return factor
    }

    /// The part of `extrapolatedRate` that depends only on where a window's
    /// first and last samples lie and how many it holds. Computing it takes
    /// four dependent divisions (~20 ns); with regular scrapes and a step that
    /// is a multiple of the interval, consecutive windows of a series all have
    /// the same shape, so a rate over many steps computes it once per series.
    /// The factor comes out of the same operations on the same operands, so
    /// the results are the same bit for bit.
    struct ExtrapolationMemo {
        /// A window's shape, in milliseconds.
        struct Shape: Equatable {
            var startGap: Int64, sampled: Int64, endGap: Int64
            var count: Int, range: Int64
        }

        var shape = Shape(startGap: -1, sampled: -1, endGap: -1, count: 0, range: -1)
        /// Seconds to extrapolate at the start (before the counter's zero clamp) and the end.
        var durationToStart = 0.0, durationToEnd = 0.0
        var sampledInterval = 0.0
        /// The factor without the zero clamp.
        var factor = 0.0

        init() {}

        init(_ shape: Shape, rate: Bool) {
            self.shape = shape
            durationToStart = Double(shape.startGap) / 1000
            durationToEnd = Double(shape.endGap) / 1000
            sampledInterval = Double(shape.sampled) / 1000
            let averageSpacing = sampledInterval / Double(shape.count - 1)
            let threshold = averageSpacing * 1.1
            if durationToStart >= threshold { durationToStart = averageSpacing / 2 }
            if durationToEnd >= threshold { durationToEnd = averageSpacing / 2 }
            factor = extrapolationFactor(sampledInterval: sampledInterval, durationToStart: durationToStart,
                                         durationToEnd: durationToEnd, range: shape.range, rate: rate)
        }
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
