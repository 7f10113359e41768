/// Bulk decoding: a whole chunk in one tight loop per encoding, for readers
/// that want every sample of a time range (the query engine). Same results
/// as calling `next()` repeatedly, without the per-sample dispatch.
extension ChunkIterator {
    /// Appends the samples with `mint ≤ t ≤ maxt` to `out`, staleness markers
    /// left out when `dropStale`. Returns false once a sample lies past
    /// `maxt` (later chunks of the series cannot contribute either); check
    /// `error` afterwards for corruption.
    public mutating func decodeAll(into out: inout [Sample], mint: Int64, maxt: Int64, dropStale: Bool) -> Bool {
        guard error == nil else { return false }
        switch encoding {
        case .xor:
            while index < count {
                decodeXOR()
                guard emit(into: &out, mint: mint, maxt: maxt, dropStale: dropStale) else { return false }
            }
        case .scaledInt:
            while index < count {
                decodeScaledInt()
                guard emit(into: &out, mint: mint, maxt: maxt, dropStale: dropStale) else { return false }
            }
        case .xorSparseTimestamps:
            while index < count {
                decodeSparseTimestamp()
                if index == 0 { bits = reader.readBits(64) } else { decodeXORValue() }
                guard emit(into: &out, mint: mint, maxt: maxt, dropStale: dropStale) else { return false }
            }
        }
        return true
    }

    /// Checks the sample just decoded and appends it; false to stop.
    @inline(__always)
    private mutating func emit(into out: inout [Sample], mint: Int64, maxt: Int64, dropStale: Bool) -> Bool {
        if reader.overrun {
            markCorrupt("chunk ends early: sample \(index + 1) of \(count) is truncated")
            return false
        }
        guard error == nil else { return false }
        index += 1
        if t > maxt { return false }
        if t >= mint && !(dropStale && bits == StaleNaN.bits) { out.append(Sample(t, Double(bitPattern: bits))) }
        return true
    }
}
