/// Decodes a histogram chunk (`HistogramChunkAppender`) sample by sample.
/// The bytes are borrowed: the caller keeps them alive. A malformed chunk
/// sets `error` and stops; it never traps or allocates without bound.
///
///     var it = HistogramChunkIterator(bytes: raw)
///     while it.next() { use(it.t, it.histogram) }
///     if let e = it.error { … corrupted chunk … }
public struct HistogramChunkIterator {
    /// More buckets or custom bounds than this in one chunk's layout is corruption.
    static let maxLayoutEntries = 1 << 16

    var reader: BitReader
    public let count: Int
    var index = 0
    public private(set) var t: Int64 = .min
    private var tDelta: Int64 = 0
    public private(set) var layout = HistogramLayout(schema: 0, zeroThreshold: 0, positive: [], negative: [], customValues: [])
    private var hint = NativeHistogram.CounterResetHint.unknown
    /// Per field (count, zero count, sum, buckets): value bits and XOR window.
    private var bits: [UInt64] = []
    private var leading: [Int] = []
    private var trailing: [Int] = []
    public private(set) var error: TSDBError?

    public init(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 2 else {
            reader = BitReader(UnsafeRawBufferPointer(start: nil, count: 0))
            count = 0
            error = TSDBError(.corruption, "histogram chunk shorter than its 2-byte header")
            return
        }
        count = Int(bytes[0]) << 8 | Int(bytes[1])
        reader = BitReader(UnsafeRawBufferPointer(rebasing: bytes[2...]))
        guard let layout = readLayout() else { return }
        self.layout = layout
        let fields = 3 + layout.positive.count + layout.negative.count
        bits = Array(repeating: 0, count: fields)
        leading = Array(repeating: 0, count: fields)
        trailing = Array(repeating: 0, count: fields)
    }

    /// The current sample (valid after `next()` returned true).
    public var histogram: NativeHistogram {
        var h = NativeHistogram(counterResetHint: hint, schema: layout.schema, zeroThreshold: layout.zeroThreshold,
                                zeroCount: Double(bitPattern: bits[1]), count: Double(bitPattern: bits[0]),
                                sum: Double(bitPattern: bits[2]), customValues: layout.customValues)
        h.positive = layout.positive.enumerated().map { HistogramBucket($0.element, Double(bitPattern: bits[3 + $0.offset])) }
        let n = 3 + layout.positive.count
        h.negative = layout.negative.enumerated().map { HistogramBucket($0.element, Double(bitPattern: bits[n + $0.offset])) }
        return h
    }

    /// Advances to the next sample; false at the end or on corruption.
    public mutating func next() -> Bool {
        guard index < count, error == nil else { return false }
        switch index {
        case 0: t = reader.readVarint()
        case 1:
            tDelta = reader.readVarint()
            t = t &+ tDelta
        default:
            tDelta = tDelta &+ ChunkIterator.readXORTimestampDoD(&reader)
            t = t &+ tDelta
        }
        hint = NativeHistogram.CounterResetHint(rawValue: UInt8(reader.readBits(2))) ?? .unknown
        for k in bits.indices {
            if index == 0 {
                bits[k] = reader.readBits(64)
            } else if !ChunkIterator.readXORValue(&reader, bits: &bits[k], leading: &leading[k], trailing: &trailing[k]) {
                return corrupt("histogram chunk has an XOR window wider than 64 bits in sample \(index + 1)")
            }
        }
        if reader.overrun { return corrupt("histogram chunk ends early: sample \(index + 1) of \(count) is truncated") }
        index += 1
        return true
    }

    private mutating func corrupt(_ message: String) -> Bool {
        error = TSDBError(.corruption, message)
        return false
    }

    private mutating func readLayout() -> HistogramLayout? {
        let flags = reader.readBits(8)
        guard flags & ~1 == 0 else { _ = corrupt("histogram chunk has invalid flags \(flags)"); return nil }
        let schema = reader.readVarint()
        guard schema == Int64(NativeHistogram.customBucketsSchema)
                || NativeHistogram.exponentialSchemas.contains(Int32(clamping: schema)) else {
            _ = corrupt("histogram chunk has invalid schema \(schema)")
            return nil
        }
        let zeroThreshold = Double(bitPattern: reader.readBits(64))
        guard let positive = readIndices(), let negative = readIndices() else { return nil }
        var customValues: [Double] = []
        if flags & 1 != 0 {
            let n = Int(clamping: reader.readUvarint())
            guard n <= Self.maxLayoutEntries, n * 64 <= reader.remainingBits else {
                _ = corrupt("histogram chunk declares \(n) custom bounds, more than it holds")
                return nil
            }
            customValues = (0..<n).map { _ in Double(bitPattern: reader.readBits(64)) }
        }
        if reader.overrun { _ = corrupt("histogram chunk's layout is truncated"); return nil }
        return HistogramLayout(schema: Int32(schema), zeroThreshold: zeroThreshold, positive: positive,
                               negative: negative, customValues: customValues)
    }

    /// Bucket indices from spans; nil (and `error` set) if they do not fit.
    private mutating func readIndices() -> [Int32]? {
        let spans = Int(clamping: reader.readUvarint())
        guard spans <= Self.maxLayoutEntries else { _ = corrupt("histogram chunk declares \(spans) spans"); return nil }
        var out: [Int32] = []
        var index: Int64 = 0
        for n in 0..<spans {
            let offset = reader.readVarint()
            let length = Int(clamping: reader.readUvarint())
            if reader.overrun { _ = corrupt("histogram chunk's layout is truncated"); return nil }
            // The first sample has 64 bits per bucket: a layout longer than the chunk is corruption.
            guard n == 0 || offset >= 0, length <= Self.maxLayoutEntries - out.count,
                  (out.count + length) * 64 <= reader.remainingBits else {
                _ = corrupt("histogram chunk has an invalid span (offset \(offset), length \(length))")
                return nil
            }
            index = n == 0 ? offset : index &+ offset
            for _ in 0..<length {
                guard let i = Int32(exactly: index) else { _ = corrupt("histogram chunk has a bucket index out of range"); return nil }
                out.append(i)
                index &+= 1
            }
        }
        return out
    }
}
