import Foundation

/// A blocking FIFO of bounded size between one producer thread and one
/// consumer thread (WAL replay: decoding overlaps with applying).
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: `items` and `closed` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while the queue is full.
    func put(_ e: Element) {
        condition.lock()
        while items.count - head >= capacity && !closed { condition.wait() }
        items.append(e)
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks while the queue is empty; nil once closed and drained.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let e = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return e
    }

    /// No more elements will be put; wakes the consumer.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
