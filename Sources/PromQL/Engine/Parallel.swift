import Dispatch
import Foundation
import Synchronization

/// Data parallelism for the evaluator: per-series work (decoding, window
/// functions) split over the machine's cores in contiguous ranges, each
/// task writing only its own slots of shared result buffers.
enum Parallel {
    /// Cores to use for one query.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Work units (about one decoded sample or one window evaluation each)
    /// below which a second task costs more than it saves: waking a worker
    /// thread and joining it costs tens of microseconds, and on a small
    /// machine the core it takes is often the one the client is running on.
    static let workPerTask = 32_768

    /// Work units per byte of a histogram chunk, or per histogram sample or
    /// window: decoding a histogram and combining it costs about as much as
    /// tens of float samples.
    static let histogramWeight = 16

    /// How many tasks `work` units spread over `count` items deserve.
    static func tasks(count: Int, work: Int) -> Int {
        max(1, min(cores, count, work / workPerTask))
    }

    /// Ranges each task takes on average: series differ in cost (one
    /// encoding decodes at half the speed of another, and series sorted by
    /// labels keep like with like), so fixed halves left one core idle for
    /// a third of a query; tasks take the next range when done instead.
    static let rangesPerTask = 8

    /// The length of the ranges `forEachRange` hands out (the last may be shorter):
    /// range `r` is `r * grain ..< min(count, (r + 1) * grain)`.
    static func grain(count: Int, tasks: Int, rangesPerTask: Int = rangesPerTask) -> Int {
        tasks <= 1 ? max(1, count) : max(1, count / (tasks * rangesPerTask))
    }

    /// Calls `body(range, task)` for contiguous ranges covering 0..<count,
    /// from `tasks` concurrent tasks when there is more than one; a task
    /// (numbered 0..<tasks) may be given several ranges, one at a time,
    /// each `grain` long (the last may be shorter; default: `grain(count:tasks:)`).
    static func forEachRange(count: Int, tasks: Int, grain: Int? = nil, _ body: @Sendable (Range<Int>, Int) -> Void) {
        if tasks <= 1 {
            body(0..<count, 0)
            return
        }
        let grain = grain ?? Self.grain(count: count, tasks: tasks)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            while true {
                let lower = next.add(grain, ordering: .relaxed).oldValue
                guard lower < count else { return }
                body(lower ..< min(count, lower + grain), task)
            }
        }
    }
}

/// A fixed-size buffer that concurrent tasks write at disjoint indices.
///
/// `@unchecked Sendable` because the compiler cannot see that the tasks
/// never touch the same index, and that `Parallel.forEachRange` returns
/// only after all of them finished (so reads after it see every write).
final class SharedSlots<Element>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Element>

    init(repeating value: Element, count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: value)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    var count: Int { storage.count }

    subscript(i: Int) -> Element {
        get { storage[i] }
        set { storage[i] = newValue }
    }

    /// Moves the elements out into an array.
    func toArray() -> [Element] { Array(storage) }
}
