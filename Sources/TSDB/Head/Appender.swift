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
    /// Newest (t, bits) per series in this batch.
    @exclusivity(unchecked) private var newest: [SeriesRef: (Int64, UInt64)] = [:]

    init(head: Head) { self.head = head }

    /// Number of samples in the batch.
    public var count: Int { refs.count }

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
            for s in samples {
                let bits = s.v.bitPattern
                if let (lt, lb) = last {
                    if s.t > lt {
                        append(ref, s.t, s.v)
                        last = (s.t, bits)
                    } else if s.t == lt && bits != lb {
                        rejections.append((s, TSDBError(.duplicateSample,
                            "duplicate sample for timestamp \(s.t) of series \(series.labels) in the same batch")))
                    } else if s.t < lt {
                        rejections.append((s, TSDBError(.outOfOrderSample,
                            "out of order sample for series \(series.labels) at timestamp \(s.t): this batch already has \(lt)")))
                    }
                } else if s.t <= series.maxT {
                    if s.t != series.maxT || bits != series.lastBits { rejections.append((s, Head.orderError(series, s.t, s.v))) }
                } else if s.t < minValid {
                    rejections.append((s, TSDBError(.outOfBounds, "sample for series \(series.labels) at timestamp \(s.t) is out of bounds: "
                        + "the head accepts timestamps from \(minValid) on")))
                } else {
                    append(ref, s.t, s.v)
                    last = (s.t, bits)
                }
            }
            if let last { newest[ref] = last }
            return true
        } ?? false
    }

    private func add(_ ref: SeriesRef, _ t: Int64, _ v: Double) throws {
        if let (lt, lb) = newest[ref] {
            if t > lt {
                record(ref, t, v)
                return
            }
            if t == lt && lb == v.bitPattern { return }
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
    }

    /// Writes the batch to the WAL and applies it to the head. Returns when
    /// the batch is acknowledged (durable per the WAL's sync policy).
    @discardableResult
    public func commit() throws -> CommitResult {
        defer { clear() }
        if refs.isEmpty { return CommitResult(appended: 0, dropped: []) }
        var dropped: [TSDBError] = []
        var appended = 0
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
                var samples: [WALRecord.SampleRecord] = []
                samples.reserveCapacity(refs.count)
                for i in 0..<refs.count { samples.append(.init(ref: refs[i], t: ts[i], v: vs[i])) }
                newSeries.sort { $0.ref < $1.ref }
                seq = try wal.log(newSeries.isEmpty ? [.samples(samples)] : [.series(newSeries), .samples(samples)])
                head.lock.withLock { for r in newSeries { head.seriesLocked(r.ref)?.walLogged = true } }
            }
            head.lock.withLock {
                for i in 0..<refs.count {
                    switch head.withSeriesLocked(refs[i], { head.appendLocked($0, ts[i], vs[i]) }) {
                    case nil:
                        dropped.append(TSDBError(.unknownSeriesRef, "series \(refs[i]) was removed before commit"))
                    case let e??:
                        dropped.append(e)
                    case .some(nil):
                        appended += 1
                    }
                }
            }
            return seq
        }
        if let seq { try head.wal?.waitDurable(seq) }
        if let hint = head.onCompactable, head.lock.withLock({ head.isCompactableLocked }) { hint() }
        return CommitResult(appended: appended, dropped: dropped)
    }

    /// Discards the batch.
    public func rollback() { clear() }

    private func clear() {
        refs.removeAll(keepingCapacity: true)
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        newest.removeAll(keepingCapacity: true)
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
