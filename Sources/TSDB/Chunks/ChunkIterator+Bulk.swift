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
            var output = ArrayOutput(batch: SampleBatch(buffer: buffer))
            swap(&output.array, &out)
            defer {
                output.flush()
                swap(&output.array, &out)
            }
            return decodeAll(into: &output, TimeWindow(mint: mint, maxt: maxt, dropStale: dropStale))
        }
    }

    /// Hands the samples with `mint ≤ t ≤ maxt`, staleness markers included,
    /// to `sampler`, without storing them. Returns false once a sample lies
    /// past `maxt`; check `error` afterwards for corruption.
    public mutating func decodeAll(into sampler: inout StepSampler, mint: Int64, maxt: Int64) -> Bool {
        guard error == nil else { return false }
        return decodeAll(into: &sampler, TimeWindow(mint: mint, maxt: maxt, dropStale: false))
    }

    @inline(__always)
    mutating func decodeAll<Output: SampleOutput>(into output: inout Output, _ window: TimeWindow) -> Bool {
        switch encoding {
        case .xor: decodeAllXOR(into: &output, window)
        case .scaledInt: decodeAllScaledInt(into: &output, window)
        case .xorSparseTimestamps: decodeAllXORSparseTimestamps(into: &output, window)
        case .floatHistogram: false  // refused in init, with `error` set
        }
    }

    @inline(never)
    mutating func decodeAllXOR<Output: SampleOutput>(into output: inout Output, _ window: TimeWindow) -> Bool {
        while index < count && index < 2 {
            decodeXOR()
            guard keepCurrent(into: &output, window) else { return false }
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
            guard window.take(time, value, into: &output) else { return false }
        }
        return true
    }

    /// Scaled integers are finite: there are no staleness markers to drop.
    ///
    /// The loop is specialised on how values advance and how they become
    /// floats (`ScaledIntValues`): a float division per sample cost as much
    /// as all the bit reading, so exponent 0 converts without one, and chunks
    /// whose residuals are all `base` (fixed width 0: constant series,
    /// counters growing by the same step) read no value bits at all.
    @inline(never)
    mutating func decodeAllScaledInt<Output: SampleOutput>(into output: inout Output, _ window: TimeWindow) -> Bool {
        while index < count && index < 2 {
            decodeScaledInt()
            guard keepCurrent(into: &output, window) else { return false }
        }
        guard index < count else { return true }
        let state = (value: ival, delta: iDelta, offset: offset, factor: factor)
        let scale = ScaledIntEncoder.powersOf10[exponent]
        if !residuals.rice && residuals.width == 0 {
            if residuals.base == 0 && !residuals.deltaOfDeltas {
                return scaledIntLoop(into: &output, window, ConstantValues(state, v: Double(bitPattern: bits)))
            }
            let uniform = UniformResiduals(residual: residuals.base, deltaOfDeltas: residuals.deltaOfDeltas)
            if exponent == 0 {
                return scaledIntLoop(into: &output, window, ScaledIntValues(state, uniform, IntegerValue()))
            }
            return scaledIntLoop(into: &output, window, ScaledIntValues(state, uniform, DecimalValue(scale: scale)))
        }
        if exponent == 0 {
            return scaledIntLoop(into: &output, window, ScaledIntValues(state, residuals, IntegerValue()))
        }
        return scaledIntLoop(into: &output, window, ScaledIntValues(state, residuals, DecimalValue(scale: scale)))
    }

    /// The scaled-int loop from the third sample on, with the decoder state
    /// in locals (generic, so each kind of `values` gets its own copy).
    /// Between two timestamp exceptions the timestamps advance by a fixed
    /// step, so the inner loop is a run with nothing to look up but the values.
    @inline(__always)
    mutating func scaledIntLoop<Output: SampleOutput, Values: ScaledIntValueStream>(into output: inout Output,
                                                                                   _ window: TimeWindow, _ values: Values) -> Bool {
        var values = values
        var r = reader
        var (i, time, timeDelta, v) = (index, t, tDelta, Double(bitPattern: bits))
        defer {
            (index, reader, t, tDelta, bits) = (i, r, time, timeDelta, v.bitPattern)
            (ival, iDelta) = (values.value, values.delta)
        }
        let (mint, maxt) = (window.mint, window.maxt)
        while i < count {
            if i == nextException {
                index = i  // takeException reads it
                let exception = takeException()
                guard error == nil else { return false }
                if gridTimestamps {
                    time = t0 &+ Int64(i) &* step &+ exception
                } else {
                    timeDelta = timeDelta &+ exception
                    time = time &+ timeDelta
                }
                v = values.next(&r)
                if r.overrun {
                    markTruncated()
                    return false
                }
                i += 1
                if time > maxt { return false }
                if time >= mint { output.append(time, v) }
                continue
            }
            // The run up to the next exception or the end.
            let end = min(count, nextException)
            let stride = gridTimestamps ? step : timeDelta
            var next = gridTimestamps ? t0 &+ Int64(i) &* step : time &+ timeDelta
            repeat {
                time = next
                v = values.next(&r)
                if r.overrun { break }  // a truncated chunk: nothing read past its end is kept
                i += 1
                if time > maxt { break }
                if time >= mint { output.append(time, v) }
                next = next &+ stride
            } while i < end
            if r.overrun {
                markTruncated()
                return false
            }
            if time > maxt { return false }
        }
        return true
    }

    @inline(never)
    mutating func decodeAllXORSparseTimestamps<Output: SampleOutput>(into output: inout Output, _ window: TimeWindow) -> Bool {
        while index < count {
            decodeSparseTimestamp()
            if index == 0 { bits = reader.readBits(64) } else { decodeXORValue() }
            guard keepCurrent(into: &output, window) else { return false }
        }
        return true
    }

    /// Checks the sample just decoded by the per-sample path and keeps it if
    /// it is in the window; false to stop.
    @inline(__always)
    mutating func keepCurrent<Output: SampleOutput>(into output: inout Output, _ window: TimeWindow) -> Bool {
        if reader.overrun {
            markTruncated()
            return false
        }
        guard error == nil else { return false }
        index += 1
        return window.take(t, bits, into: &output)
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

    /// Hands the sample to `output` if it is in the window; false once it lies past the window.
    @inline(__always)
    func take<Output: SampleOutput>(_ t: Int64, _ bits: UInt64, into output: inout Output) -> Bool {
        if t > maxt { return false }
        if t >= mint && !(dropStale && bits == StaleNaN.bits) { output.append(t, Double(bitPattern: bits)) }
        return true
    }
}

/// Where a bulk decode puts the samples it keeps (each decoding loop is
/// specialised for each kind).
protocol SampleOutput {
    mutating func append(_ t: Int64, _ v: Double)
}

/// Samples stored in an array, through a stack buffer: appending one by one
/// checked the array's uniqueness and capacity per sample.
struct ArrayOutput: SampleOutput {
    var batch: SampleBatch
    var array: [Sample] = []

    @inline(__always)
    mutating func append(_ t: Int64, _ v: Double) {
        batch.append(t, v, spillingInto: &array)
    }

    mutating func flush() { batch.flush(into: &array) }
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
