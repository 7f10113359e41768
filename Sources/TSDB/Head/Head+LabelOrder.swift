/// The label order of the head's series, kept as integer ranks so that a
/// selection is put in label order by comparing integers instead of label
/// sets (sorting by labels was a third of an instant query over a few
/// thousand series).
///
/// `rankSeriesByLabels()` sorts every live series once: when the database
/// opens, and from the compaction job once series were created and their
/// creation paused (`DBOptions.rankingQuietPeriod`) or at its next check. A series
/// created since the last ranking has no rank yet; a selection that holds
/// such series sorts those by labels and merges them in.
extension Head {
    /// Ranks every live series by labels (the sort runs outside the lock).
    public func rankSeriesByLabels() {
        let (snapshot, created) = lock.withLock { (allSeriesLocked.map { ($0.ref, $0.labels) }, seriesCreated) }
        let sorted = snapshot.sorted { $0.1 < $1.1 }
        lock.withLock {
            // Refs are never reused, so a series created meanwhile keeps rank 0 (none).
            var ranks = [UInt32](repeating: 0, count: series.count)
            for (i, (ref, _)) in sorted.enumerated() { ranks[Int(ref)] = UInt32(truncatingIfNeeded: i + 1) }
            labelRank = ranks
            rankedCreated = created
        }
    }

    /// Series created since the last ranking.
    public var unrankedSeries: Int { lock.withLock { seriesCreated - rankedCreated } }

    /// Series created since the head was made (it only grows).
    public var createdSeriesCount: Int { lock.withLock { seriesCreated } }

    /// Puts live series refs in the order of their labels (lock held).
    func sortByLabelsLocked(_ refs: inout [SeriesRef]) {
        guard refs.count > 1 else { return }
        var ranked: [(rank: UInt32, ref: SeriesRef)] = []
        ranked.reserveCapacity(refs.count)
        var unranked: [SeriesRef] = []
        for ref in refs {
            let rank = Int(ref) < labelRank.count ? labelRank[Int(ref)] : 0
            if rank != 0 { ranked.append((rank, ref)) } else { unranked.append(ref) }
        }
        ranked.sort { $0.rank < $1.rank }
        if unranked.isEmpty {
            for i in refs.indices { refs[i] = ranked[i].ref }
            return
        }
        let labels = { (ref: SeriesRef) in self.series[Int(ref)]!.takeUnretainedValue().labels }
        unranked.sort { labels($0) < labels($1) }
        var (a, b) = (0, 0)
        for i in refs.indices {
            if b == unranked.count || (a < ranked.count && labels(ranked[a].ref) < labels(unranked[b])) {
                refs[i] = ranked[a].ref
                a += 1
            } else {
                refs[i] = unranked[b]
                b += 1
            }
        }
    }
}
