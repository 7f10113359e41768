/// What an instant selector sees of one series at a run of evaluation times:
/// at each time, the newest sample at or before it, if that sample is newer
/// than the lookback window's start and not a staleness marker.
///
/// Fed the series' samples in time order (by `Series.sample(into:)`, which
/// decodes straight into it), it keeps only the latest and settles a time as
/// soon as a sample past it arrives: a range query at a 60 s step over 15 s
/// scrapes used to store four samples per step in a buffer, then scan it.
///
///     var sampler = StepSampler(times: times, lookback: 300_000, values: v, present: p)
///     try series.sample(into: &sampler)
///     sampler.finish()
public struct StepSampler {
    let times: UnsafeBufferPointer<Int64>
    let lookback: Int64
    let values: UnsafeMutableBufferPointer<Double>
    let present: UnsafeMutableBufferPointer<Bool>
    /// Write the sample's timestamp in milliseconds instead of its value (for PromQL's `timestamp()`).
    let timestamps: Bool
    /// The first time not settled yet, and `times[step]` (`.max` once all are).
    private var step = 0
    private var pending: Int64
    private var hasLast = false
    private var lastT: Int64 = 0
    private var lastV = 0.0
    /// Samples handed in (what the query's sample limit counts).
    public private(set) var samplesRead = 0
    /// Times that got a value.
    public private(set) var selected = 0

    /// `times` must be non-decreasing; `values` and `present` have one slot
    /// per time and are written only where a sample is selected.
    public init(times: UnsafeBufferPointer<Int64>, lookback: Int64, values: UnsafeMutableBufferPointer<Double>,
                present: UnsafeMutableBufferPointer<Bool>, timestamps: Bool = false) {
        precondition(values.count >= times.count && present.count >= times.count)
        self.times = times
        self.lookback = lookback
        self.values = values
        self.present = present
        self.timestamps = timestamps
        pending = times.first ?? .max
    }

    /// The next sample of the series (timestamps increasing).
    @inline(__always)
    public mutating func append(_ t: Int64, _ v: Double) {
        samplesRead += 1
        if t > pending { settle(before: t) }
        (hasLast, lastT, lastV) = (true, t, v)
    }

    /// Settles the times that precede `t`: their newest sample is the last one.
    @inline(never)
    mutating func settle(before t: Int64) {
        while step < times.count && times[step] < t {
            take(step)
            step += 1
        }
        pending = step < times.count ? times[step] : .max
    }

    /// Settles the remaining times once the series is read.
    public mutating func finish() {
        while step < times.count {
            take(step)
            step += 1
        }
        pending = .max
    }

    @inline(__always)
    private mutating func take(_ i: Int) {
        guard hasLast, lastT > times[i] &- lookback, !StaleNaN.isStale(lastV) else { return }
        values[i] = timestamps ? Double(lastT) : lastV  // a division here was computed either way
        present[i] = true
        selected += 1
    }
}

extension StepSampler: SampleOutput {}
