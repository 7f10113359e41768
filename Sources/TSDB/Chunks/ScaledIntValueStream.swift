// How the bulk scaled-int loop (`ChunkIterator.scaledIntLoop`) advances and
// converts values: one small type per kind of chunk, so that the generic
// loop is specialised for each and the per-sample work is only what that
// kind needs.

/// The values of a scaled-int chunk from the third sample on, for the bulk
/// loop: the integer value and its delta, advanced one sample per `next`.
protocol ScaledIntValueStream {
    var value: Int64 { get }
    var delta: Int64 { get }
    /// Advances to the next sample's value, reading its residual from `reader` if any.
    mutating func next(_ reader: inout BitReader) -> Double
}

/// A chunk whose remaining values all equal the last one.
struct ConstantValues: ScaledIntValueStream {
    let value: Int64
    let delta: Int64
    let v: Double

    init(_ state: (value: Int64, delta: Int64, offset: Int64, factor: Int64), v: Double) {
        (value, delta, self.v) = (state.value, 0, v)
    }

    @inline(__always)
    func next(_ reader: inout BitReader) -> Double { v }
}

/// How a residual advances the value: read from the stream, or always the same.
protocol ResidualSource {
    func advance(_ reader: inout BitReader, value: inout Int64, delta: inout Int64)
}

extension ScaledIntResiduals: ResidualSource {}

/// Fixed width 0: every residual is the base, no bits are read.
struct UniformResiduals: ResidualSource {
    let residual: Int64
    let deltaOfDeltas: Bool

    @inline(__always)
    func advance(_ reader: inout BitReader, value: inout Int64, delta: inout Int64) {
        delta = deltaOfDeltas ? delta &+ residual : residual
        value = value &+ delta
    }
}

/// How a scaled integer becomes the float it stands for.
protocol ScaledIntConversion {
    func float(_ i: Int64) -> Double
}

/// Exponent 0: the integer itself (no division by 1).
struct IntegerValue: ScaledIntConversion {
    @inline(__always) func float(_ i: Int64) -> Double { Double(i) }
}

/// Exponent k > 0: divided by 10^k (a division, not a multiplication by
/// 10^-k, to give back the encoded bits exactly).
struct DecimalValue: ScaledIntConversion {
    let scale: Double
    @inline(__always) func float(_ i: Int64) -> Double { Double(i) / scale }
}

/// Values from residuals, scaled back by a common factor and offset, converted.
struct ScaledIntValues<Residuals: ResidualSource, Conversion: ScaledIntConversion>: ScaledIntValueStream {
    var value: Int64
    var delta: Int64
    let offset: Int64
    let factor: Int64
    let residuals: Residuals
    let conversion: Conversion

    init(_ state: (value: Int64, delta: Int64, offset: Int64, factor: Int64), _ residuals: Residuals, _ conversion: Conversion) {
        (value, delta, offset, factor) = state
        self.residuals = residuals
        self.conversion = conversion
    }

    @inline(__always)
    mutating func next(_ reader: inout BitReader) -> Double {
        residuals.advance(&reader, value: &value, delta: &delta)
        return conversion.float(offset &+ value &* factor)
    }
}
