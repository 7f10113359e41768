import Dispatch
import Foundation

/// Data parallelism for the evaluator: per-series work (decoding, window
/// functions) split over the machine's cores in contiguous ranges, each
/// task writing only its own slots of shared result buffers.
enum Parallel {
    /// Cores to use for one query.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(range, task)` for contiguous ranges covering 0..<count,
    /// concurrently when there is enough work (at least `minimumPerTask`
    /// items per task); returns the number of tasks used.
    @discardableResult
    static func forEachRange(count: Int, minimumPerTask: Int, _ body: @Sendable (Range<Int>, Int) -> Void) -> Int {
        let tasks = max(1, min(cores, count / max(1, minimumPerTask)))
        if tasks == 1 {
            body(0..<count, 0)
            return 1
        }
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            body(count * task / tasks ..< count * (task + 1) / tasks, task)
        }
        return tasks
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
