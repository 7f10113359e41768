/// Whole-buffer gzip decompression (HTTP request bodies).
public enum Gzip {
    /// Inflates a gzip (or zlib) buffer; refuses outputs beyond `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        let inflater = try Inflater(path: "request body")
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try inflater.inflate($0, into: &out, limit: limit) }
        guard inflater.finished else { throw ExpositionFileReader.ReadError(description: "request body: truncated gzip data") }
        return out
    }
}
