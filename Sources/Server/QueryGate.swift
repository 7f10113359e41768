import Synchronization

/// Bounds how many queries are evaluated at once (`--query.max-concurrency`).
/// Queries beyond the limit wait in a FIFO queue; when the queue is full too,
/// `enter` fails at once and the API answers 503 rather than piling up work.
final class QueryGate: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    let maxRunning: Int
    let maxWaiting: Int
    private let state = Mutex(State())

    init(maxRunning: Int, maxWaiting: Int) {
        self.maxRunning = max(1, maxRunning)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Waits for a slot; false if the queue is full (the caller must not `leave`).
    func enter() async -> Bool {
        enum Decision { case run, wait, reject }
        let decision = state.withLock { s -> Decision in
            if s.running < maxRunning {
                s.running += 1
                return .run
            }
            return s.waiting.count < maxWaiting ? .wait : .reject
        }
        switch decision {
        case .run: return true
        case .reject: return false
        case .wait:
            await withCheckedContinuation { c in
                // The slot may have been freed between the decision and now.
                let runNow = state.withLock { s -> Bool in
                    if s.running < maxRunning {
                        s.running += 1
                        return true
                    }
                    s.waiting.append(c)
                    return false
                }
                if runNow { c.resume() }
            }
            return true
        }
    }

    /// Takes a slot if one is free now, never waiting (the direct query lane,
    /// which cannot suspend, hands the request to the router otherwise).
    func tryEnter() -> Bool {
        state.withLock { s in
            guard s.running < maxRunning, s.waiting.isEmpty else { return false }
            s.running += 1
            return true
        }
    }

    /// Frees a slot, handing it straight to the oldest waiter if there is one.
    func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiting.removeFirst()  // the slot passes on: `running` stays
        }
        next?.resume()
    }

    /// Queries running and waiting now (for `/metrics`).
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }
}
