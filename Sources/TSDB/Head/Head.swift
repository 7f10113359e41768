import Foundation

/// The in-memory part of the database: the most recent samples of every
/// active series, appended through `Appender`s, logged in the WAL, and
/// periodically written out as a block (after which the head forgets them).
///
/// Concurrency: one lock guards all series state; commits additionally
/// serialise on `commitLock` so WAL order equals apply order.
public final class Head: @unchecked Sendable {
    // @unchecked: all mutable state below is accessed only with `lock` held
    // (and `walLogged` flags only with `commitLock` held).
    let lock = NSLock()
    let commitLock = NSLock()
    let blockDuration: Int64
    let symbols = SymbolTable()
    let wal: WAL?

    /// Series by ref (index; 0 is never a ref). Each entry holds one retain,
    /// taken at creation and released at removal, so that hot paths can use
    /// the series without reference counting (`withSeriesLocked`). Read on
    /// every sample, so it skips dynamic exclusivity checks: it is only
    /// mutated with the lock held, and replay shards only read it.
    @exclusivity(unchecked) var series: [Unmanaged<MemSeries>?] = [nil]
    var byLabels: [Labels: SeriesRef] = [:]
    var postings = MemPostings()
    var liveSeries = 0
    /// Series created so far, and how many of them the last ranking saw
    /// (see `rankSeriesByLabels`).
    var seriesCreated = 0
    var rankedCreated = 0
    /// Each series' position in label order as of the last ranking (index:
    /// ref; 0 = created since).
    var labelRank: [UInt32] = []
    /// Committed time range (`.max`/`.min` while empty).
    var minT: Int64 = .max
    var maxT: Int64 = .min
    /// Samples older than this are rejected: their range is already in a block.
    var minValidTime: Int64 = .min
    var truncationEpoch = 0
    var samplesAppended: UInt64 = 0
    /// Called (outside the locks) after a commit leaves the head spanning more
    /// than 1.5 block durations, so that the owner can cut a block promptly.
    var onCompactable: (@Sendable () -> Void)?

    init(blockDuration: Int64, wal: WAL?) {
        self.blockDuration = blockDuration
        self.wal = wal
    }

    deinit {
        for case let s? in series { s.release() }
    }

    /// Start of the block-aligned range containing `t` (floor division).
    public static func rangeStart(_ t: Int64, _ duration: Int64) -> Int64 {
        let q = t / duration
        return (t % duration < 0 ? q - 1 : q) * duration
    }

    // MARK: series

    /// Looks a series up by labels, creating it if needed (lock held).
    func getOrCreateLocked(_ labels: Labels) -> MemSeries {
        if let ref = byLabels[labels], let s = series[Int(ref)] { return s.takeUnretainedValue() }
        return createLocked(ref: SeriesRef(series.count), labels: symbols.intern(labels))
    }

    @discardableResult
    func createLocked(ref: SeriesRef, labels: Labels) -> MemSeries {
        let s = MemSeries(ref: ref, labels: labels, epoch: truncationEpoch)
        let i = Int(ref)
        if i >= series.count { series.append(contentsOf: repeatElement(nil, count: i - series.count + 1)) }
        series[i] = Unmanaged.passRetained(s)
        byLabels[labels] = ref
        postings.add(ref, labels)
        liveSeries += 1
        seriesCreated += 1
        return s
    }

    func seriesLocked(_ ref: SeriesRef) -> MemSeries? {
        ref < series.count ? series[Int(ref)]?.takeUnretainedValue() : nil
    }

    /// Runs `body` on the series without retaining it (lock held); nil if unknown.
    @inline(__always)
    func withSeriesLocked<R>(_ ref: SeriesRef, _ body: (MemSeries) -> R) -> R? {
        guard ref < series.count, let u = series[Int(ref)] else { return nil }
        return u._withUnsafeGuaranteedRef(body)
    }

    /// Every live series (lock held).
    var allSeriesLocked: [MemSeries] { series.compactMap { $0?.takeUnretainedValue() } }

    /// Whether the head spans enough time for a block to be cut (lock held).
    var isCompactableLocked: Bool { minT != .max && maxT &- minT > blockDuration / 2 * 3 }

    /// Lowest timestamp an appender may write now.
    var appendableMinValidTimeLocked: Int64 {
        maxT == .min ? minValidTime : max(minValidTime, maxT &- blockDuration / 2)
    }

    /// Appends a committed sample; returns an error instead if it is not newer.
    func appendLocked(_ s: MemSeries, _ t: Int64, _ v: Double) -> TSDBError? {
        if t <= s.maxT {
            if s.isNewest(t, v) { return nil }
            return Head.orderError(s, t, v)
        }
        s.append(t, v, blockDuration: blockDuration)
        if t < minT { minT = t }
        if t > maxT { maxT = t }
        samplesAppended &+= 1
        return nil
    }

    /// Appends a committed histogram sample; returns an error instead if it is not newer.
    func appendHistogramLocked(_ s: MemSeries, _ t: Int64, _ h: NativeHistogram) -> TSDBError? {
        if t <= s.maxT {
            if s.isNewest(t, h) { return nil }
            return Head.orderError(s, t, histogram: h)
        }
        s.appendHistogram(t, h, blockDuration: blockDuration)
        if t < minT { minT = t }
        if t > maxT { maxT = t }
        samplesAppended &+= 1
        return nil
    }

    @inline(never)
    static func orderError(_ s: MemSeries, _ t: Int64, _ v: Double) -> TSDBError {
        orderError(s, t, newValue: "\(v)")
    }

    @inline(never)
    static func orderError(_ s: MemSeries, _ t: Int64, histogram h: NativeHistogram) -> TSDBError {
        orderError(s, t, newValue: "a native histogram (count \(h.count), sum \(h.sum))")
    }

    private static func orderError(_ s: MemSeries, _ t: Int64, newValue: String) -> TSDBError {
        if t == s.maxT {
            let stored = s.newestIsHistogram ? "a native histogram" : "\(Double(bitPattern: s.lastBits))"
            return TSDBError(.duplicateSample, "duplicate sample for timestamp \(t) of series \(s.labels): "
                + "stored value \(stored), new value \(newValue)")
        }
        return TSDBError(.outOfOrderSample, "out of order sample for series \(s.labels) at timestamp \(t): "
            + "newest stored sample is at \(s.maxT)")
    }

    // MARK: replay

    /// Applies one WAL record during replay (no WAL writes).
    func replay(_ record: WALRecord, stats: inout ReplayStats) {
        lock.withLock {
            switch record {
            case .series(let list):
                for r in list {
                    if let existing = seriesLocked(r.ref) {
                        if existing.labels != r.labels { stats.conflictingSeries += 1 }
                        continue
                    }
                    if let other = byLabels[r.labels] {
                        // Same labels under two refs (a series recreated after truncation):
                        // route the new ref's samples to the existing series.
                        stats.aliases[r.ref] = other
                        continue
                    }
                    createLocked(ref: r.ref, labels: symbols.intern(r.labels)).walLogged = true
                }
            case .samples(let list):
                replaySamples(list, stats: &stats)
            case .histogramSamples(let list):
                replayHistogramSamplesLocked(list, stats: &stats)
            case .tombstones(let list):
                for r in list {
                    let ref = stats.aliases[r.ref] ?? r.ref
                    guard r.mint <= r.maxt, let s = seriesLocked(ref) else { stats.unknownRefs += 1; continue }
                    s.deleted.append(r.mint...r.maxt)
                    stats.tombstones += 1
                }
            case .chunks(let list):
                replayChunksLocked(list, stats: &stats)
            }
        }
    }

    /// Applies a samples record during replay, in parallel shards by series
    /// reference: replay runs before the head is shared, and each shard
    /// touches only its own series, so no lock is needed per sample.
    private func replaySamples(_ list: [WALRecord.SampleRecord], stats: inout ReplayStats) {
        struct Shard {
            var samples = 0, unknown = 0, outOfBounds = 0, rejected = 0
            var minT = Int64.max, maxT = Int64.min
        }
        let aliases = stats.aliases
        let shardCount = list.count < 4096 ? 1 : min(4, ProcessInfo.processInfo.activeProcessorCount)
        var shards = [Shard](repeating: Shard(), count: shardCount)
        let minValid = minValidTime
        shards.withUnsafeMutableBufferPointer { out in
            // Each iteration writes only its own element of `out`.
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: shardCount) { shard in
                var r = Shard()
                for rec in list {
                    let ref = aliases.isEmpty ? rec.ref : aliases[rec.ref] ?? rec.ref
                    guard shardCount == 1 || Int(ref % UInt64(shardCount)) == shard else { continue }
                    if rec.t < minValid { r.outOfBounds += 1; continue }
                    let ok: Bool? = withSeriesLocked(ref) { s in
                        if rec.t <= s.maxT { return s.isNewest(rec.t, rec.v) }
                        s.append(rec.t, rec.v, blockDuration: blockDuration)
                        return true
                    }
                    switch ok {
                    case nil: r.unknown += 1
                    case false?: r.rejected += 1
                    case true?:
                        r.samples += 1
                        r.minT = min(r.minT, rec.t)
                        r.maxT = max(r.maxT, rec.t)
                    }
                }
                out[shard] = r
            }
        }
        for r in shards {
            stats.samples += r.samples
            stats.unknownRefs += r.unknown
            stats.outOfBounds += r.outOfBounds
            stats.rejected += r.rejected
            minT = min(minT, r.minT)
            maxT = max(maxT, r.maxT)
            samplesAppended &+= UInt64(r.samples)
        }
    }

    /// Applies a histogram-samples record during replay (lock held), in order.
    private func replayHistogramSamplesLocked(_ list: [WALRecord.HistogramSampleRecord], stats: inout ReplayStats) {
        for rec in list {
            let ref = stats.aliases[rec.ref] ?? rec.ref
            if rec.t < minValidTime { stats.outOfBounds += 1; continue }
            guard let s = seriesLocked(ref) else { stats.unknownRefs += 1; continue }
            if rec.t <= s.maxT {
                if !s.isNewest(rec.t, rec.h) { stats.rejected += 1 }
                continue
            }
            s.appendHistogram(rec.t, rec.h, blockDuration: blockDuration)
            stats.samples += 1
            minT = min(minT, rec.t)
            maxT = max(maxT, rec.t)
            samplesAppended &+= 1
        }
    }

    struct ReplayStats {
        var samples = 0
        var unknownRefs = 0
        var outOfBounds = 0
        var rejected = 0
        var conflictingSeries = 0
        var tombstones = 0
        var aliases: [SeriesRef: SeriesRef] = [:]
    }

    // MARK: reading

    /// Series matching `matchers` with their chunks overlapping [mint, maxt]:
    /// a consistent snapshot (a commit is either wholly in it or not at all).
    /// With `newestOnly`, a series whose newest sample is in [mint, maxt] (and
    /// that has no deletions) comes with that sample alone: no chunk is copied
    /// or decoded. Every series keeps its newest committed sample for
    /// appending, so this is what an instant selector reads. Sorted by labels.
    func select(_ matchers: [LabelMatcher], mint: Int64, maxt: Int64, newestOnly: Bool = false) -> [SeriesChunks] {
        lock.withLock {
            var refs = postings.postings(for: matchers)
            sortByLabelsLocked(&refs)
            var out: [SeriesChunks] = []
            out.reserveCapacity(refs.count)
            for ref in refs {
                guard let s = seriesLocked(ref) else { continue }
                if newestOnly && s.deleted.isEmpty && s.maxT >= mint && s.maxT <= maxt && s.holdsNewestFloat {
                    out.append(SeriesChunks(labels: s.labels, newest: Sample(s.maxT, Double(bitPattern: s.lastBits))))
                    continue
                }
                let chunks = s.chunkMetas(mint: mint, maxt: maxt)
                if !chunks.isEmpty { out.append(SeriesChunks(labels: s.labels, chunks: chunks, deleted: s.deleted)) }
            }
            return out
        }
    }

    func labelNames(_ matchers: [LabelMatcher]) -> [String] {
        lock.withLock {
            if matchers.isEmpty { return postings.labelNames() }
            var names = Set<String>()
            for ref in postings.postings(for: matchers) {
                if let s = seriesLocked(ref) { for l in s.labels.pairs { names.insert(l.name) } }
            }
            return Array(names)
        }
    }

    func labelValues(_ name: String, _ matchers: [LabelMatcher]) -> [String] {
        lock.withLock {
            if matchers.isEmpty { return postings.labelValues(name) }
            var values = Set<String>()
            for ref in postings.postings(for: matchers) {
                if let v = seriesLocked(ref)?.labels[name], !v.isEmpty { values.insert(v) }
            }
            return Array(values)
        }
    }

    // MARK: truncation

    /// Forgets everything before `mint` (now in a block): drops chunks, then
    /// series left empty. Returns the refs still alive (for the WAL checkpoint).
    func truncate(before mint: Int64) -> Set<SeriesRef> {
        lock.withLock {
            minValidTime = max(minValidTime, mint)
            var dead = Set<SeriesRef>()
            var deadLabels: [Labels] = []
            var alive = Set<SeriesRef>()
            var newMin: Int64 = .max
            for s in allSeriesLocked {
                _ = s.truncate(before: mint)
                if s.isEmpty && (s.maxT != .min || s.createdEpoch < truncationEpoch) {
                    dead.insert(s.ref)
                    deadLabels.append(s.labels)
                    series[Int(s.ref)]?.release()
                    series[Int(s.ref)] = nil
                    byLabels[s.labels] = nil
                } else {
                    alive.insert(s.ref)
                    if let m = s.minT { newMin = min(newMin, m) }
                }
            }
            postings.remove(dead, labels: deadLabels)
            liveSeries -= dead.count
            minT = newMin  // maxT stays: it bounds what the appender accepts
            truncationEpoch += 1
            var keep = Set<String>()
            for s in allSeriesLocked { for l in s.labels.pairs { keep.insert(l.name); keep.insert(l.value) } }
            symbols.retain(only: keep)
            return alive
        }
    }

    // MARK: stats

    public struct Stats: Sendable {
        public var numSeries: Int
        public var numChunks: Int
        public var minTime: Int64?
        public var maxTime: Int64?
        public var samplesAppended: UInt64
    }

    public var stats: Stats {
        lock.withLock {
            var chunks = 0
            for s in allSeriesLocked { chunks += s.chunkCount }
            return Stats(numSeries: liveSeries, numChunks: chunks,
                         minTime: minT == .max ? nil : minT, maxTime: maxT == .min ? nil : maxT,
                         samplesAppended: samplesAppended)
        }
    }
}

/// A series and the chunks a query needs from one source (head or block).
public struct SeriesChunks: Sendable {
    public let labels: Labels
    public var chunks: [ChunkMeta]
    /// Deleted ranges (tombstones) to skip when reading.
    public var deleted: [ClosedRange<Int64>]
    /// Set instead of `chunks` by `Head.select(…, newestOnly: true)`: the series' newest sample.
    var newest: Sample?

    public init(labels: Labels, chunks: [ChunkMeta], deleted: [ClosedRange<Int64>] = []) {
        self.labels = labels
        self.chunks = chunks
        self.deleted = deleted
    }

    init(labels: Labels, newest: Sample) {
        self.labels = labels
        self.chunks = []
        self.deleted = []
        self.newest = newest
    }
}
