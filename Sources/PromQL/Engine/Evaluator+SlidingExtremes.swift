import TSDB

/// `max_over_time` and `min_over_time` over many steps, with a monotonic
/// queue of the window's candidates instead of a scan of every window: each
/// sample enters and leaves the queue once, so a series costs O(samples +
/// steps) instead of O(steps × samples per window) — a 1 h window at 15 s
/// steps is 240 samples scanned 241 times.
///
/// The answer is the scan's, bit for bit: the earliest of the greatest
/// (least) values, where NaN loses to every number and is the answer only
/// when the window holds nothing else (Prometheus: `if v > max || isNaN(max)`).
extension Evaluator {
    /// Whether `v` beats `w` for the maximum (`max`) or minimum; equal values never beat.
    @inline(__always)
    static func beats(_ v: Double, _ w: Double, max: Bool) -> Bool {
        if w.isNaN { return !v.isNaN }
        return max ? v > w : v < w
    }

    /// The extreme of each step's window (t - range, t] of `samples` (stale markers
    /// already dropped); `times` must not decrease. Nil if no window has a sample.
    static func slidingExtremeRow(
        _ samples: UnsafeBufferPointer<Sample>, times: [Int64], range: Int64, steps: Int, max: Bool,
        interrupted: () -> Bool = { false }
    ) -> StepRow? {
        var values = StepArrays.zeros(steps)
        var present = StepArrays.absent(steps)
        // Indices of the candidates, oldest first, each beating every later one:
        // queue[head] is the window's answer.
        var queue = [Int](repeating: 0, count: samples.count)
        var (head, tail) = (0, 0)
        var (lo, hi) = (0, 0)
        var any = false
        var selected = 0
        for i in 0..<steps {
            if i % interruptionCheckSteps == interruptionCheckSteps - 1 && interrupted() { return nil }
            let t = times[i]
            while hi < samples.count && samples[hi].t <= t {
                let v = samples[hi].v
                while tail > head && beats(v, samples[queue[tail - 1]].v, max: max) { tail -= 1 }
                queue[tail] = hi
                tail += 1
                hi += 1
            }
            while lo < hi && samples[lo].t <= t - range { lo += 1 }
            while head < tail && queue[head] < lo { head += 1 }
            selected += hi - lo
            guard head < tail else { continue }
            values[i] = samples[queue[head]].v
            present[i] = true
            any = true
        }
        return any ? StepRow(values: values, present: present, selected: selected) : nil
    }
}
