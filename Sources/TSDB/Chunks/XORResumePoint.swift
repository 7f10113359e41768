/// A place inside an XOR chunk where decoding can start without reading the
/// samples before it: the decoder's whole state just after sample `index`
/// (its timestamp, the last delta, the value bits and the XOR window) and
/// the bit where the next sample begins.
///
/// The head records one every `interval` samples of a series' open chunk
/// (`XORAppender.resumePoints`), and a query reading the open chunk from a
/// time after its start resumes at the last point before that time: an
/// instant query over `[5m]` at the newest data decodes the last twenty-odd
/// samples of a chunk instead of all 120. Prometheus' chunks have no such
/// index; its readers decode from the start.
public struct XORResumePoint: Sendable, Equatable {
    /// Samples between points: up to three in a 120-sample chunk (32 bytes each).
    public static let interval = 32

    /// Timestamp of the last sample before the point.
    public let t: Int64
    /// Difference between the last two timestamps.
    public let tDelta: Int64
    /// Value bits of the last sample before the point.
    public let bits: UInt64
    private let storedBitOffset: UInt32
    private let storedIndex: UInt16
    private let storedLeading: UInt8
    private let storedTrailing: UInt8

    /// Samples before the point; decoding resumes with sample `index`.
    public var index: Int { Int(storedIndex) }
    /// Bit offset of sample `index` in the sample data (after the 2-byte count).
    public var bitOffset: Int { Int(storedBitOffset) }
    /// The XOR window of the last value.
    public var leading: Int { Int(storedLeading) }
    public var trailing: Int { Int(storedTrailing) }

    /// Nil when a field does not fit its compact storage (no real chunk is that long).
    init?(index: Int, bitOffset: Int, t: Int64, tDelta: Int64, bits: UInt64, leading: Int, trailing: Int) {
        guard let i = UInt16(exactly: index), let b = UInt32(exactly: bitOffset),
              let l = UInt8(exactly: leading), let r = UInt8(exactly: trailing) else { return nil }
        (storedIndex, storedBitOffset, storedLeading, storedTrailing) = (i, b, l, r)
        (self.t, self.tDelta, self.bits) = (t, tDelta, bits)
    }
}
