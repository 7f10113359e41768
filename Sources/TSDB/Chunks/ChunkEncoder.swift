/// Chooses the smallest lossless encoding for a sealed run of samples.
/// Gorilla (XOR) is the baseline and always applies; a variant is used only
/// if it is strictly smaller and decodes to identical bits.
public enum ChunkEncoder {
    public static func encode(_ samples: [Sample]) -> Chunk {
        var app = XORAppender()
        for s in samples { app.append(s.t, s.v) }
        var best = app.chunk
        let times = TimestampSection(samples)  // both variants share it
        if samples.count >= 3 {
            let sparse = encodeXORSparseTimestamps(samples, times: times)
            if sparse.bytes.count < best.bytes.count { best = sparse }
        }
        if let alt = ScaledIntEncoder.encode(samples, times: times), alt.bytes.count < best.bytes.count { best = alt }
        return best
    }

    /// `.xorSparseTimestamps`: count, flags, the timestamp section of
    /// scaled-int chunks, then the Gorilla XOR value stream.
    static func encodeXORSparseTimestamps(_ samples: [Sample], times: TimestampSection? = nil) -> Chunk {
        let times = times ?? TimestampSection(samples)
        var w = BitWriter(capacity: samples.count * 8)
        w.writeBits(UInt64(samples.count), count: 16)
        w.writeBits(times.grid ? 0x40 : 0, count: 8)
        times.write(to: &w)
        var values = XORValueWriter()
        for (i, s) in samples.enumerated() {
            if i == 0 { values.writeFirst(s.v.bitPattern, to: &w) } else { values.write(s.v.bitPattern, to: &w) }
        }
        return Chunk(encoding: .xorSparseTimestamps, bytes: w.bytes)
    }
}
