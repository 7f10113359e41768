import Foundation
import TSDB

/// Classic-histogram functions over `_bucket` series with `le` labels.
extension Evaluator {
    struct Bucket {
        var upperBound: Double
        var count: Double
    }

    /// Groups the input's series by their labels without `le` and `__name__`.
    static func bucketGroups(_ series: [StepSeries]) -> [(Labels, [(Double, Int)])] {
        var index: [Labels: Int] = [:]
        var groups: [(Labels, [(Double, Int)])] = []
        for (k, s) in series.enumerated() {
            guard let le = Double(s.labels["le"].replacingOccurrences(of: "+Inf", with: "inf")) ?? (s.labels["le"] == "+Inf" ? .infinity : nil)
            else { continue }  // no or unparsable le: ignored, as Prometheus does
            let key = s.labels.removing(["le", Labels.metricName])
            if let g = index[key] { groups[g].1.append((le, k)) } else {
                index[key] = groups.count
                groups.append((key, [(le, k)]))
            }
        }
        return groups
    }

    mutating func evalHistogramFunction(_ c: Call) throws(PromQLError) -> [StepSeries] {
        let isQuantile = c.function.name == "histogram_quantile"
        let p1 = try scalarArg(c.args[0])
        let p2 = isQuantile ? p1 : try scalarArg(c.args[1])
        guard case .vector(let input) = try eval(c.args[isQuantile ? 1 : 2]) else { throw PromQLError("expected an instant vector") }
        var out: [StepSeries] = []
        var buckets: [Bucket] = []
        for (labels, members) in Self.bucketGroups(input) {
            var values = [Double](repeating: 0, count: steps)
            var present = [Bool](repeating: false, count: steps)
            for i in 0..<steps {
                buckets.removeAll(keepingCapacity: true)
                for (le, k) in members where input[k].present[i] { buckets.append(Bucket(upperBound: le, count: input[k].values[i])) }
                guard !buckets.isEmpty else { continue }
                values[i] = isQuantile ? Self.bucketQuantile(p1[i], &buckets) : Self.bucketFraction(p1[i], p2[i], &buckets)
                present[i] = true
            }
            if present.contains(true) { out.append(StepSeries(labels: labels, values: values, present: present)) }
        }
        return out
    }

    /// Sorts, merges equal bounds, and makes counts monotonic as Prometheus does.
    static func prepare(_ buckets: inout [Bucket]) {
        buckets.sort { $0.upperBound < $1.upperBound }
        var merged: [Bucket] = []
        for b in buckets {
            if let last = merged.last, last.upperBound == b.upperBound { merged[merged.count - 1].count += b.count } else { merged.append(b) }
        }
        buckets = merged
        guard !buckets.isEmpty else { return }
        var prev = buckets[0].count
        for i in 1..<buckets.count {
            let curr = buckets[i].count
            if curr == prev { continue }
            if relativelyEqual(prev, curr, 1e-12) || curr < prev {
                buckets[i].count = prev
                continue
            }
            prev = curr
        }
    }

    static func relativelyEqual(_ a: Double, _ b: Double, _ epsilon: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
        let absSum = abs(a) + abs(b), diff = abs(a - b)
        if a == 0 || b == 0 || absSum < minNormal { return diff < epsilon * minNormal }
        return diff / Swift.min(absSum, .greatestFiniteMagnitude) < epsilon
    }

    static func bucketQuantile(_ q: Double, _ buckets: inout [Bucket]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        buckets.sort { $0.upperBound < $1.upperBound }
        guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
        prepare(&buckets)
        guard buckets.count >= 2 else { return .nan }
        let observations = buckets[buckets.count - 1].count
        guard observations != 0, !observations.isNaN else { return .nan }
        var rank = q * observations
        var b = buckets.count - 1
        for i in 0..<(buckets.count - 1) where buckets[i].count >= rank { b = i; break }
        if b == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
        if b == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
        var bucketStart = 0.0
        let bucketEnd = buckets[b].upperBound
        var count = buckets[b].count
        if b > 0 {
            bucketStart = buckets[b - 1].upperBound
            count -= buckets[b - 1].count
            rank -= buckets[b - 1].count
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count)
    }

    static func bucketFraction(_ lower: Double, _ upper: Double, _ buckets: inout [Bucket]) -> Double {
        buckets.sort { $0.upperBound < $1.upperBound }
        guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
        prepare(&buckets)
        let count = buckets[buckets.count - 1].count
        if count == 0 || lower.isNaN || upper.isNaN { return .nan }
        if lower >= upper { return 0 }
        var rank = 0.0, lowerRank = 0.0, upperRank = 0.0
        var lowerSet = false, upperSet = false
        for (i, b) in buckets.enumerated() {
            var lowerBound = -Double.infinity
            if i > 0 { lowerBound = buckets[i - 1].upperBound } else if b.upperBound > 0 { lowerBound = 0 }
            let upperBound = b.upperBound
            // Buckets of infinite width are not interpolated: observations in
            // (-Inf, ub] count as below, those in (lb, +Inf] as above, any finite value.
            func interpolate(_ v: Double, isLower: Bool) -> Double {
                if lowerBound == -.infinity { return b.count }
                if upperBound == .infinity { return rank }
                return rank + (b.count - rank) * (v - lowerBound) / (upperBound - lowerBound)
            }
            if !lowerSet && lowerBound >= lower { lowerRank = rank; lowerSet = true }
            if !upperSet && lowerBound >= upper { upperRank = rank; upperSet = true }
            if lowerSet && upperSet { break }
            if !lowerSet && lowerBound < lower && upperBound > lower { lowerRank = interpolate(lower, isLower: true); lowerSet = true }
            if !upperSet && lowerBound < upper && upperBound > upper { upperRank = interpolate(upper, isLower: false); upperSet = true }
            if lowerSet && upperSet { break }
            rank = b.count
        }
        if !lowerSet || lowerRank > count { lowerRank = count }
        if !upperSet || upperRank > count { upperRank = count }
        return (upperRank - lowerRank) / count
    }
}
