import Synchronization

extension Evaluator {
    /// `body(&evaluator, k)` for every item k in 0..<count, spread over the
    /// cores when `work` deserves it (see `Parallel`), for per-series work
    /// that uses the evaluator's mutating helpers (loading samples, counting
    /// them, raising annotations). Each task works on a copy of this
    /// evaluator; the counts are added back, and the annotations merged in
    /// item order, so the outcome is what one pass in order gives.
    mutating func forEachForked<Row>(count: Int, work: Int,
                                     _ body: @Sendable (inout Evaluator, Int) throws(PromQLError) -> Row?) throws(PromQLError) -> [Row?] {
        let tasks = Parallel.tasks(count: count, work: work)
        guard tasks > 1 else {
            var out: [Row?] = []
            out.reserveCapacity(count)
            for k in 0..<count { out.append(try body(&self, k)) }
            return out
        }
        let rows = SharedSlots<Row?>(repeating: nil, count: count)
        let notes = SharedSlots<Annotations>(repeating: Annotations(), count: count)
        let counts = SharedSlots<(loaded: Int, selected: Int, peak: Int)>(repeating: (0, 0, 0), count: tasks)
        let failure = Mutex<PromQLError?>(nil)
        var fork = self
        (fork.samplesSelected, fork.peakSamples, fork.annotations) = (0, 0, Annotations())
        let base = fork
        Parallel.forEachRange(count: count, tasks: tasks) { range, task in
            if failure.withLock({ $0 != nil }) { return }
            var ev = base
            (ev.samplesLoaded, ev.samplesSelected, ev.peakSamples) = (base.samplesLoaded + counts[task].loaded, counts[task].selected, counts[task].peak)
            for k in range {
                ev.annotations = Annotations()
                do throws(PromQLError) {
                    rows[k] = try body(&ev, k)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    break
                }
                notes[k] = ev.annotations
            }
            counts[task] = (ev.samplesLoaded - base.samplesLoaded, ev.samplesSelected, ev.peakSamples)
        }
        if let error = failure.withLock({ $0 }) { throw error }
        for k in 0..<count { annotations.merge(notes[k]) }
        for task in 0..<tasks {
            samplesLoaded += counts[task].loaded
            samplesSelected += counts[task].selected
            peakSamples = Swift.max(peakSamples, counts[task].peak)
        }
        if samplesLoaded > options.maxSamples { throw Self.tooManySamples }
        return (0..<count).map { rows[$0] }
    }
}
