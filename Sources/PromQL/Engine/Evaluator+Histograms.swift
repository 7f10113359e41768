import Foundation
import TSDB

/// Classic-histogram functions over `_bucket` series with `le` labels.
extension Evaluator {
    struct Bucket {
        var upperBound: Double
        var count: Double
    }

    /// Groups the input's series by their labels without `le` (the metric
    /// name included: two histograms that differ only in name stay apart,
    /// and the name is dropped from the results, as in Prometheus 3);
    /// series without a valid `le` are left out with a warning at `position`.

    mutating func bucketGroups(_ series: [StepSeries], position: Int) -> [(Labels, [(Double, Int)])] {
        var index: [Labels: Int] = [:]
        var groups: [(Labels, [(Double, Int)])] = []
        for (k, s) in series.enumerated() {
            guard let le = Self.bucketBound(s.labels["le"]) else {
                annotations.badBucketLabel(metric: Self.metricName(s), le: s.labels["le"], at: position)
                continue
            }
            let key = s.labels.removing(["le"])
            if let g = index[key] { groups[g].1.append((le, k)) } else {
                index[key] = groups.count
                groups.append((key, [(le, k)]))
            }
        }
        return groups
    }

    /// An `le` value as Go's `strconv.ParseFloat` reads it; nil if malformed.
    static func bucketBound(_ le: String) -> Double? {
        switch le.lowercased() {
        case "+inf", "inf", "+infinity", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return Double(le)
        }
    }

    /// The series' metric name unless it is to be dropped (annotations name it).
    static func metricName(_ s: StepSeries) -> String { s.dropName ? "" : s.labels.metricName }

    mutating func evalHistogramFunction(_ c: Call) throws(PromQLError) -> [StepSeries] {
        let isQuantile = c.function.name == "histogram_quantile"
        let p1 = try scalarArg(c.args[0])
        let p2 = isQuantile ? p1 : try scalarArg(c.args[1])
        if isQuantile {
            for q in Set(p1.map(\.bitPattern)).map(Double.init(bitPattern:)) where q.isNaN || q < 0 || q > 1 {
                annotations.invalidQuantile(q, at: c.argPosition(0))
            }
        }
        let vectorArg = isQuantile ? 1 : 2
        guard case .vector(let all) = try eval(c.args[vectorArg]) else { throw PromQLError("expected an instant vector") }
        // Series with float samples are classic buckets; histogram samples are native histograms.
        let input = all.filter { $0.present.contains(true) }
        var classicSteps: [Labels: [Bool]] = [:]  // labels without `le` → steps with buckets
        if all.contains(where: { $0.histograms != nil }) {
            for s in input { classicSteps[s.labels.removing(["le"]), default: StepArrays.absent(steps)].formUnion(s.present) }
        }
        var conflicts: [Labels: [Bool]] = [:]
        var out = nativeHistogramFunction(all, isQuantile: isQuantile, p1, p2, classicSteps: classicSteps, conflicts: &conflicts,
                                          position: c.argPosition(vectorArg))
        var buckets: [Bucket] = []
        for (labels, members) in bucketGroups(input, position: c.argPosition(vectorArg)) {
            var values = StepArrays.zeros(steps)
            var present = StepArrays.absent(steps)
            var forcedMonotonic = false
            // Steps where a native histogram has this group's labels are not evaluated.
            let skipped = conflicts.isEmpty ? nil : conflicts[input[members[0].1].labels.removing(["le"])]
            for i in 0..<steps {
                if let skipped, skipped[i] { continue }
                buckets.removeAll(keepingCapacity: true)
                for (le, k) in members where input[k].present[i] { buckets.append(Bucket(upperBound: le, count: input[k].values[i])) }
                guard !buckets.isEmpty else { continue }
                if isQuantile {
                    let (v, forced) = Self.bucketQuantile(p1[i], &buckets)
                    values[i] = v
                    forcedMonotonic = forcedMonotonic || forced
                } else {
                    values[i] = Self.bucketFraction(p1[i], p2[i], &buckets)
                }
                present[i] = true
            }
            if forcedMonotonic {
                annotations.forcedMonotonicity(metric: Self.metricName(input[members[0].1]), at: c.argPosition(vectorArg))
            }
            if present.contains(true) { out.append(StepSeries(labels: labels, values: values, present: present, dropName: true)) }
        }
        return out
    }

    /// Sorts, merges equal bounds, and makes counts monotonic as Prometheus
    /// does; true when a real decrease had to be removed (not a rounding error).
    @discardableResult
    static func prepare(_ buckets: inout [Bucket]) -> Bool {
        buckets.sort { $0.upperBound < $1.upperBound }
        var merged: [Bucket] = []
        for b in buckets {
            if let last = merged.last, last.upperBound == b.upperBound { merged[merged.count - 1].count += b.count } else { merged.append(b) }
        }
        buckets = merged
        guard !buckets.isEmpty else { return false }
        var forced = false
        var prev = buckets[0].count
        for i in 1..<buckets.count {
            let curr = buckets[i].count
            if curr == prev { continue }
            if relativelyEqual(prev, curr, 1e-12) {
                buckets[i].count = prev
                continue
            }
            if curr < prev {
                buckets[i].count = prev
                forced = true
                continue
            }
            prev = curr
        }
        return forced
    }

    static func relativelyEqual(_ a: Double, _ b: Double, _ epsilon: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
        let absSum = abs(a) + abs(b), diff = abs(a - b)
        if a == 0 || b == 0 || absSum < minNormal { return diff < epsilon * minNormal }
        return diff / Swift.min(absSum, .greatestFiniteMagnitude) < epsilon
    }

    /// Prometheus' `BucketQuantile`: the value, and whether the buckets had to be forced monotonic.
    static func bucketQuantile(_ q: Double, _ buckets: inout [Bucket]) -> (Double, Bool) {
        if q.isNaN { return (.nan, false) }
        if q < 0 { return (-.infinity, false) }
        if q > 1 { return (.infinity, false) }
        buckets.sort { $0.upperBound < $1.upperBound }
        guard let last = buckets.last, last.upperBound == .infinity else { return (.nan, false) }
        let forced = prepare(&buckets)
        return (interpolatedQuantile(q, buckets), forced)
    }

    /// The quantile of prepared (sorted, monotonic, +Inf-terminated) buckets.
    static func interpolatedQuantile(_ q: Double, _ buckets: [Bucket]) -> Double {
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
