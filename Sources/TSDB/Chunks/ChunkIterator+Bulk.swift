/// Bulk decoding: a whole chunk in one tight loop per encoding, for readers
/// that want every sample of a time range (the query engine). Same results
/// as calling `next()` repeatedly, without the per-sample dispatch.
extension ChunkIterator {
    /// Samples gathered on the stack before they are appended to the output
    /// together: appending one by one checked the array's uniqueness and
    /// capacity per sample.
    static let batchSize = 128

    /// Appends the samples with `mint ≤ t ≤ maxt` to `out`, staleness markers
    /// left out when `dropStale`. Returns false once a sample lies past
    /// `maxt` (later chunks of the series cannot contribute either); check
    /// `error` afterwards for corruption.
    public mutating func decodeAll(into out: inout [Sample], mint: Int64, maxt: Int64, dropStale: Bool) -> Bool {
        guard error == nil else { return false }
        return withUnsafeTemporaryAllocation(of: Sample.self, capacity: Self.batchSize) { batch in
            var filled = 0
            defer { out.append(contentsOf: UnsafeBufferPointer(rebasing: batch[..<filled])) }
            /// Checks the sample just decoded and keeps it; false to stop.
            @inline(__always) func emit() -> Bool {
                if reader.overrun {
                    markCorrupt("chunk ends early: sample \(index + 1) of \(count) is truncated")
                    return false
                }
                guard error == nil else { return false }
                index += 1
                if t > maxt { return false }
                if t >= mint && !(dropStale && bits == StaleNaN.bits) {
                    if filled == batch.count {
                        out.append(contentsOf: batch)
                        filled = 0
                    }
                    batch[filled] = Sample(t, Double(bitPattern: bits))
                    filled += 1
                }
                return true
            }
            switch encoding {
            case .xor:
                while index < count {
                    decodeXOR()
                    guard emit() else { return false }
                }
            case .scaledInt:
                while index < count {
                    decodeScaledInt()
                    guard emit() else { return false }
                }
            case .xorSparseTimestamps:
                while index < count {
                    decodeSparseTimestamp()
                    if index == 0 { bits = reader.readBits(64) } else { decodeXORValue() }
                    guard emit() else { return false }
                }
            }
            return true
        }
    }
}
