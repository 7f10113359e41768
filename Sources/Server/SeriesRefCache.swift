import Foundation
import Ingest
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

    /// The known reference of every series of the batch (nil: not known), under one lock.
    func lookup(_ batch: WriteBatch.View) -> [SeriesRef?] {
        var out = [SeriesRef?](repeating: nil, count: batch.count)
        entries.withLock { e in
            for i in 0..<batch.count {
                guard let entry = e[batch.labelHash(i)] else { continue }
                let bytes = batch.labelBytes(i)
                guard entry.bytes.count == bytes.count else { continue }
                if bytes.isEmpty || entry.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) }) == 0 {
                    out[i] = entry.ref
                }
            }
        }
        return out
    }

    func store(_ batch: WriteBatch.View, series i: Int, ref: SeriesRef) {
        let bytes = Array(batch.labelBytes(i))
        entries.withLock { e in
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[batch.labelHash(i)] = Entry(bytes: bytes, ref: ref)
        }
    }
}
