/// Bulk decoding: a whole chunk in one tight loop per encoding, for readers
/// that want every sample of a time range (the query engine). Same results
/// as calling `next()` repeatedly, without the per-sample dispatch.
///
/// Each encoding has its own function, kept out of line: in one function the
/// three loops exceeded the optimiser's size budget for a caller, and the
/// `@inline(__always)` bit-reading helpers were left as calls. From the third
/// sample on the loops keep the decoder state in locals, so that it stays in
/// registers (through `self` every field was loaded and stored per sample).
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
        return withUnsafeTemporaryAllocation(of: Sample.self, capacity: Self.batchSize) { buffer in
            var batch = SampleBatch(buffer: buffer)
            defer { batch.flush(into: &out) }
            let window = TimeWindow(mint: mint, maxt: maxt, dropStale: dropStale)
            switch encoding {
            case .xor: return decodeAllXOR(into: &batch, out: &out, window)
            case .scaledInt: return decodeAllScaledInt(into: &batch, out: &out, window)
            case .xorSparseTimestamps: return decodeAllXORSparseTimestamps(into: &batch, out: &out, window)
            }
        }
    }

    @inline(never)
    mutating func decodeAllXOR(into batch: inout SampleBatch, out: inout [Sample], _ window: TimeWindow) -> Bool {
        while index < count && index < 2 {
            decodeXOR()
            guard keepCurrent(into: &batch, out: &out, window) else { return false }
        }
        var r = reader
        var (time, timeDelta, value, lead, trail) = (t, tDelta, bits, leading, trailing)
        defer { (reader, t, tDelta, bits, leading, trailing) = (r, time, timeDelta, value, lead, trail) }
        while index < count {
            timeDelta = timeDelta &+ Self.readXORTimestampDoD(&r)
            time = time &+ timeDelta
            if !Self.readXORValue(&r, bits: &value, leading: &lead, trailing: &trail) {
                (leading, trailing) = (lead, trail)
                markBadXORWindow()
                return false
            }
            if r.overrun {
                markTruncated()
                return false
            }
            index += 1
            guard window.take(time, value, into: &batch, out: &out) else { return false }
        }
        return true
    }

    /// Scaled integers are finite: there are no staleness markers to drop.
    @inline(never)
    mutating func decodeAllScaledInt(into batch: inout SampleBatch, out: inout [Sample], _ window: TimeWindow) -> Bool {
        while index < count && index < 2 {
            decodeScaledInt()
            guard keepCurrent(into: &batch, out: &out, window) else { return false }
        }
        var r = reader
        var (time, timeDelta, value, valueDelta) = (t, tDelta, ival, iDelta)
        let scale = ScaledIntEncoder.powersOf10[exponent]  // dividing by 10^0 = 1 is exact
        defer {
            (reader, t, tDelta, ival, iDelta) = (r, time, timeDelta, value, valueDelta)
            bits = (Double(offset &+ value &* factor) / scale).bitPattern
        }
        while index < count {
            let exception = index == nextException ? takeException() : 0
            if gridTimestamps {
                time = t0 &+ Int64(index) &* step &+ exception
            } else {
                timeDelta = timeDelta &+ exception
                time = time &+ timeDelta
            }
            residuals.advance(&r, value: &value, delta: &valueDelta)
            if r.overrun {
                markTruncated()
                return false
            }
            guard error == nil else { return false }  // from the timestamp exceptions
            index += 1
            if time > window.maxt { return false }
            if time >= window.mint { batch.append(time, Double(offset &+ value &* factor) / scale, spillingInto: &out) }
        }
        return true
    }

    @inline(never)
    mutating func decodeAllXORSparseTimestamps(into batch: inout SampleBatch, out: inout [Sample], _ window: TimeWindow) -> Bool {
        while index < count {
            decodeSparseTimestamp()
            if index == 0 { bits = reader.readBits(64) } else { decodeXORValue() }
            guard keepCurrent(into: &batch, out: &out, window) else { return false }
        }
        return true
    }

    /// Checks the sample just decoded by the per-sample path and keeps it if
    /// it is in the window; false to stop.
    @inline(__always)
    mutating func keepCurrent(into batch: inout SampleBatch, out: inout [Sample], _ window: TimeWindow) -> Bool {
        if reader.overrun {
            markTruncated()
            return false
        }
        guard error == nil else { return false }
        index += 1
        return window.take(t, bits, into: &batch, out: &out)
    }

    @inline(never)
    mutating func markTruncated() {
        markCorrupt("chunk ends early: sample \(index + 1) of \(count) is truncated")
    }
}

/// The samples a bulk decode keeps: `mint ≤ t ≤ maxt`, staleness markers
/// left out when `dropStale`.
struct TimeWindow {
    let mint: Int64
    let maxt: Int64
    let dropStale: Bool

    /// Keeps the sample in `batch` if it is in the window; false once it lies past the window.
    @inline(__always)
    func take(_ t: Int64, _ bits: UInt64, into batch: inout SampleBatch, out: inout [Sample]) -> Bool {
        if t > maxt { return false }
        if t >= mint && !(dropStale && bits == StaleNaN.bits) { batch.append(t, Double(bitPattern: bits), spillingInto: &out) }
        return true
    }
}

/// A stack buffer of decoded samples, appended to the output array when full
/// and at the end.
struct SampleBatch {
    let buffer: UnsafeMutableBufferPointer<Sample>
    var filled = 0

    init(buffer: UnsafeMutableBufferPointer<Sample>) { self.buffer = buffer }

    @inline(__always)
    mutating func append(_ t: Int64, _ v: Double, spillingInto out: inout [Sample]) {
        if filled == buffer.count { flush(into: &out) }
        buffer[filled] = Sample(t, v)
        filled += 1
    }

    mutating func flush(into out: inout [Sample]) {
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<filled]))
        filled = 0
    }
}
