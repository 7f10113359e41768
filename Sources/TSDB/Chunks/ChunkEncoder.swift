/// Chooses the smallest lossless encoding for a sealed run of samples.
/// Gorilla (XOR) is the baseline and always applies; a variant is used only
/// if it is strictly smaller and decodes to identical bits.
public enum ChunkEncoder {
    public static func encode(_ samples: [Sample]) -> Chunk {
        var app = XORAppender()
        for s in samples { app.append(s.t, s.v) }
        let xor = app.chunk
        guard let alt = ScaledIntEncoder.encode(samples), alt.bytes.count < xor.bytes.count else { return xor }
        return alt
    }
}
