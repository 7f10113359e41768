/// A batch of samples for the head, committed or rolled back as a whole.
///
/// Batch semantics:
/// - `append` validates each sample at once against what is committed and
///   what this batch already holds. An invalid sample (out of order,
///   duplicate timestamp with another value, older than the head accepts)
///   throws a `TSDBError` naming the series and timestamp and is *not* added;
///   the batch stays usable and its other samples are unaffected. A sample
///   equal in timestamp and value bits to the newest one is a silent no-op.
/// - `commit` writes the batch to the WAL (one write) and then makes it
///   visible to queries atomically. A concurrent commit to the same series
///   may still make a sample stale between `append` and `commit`; such
///   samples are dropped and listed in the returned `CommitResult`, never
///   silently.
/// - `rollback` discards the batch. Series created by it stay (empty) until
///   the next head truncation.
///
/// An appender is not thread-safe; use one per goroutine-like task.
public final class Appender {
    let head: Head
    // The batch skips dynamic exclusivity checks (they were ~5 % of a
    // remote-write request): an appender is used by one task at a time and
    // no method hands these out while another accesses them.
    @exclusivity(unchecked) private var refs: [SeriesRef] = []
    @exclusivity(unchecked) private var ts: [Int64] = []
    @exclusivity(unchecked) private var vs: [Double] = []
    /// Newest (t, value bits) per series in this batch (bits 0 for a histogram).
    @exclusivity(unchecked) private var newest: [SeriesRef: (Int64, UInt64)] = [:]
    /// The series whose newest sample in this batch is a histogram.
    private var newestIsHistogram: Set<SeriesRef> = []
    /// Histogram samples of the batch, each with the number of float samples
    /// appended before it: commit interleaves them in append order.
    private var histograms: [PendingHistogram] = []

    private struct PendingHistogram {
        var ref: SeriesRef
        var t: Int64
        var h: NativeHistogram
        var floatsBefore: Int
    }

    init(head: Head) { self.head = head }

    /// Number of samples in the batch.
    public var count: Int { refs.count + histograms.count }

    /// Adds a sample to the series with these labels (created if new) and
    /// returns the series reference for faster appends by reference.
    @discardableResult
    public func append(_ labels: Labels, _ t: Int64, _ v: Double) throws -> SeriesRef {
        guard !labels.isEmpty else { throw TSDBError(.invalidLabels, "series has no labels") }
        let s = head.lock.withLock { head.getOrCreateLocked(labels) }
        try add(s.ref, t, v)
        return s.ref
    }

    /// The reference of the series with these labels, created (empty) if new;
    /// an empty series is removed at the next head truncation if nothing is added.
    public func seriesRef(_ labels: Labels) throws(TSDBError) -> SeriesRef {
        guard !labels.isEmpty else { throw TSDBError(.invalidLabels, "series has no labels") }
        return head.lock.withLock { head.getOrCreateLocked(labels) }.ref
    }

    /// Adds a sample to an existing series by reference.
    public func append(ref: SeriesRef, _ t: Int64, _ v: Double) throws {
        try add(ref, t, v)
    }

    /// Adds a run of samples of one series, in time order, by reference: the
    /// first is checked like `append(ref:)`, each later one that is newer than
    /// the one before is taken without another lookup. Samples that are
    /// invalid are passed to `rejected` and left out; the others stay.
    /// Throws `unknownSeriesRef` (before anything is added) if the head has
    /// no such series.
    public func append(ref: SeriesRef, samples: [Sample], rejected: (Sample, TSDBError) -> Void) throws(TSDBError) {
        try samples.withUnsafeBufferPointer { b throws(TSDBError) in try append(ref: ref, samples: b, rejected: rejected) }
    }

    /// `append(ref:samples:rejected:)` over samples in place.
    public func append(ref: SeriesRef, samples: UnsafeBufferPointer<Sample>, rejected: (Sample, TSDBError) -> Void) throws(TSDBError) {
        var rejections: [(Sample, TSDBError)] = []
        let known = head.lock.withLock { appendRunLocked(ref, samples, minValid: head.appendableMinValidTimeLocked, &rejections) }
        for (s, e) in rejections { rejected(s, e) }
        guard known else { throw Self.unknown(ref) }
    }

    /// Adds runs of samples of many series (a remote-write request), each as
    /// `append(ref:samples:rejected:)` does, with the head's lock taken once
    /// for all of them. Returns the indices of the runs whose series the
    /// head does not have; nothing of those is added.
    public func append(runs: [SampleRun], rejected: (Sample, TSDBError) -> Void) -> [Int] {
        var unknown: [Int] = []
        var rejections: [(Sample, TSDBError)] = []
        newest.reserveCapacity(newest.count + runs.count)
        head.lock.withLock {
            let minValid = head.appendableMinValidTimeLocked
            for (i, run) in runs.enumerated() where !appendRunLocked(run.ref, run.samples, minValid: minValid, &rejections) {
                unknown.append(i)
            }
        }
        for (s, e) in rejections { rejected(s, e) }
        return unknown
    }

    /// Adds the samples of one series that are valid (lock held): newer than
    /// what this batch holds for it, or else than what is committed and than
    /// `minValid`; the others go to `rejections`, except a repeat of the
    /// newest sample, which is a no-op. False if the head has no such series.
    private func appendRunLocked(_ ref: SeriesRef, _ samples: UnsafeBufferPointer<Sample>, minValid: Int64,
                                 _ rejections: inout [(Sample, TSDBError)]) -> Bool {
        head.withSeriesLocked(ref) { series in
            var last = newest[ref]
            var took = false
            for s in samples {
                let bits = s.v.bitPattern
                if let (lt, lb) = last {
                    if s.t > lt {
                        append(ref, s.t, s.v)
                        last = (s.t, bits)
                        took = true
                    } else if s.t == lt && (bits != lb || (!took && newestIsHistogram.contains(ref))) {
                        rejections.append((s, Self.batchDuplicate(series, s.t)))
                    } else if s.t < lt {
                        rejections.append((s, Self.batchOutOfOrder(series, s.t, lt)))
                    }
                } else if s.t <= series.maxT {
                    if !series.isNewest(s.t, s.v) { rejections.append((s, Head.orderError(series, s.t, s.v))) }
                } else if s.t < minValid {
                    rejections.append((s, Self.outOfBounds(series, s.t, minValid)))
                } else {
                    append(ref, s.t, s.v)
                    last = (s.t, bits)
                    took = true
                }
            }
            if took, let last {
                newest[ref] = last
                if !newestIsHistogram.isEmpty { newestIsHistogram.remove(ref) }
            }
            return true
        } ?? false
    }

    private func add(_ ref: SeriesRef, _ t: Int64, _ v: Double) throws {
        if let (lt, lb) = newest[ref] {
            if t > lt {
                record(ref, t, v)
                return
            }
            if t == lt && lb == v.bitPattern && !newestIsHistogram.contains(ref) { return }
        }
        var rejection: TSDBError?
        try withUnsafePointer(to: Sample(t, v)) { p throws(TSDBError) in
            try append(ref: ref, samples: UnsafeBufferPointer(start: p, count: 1)) { _, e in rejection = e }
        }
        if let rejection { throw rejection }
    }

    static func unknown(_ ref: SeriesRef) -> TSDBError { TSDBError(.unknownSeriesRef, "unknown series reference \(ref)") }

    /// Appends to the batch without touching `newest` (the caller updates it).
    private func append(_ ref: SeriesRef, _ t: Int64, _ v: Double) {
        refs.append(ref)
        ts.append(t)
        vs.append(v)
    }

    private func record(_ ref: SeriesRef, _ t: Int64, _ v: Double) {
        append(ref, t, v)
        newest[ref] = (t, v.bitPattern)
        if !newestIsHistogram.isEmpty { newestIsHistogram.remove(ref) }
    }

    // MARK: histograms

    /// Adds a native-histogram sample to the series with these labels
    /// (created if new), checked like a float sample; an invalid histogram
    /// (`NativeHistogram.validate`) is refused too.
    @discardableResult
    public func appendHistogram(_ labels: Labels, _ t: Int64, _ h: NativeHistogram) throws -> SeriesRef {
        let ref = try seriesRef(labels)
        try appendHistogram(ref: ref, t, h)
        return ref
    }

    /// Adds a native-histogram sample to an existing series by reference.
    public func appendHistogram(ref: SeriesRef, _ t: Int64, _ h: NativeHistogram) throws {
        let error: TSDBError? = try head.lock.withLock { () throws(TSDBError) -> TSDBError? in
            guard let series = head.seriesLocked(ref) else { throw Self.unknown(ref) }
            do { try h.validate() } catch {
                return TSDBError(.invalidArgument, "invalid native histogram for series \(series.labels) at timestamp \(t): \(error)")
            }
            if let (lt, _) = newest[ref] {
                if t < lt { return Self.batchOutOfOrder(series, t, lt) }
                if t == lt {
                    let repeated = newestIsHistogram.contains(ref) && histograms.last { $0.ref == ref }.map { $0.h.isIdentical(to: h) } == true
                    return repeated ? nil : Self.batchDuplicate(series, t)
                }
            } else if t <= series.maxT {
                return series.isNewest(t, h) ? nil : Head.orderError(series, t, histogram: h)
            } else if t < head.appendableMinValidTimeLocked {
                return Self.outOfBounds(series, t, head.appendableMinValidTimeLocked)
            }
            histograms.append(PendingHistogram(ref: ref, t: t, h: h, floatsBefore: refs.count))
            newest[ref] = (t, 0)
            newestIsHistogram.insert(ref)
            return nil
        }
        if let error { throw error }
    }

    static func batchDuplicate(_ series: MemSeries, _ t: Int64) -> TSDBError {
        TSDBError(.duplicateSample, "duplicate sample for timestamp \(t) of series \(series.labels) in the same batch")
    }

    static func batchOutOfOrder(_ series: MemSeries, _ t: Int64, _ batchNewest: Int64) -> TSDBError {
        TSDBError(.outOfOrderSample, "out of order sample for series \(series.labels) at timestamp \(t): this batch already has \(batchNewest)")
    }

    static func outOfBounds(_ series: MemSeries, _ t: Int64, _ minValid: Int64) -> TSDBError {
        TSDBError(.outOfBounds, "sample for series \(series.labels) at timestamp \(t) is out of bounds: "
            + "the head accepts timestamps from \(minValid) on")
    }

    /// Writes the batch to the WAL and applies it to the head. Returns when
    /// the batch is acknowledged (durable per the WAL's sync policy).
    @discardableResult
    public func commit() throws -> CommitResult {
        defer { clear() }
        if refs.isEmpty && histograms.isEmpty { return CommitResult(appended: 0, dropped: []) }
        var dropped: [TSDBError] = []
        var appended = 0
        let parts = orderedParts()
        let seq: UInt64? = try head.commitLock.withLock {
            var seq: UInt64?
            if let wal = head.wal {
                var newSeries: [WALRecord.SeriesRecord] = []
                head.lock.withLock {
                    for ref in newest.keys {
                        if let s = head.seriesLocked(ref), !s.walLogged {
                            newSeries.append(.init(ref: ref, labels: s.labels))
                        }
                    }
                }
                newSeries.sort { $0.ref < $1.ref }
                var records: [WALRecord] = newSeries.isEmpty ? [] : [.series(newSeries)]
                for part in parts {
                    switch part {
                    case .floats(let range):
                        var samples: [WALRecord.SampleRecord] = []
                        samples.reserveCapacity(range.count)
                        for i in range { samples.append(.init(ref: refs[i], t: ts[i], v: vs[i])) }
                        records.append(.samples(samples))
                    case .histograms(let range):
                        records.append(.histogramSamples(histograms[range].map { .init(ref: $0.ref, t: $0.t, h: $0.h) }))
                    }
                }
                seq = try wal.log(records)
                head.lock.withLock { for r in newSeries { head.seriesLocked(r.ref)?.walLogged = true } }
            }
            head.lock.withLock {
                func count(_ ref: SeriesRef, _ result: TSDBError??) {
                    switch result {
                    case nil: dropped.append(TSDBError(.unknownSeriesRef, "series \(ref) was removed before commit"))
                    case let e??: dropped.append(e)
                    case .some(nil): appended += 1
                    }
                }
                for part in parts {
                    switch part {
                    case .floats(let range):
                        for i in range { count(refs[i], head.withSeriesLocked(refs[i]) { head.appendLocked($0, ts[i], vs[i]) }) }
                    case .histograms(let range):
                        for p in histograms[range] { count(p.ref, head.withSeriesLocked(p.ref) { head.appendHistogramLocked($0, p.t, p.h) }) }
                    }
                }
            }
            return seq
        }
        if let seq { try head.wal?.waitDurable(seq) }
        if let hint = head.onCompactable, head.lock.withLock({ head.isCompactableLocked }) { hint() }
        return CommitResult(appended: appended, dropped: dropped)
    }

    /// A stretch of the batch in append order: float samples (indices into
    /// `refs`/`ts`/`vs`) or histogram samples (indices into `histograms`).
    private enum Part {
        case floats(Range<Int>)
        case histograms(Range<Int>)
    }

    /// The batch as alternating stretches of floats and histograms, in the
    /// order they were appended: the WAL records and the head get them in
    /// that order, so a series may switch between the two within a batch.
    private func orderedParts() -> [Part] {
        guard !histograms.isEmpty else { return [.floats(0..<refs.count)] }
        var parts: [Part] = []
        var floatStart = 0
        var h = 0
        while h < histograms.count {
            let before = histograms[h].floatsBefore
            if before > floatStart { parts.append(.floats(floatStart..<before)) }
            floatStart = before
            var end = h + 1
            while end < histograms.count && histograms[end].floatsBefore == before { end += 1 }
            parts.append(.histograms(h..<end))
            h = end
        }
        if floatStart < refs.count { parts.append(.floats(floatStart..<refs.count)) }
        return parts
    }

    /// Discards the batch.
    public func rollback() { clear() }

    private func clear() {
        refs.removeAll(keepingCapacity: true)
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        newest.removeAll(keepingCapacity: true)
        newestIsHistogram.removeAll()
        histograms.removeAll()
    }
}

/// Samples of one series for `Appender.append(runs:rejected:)`, in time order.
public struct SampleRun {
    public var ref: SeriesRef
    public var samples: UnsafeBufferPointer<Sample>
    public init(ref: SeriesRef, samples: UnsafeBufferPointer<Sample>) { self.ref = ref; self.samples = samples }
}

/// What a commit stored.
public struct CommitResult: Sendable {
    /// Samples now stored.
    public var appended: Int
    /// Samples a concurrent commit made invalid after they were appended.
    public var dropped: [TSDBError]
}
