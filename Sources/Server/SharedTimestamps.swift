import TSDB

/// The formatted text of the timestamps a matrix's series share (a range
/// query's steps), kept while the matrix is written: a point whose time is
/// among them copies its text instead of formatting it again. Formatting a
/// timestamp was a tenth of the time of writing a raw selector's matrix.
///
/// The table holds the times of the longest series seen (rebuilt when a
/// series is twice as long, so at most log₂ rebuilds); other times are
/// formatted as usual.
struct SharedTimestamps {
    /// Bytes per entry: the text (at most `PrometheusJSON.maxTimestampLength`)
    /// and its length in the last byte, copied as four 8-byte words.
    static let stride = 32
    private var times: [Int64] = []
    private var text: [UInt8] = []

    /// Takes `points`' times as the table when there is no table yet or they are twice as many.
    mutating func adopt(_ points: [Sample]) {
        guard points.count >= 2, points.count >= 2 * times.count else { return }
        times = points.map(\.t)
        text = [UInt8](repeating: 0, count: points.count * Self.stride)
        text.withUnsafeMutableBufferPointer { buffer in
            for (i, t) in times.enumerated() {
                let entry = buffer.baseAddress! + i * Self.stride
                entry[Self.stride - 1] = UInt8(PrometheusJSON.writeTimestamp(t, to: entry))
            }
        }
    }

    /// Calls `body` with a writer over the table.
    func withWriter<R>(_ body: (inout Writer) -> R) -> R {
        times.withUnsafeBufferPointer { times in
            text.withUnsafeBufferPointer { text in
                var writer = Writer(times: times, text: text.baseAddress.map(UnsafeRawPointer.init))
                return body(&writer)
            }
        }
    }

    /// Writes the timestamps of one series, in increasing order, walking the table alongside.
    struct Writer {
        let times: UnsafeBufferPointer<Int64>
        let text: UnsafeRawPointer?
        private var cursor = 0

        init(times: UnsafeBufferPointer<Int64>, text: UnsafeRawPointer?) {
            self.times = times
            self.text = text
        }

        /// Starts a series whose first time is `t`: the cursor goes to the first entry not before it.
        mutating func start(at t: Int64) {
            var (low, high) = (0, times.count)
            while low < high {
                let mid = (low + high) / 2
                if times[mid] < t { low = mid + 1 } else { high = mid }
            }
            cursor = low
        }

        /// Writes `t` (not before the previous time of the series) at `p`,
        /// which has room for `SharedTimestamps.stride` bytes; returns how many.
        @inline(__always)
        mutating func write(_ t: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
            while cursor < times.count && times[cursor] < t { cursor += 1 }
            guard cursor < times.count, times[cursor] == t, let text else { return PrometheusJSON.writeTimestamp(t, to: p) }
            let entry = text + cursor * SharedTimestamps.stride
            let raw = UnsafeMutableRawPointer(p)
            for word in 0..<4 { raw.storeBytes(of: entry.loadUnaligned(fromByteOffset: 8 * word, as: UInt64.self), toByteOffset: 8 * word, as: UInt64.self) }
            return Int(entry.load(fromByteOffset: SharedTimestamps.stride - 1, as: UInt8.self))
        }
    }
}
