import Synchronization
import TSDB

/// Remembers which head series a remote-write label set (as raw protobuf
/// bytes) resolved to, so that known series are appended by reference
/// without decoding labels. Entries are verified byte for byte; a reference
/// the head has since dropped is detected by the appender and re-resolved.
final class SeriesRefCache: Sendable {
    private struct Entry {
        var bytes: [UInt8]
        var ref: SeriesRef
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    /// Beyond this many series the cache starts over (bounded memory under churn).
    let capacity: Int

    init(capacity: Int = 4_000_000) { self.capacity = capacity }

    func lookup(hash: UInt64, bytes: [UInt8]) -> SeriesRef? {
        entries.withLock { e in
            guard let entry = e[hash], entry.bytes == bytes else { return nil }
            return entry.ref
        }
    }

    func store(hash: UInt64, bytes: [UInt8], ref: SeriesRef) {
        entries.withLock { e in
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[hash] = Entry(bytes: bytes, ref: ref)
        }
    }
}
