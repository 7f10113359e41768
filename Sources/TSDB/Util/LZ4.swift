import CLZ4

/// The only place liblz4 is called. Block format (no frame header): the
/// caller stores the uncompressed length itself.
public enum LZ4 {
    /// Compresses `src` and appends the result to `out`; returns the number of bytes appended.
    @discardableResult
    public static func compress(_ src: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) -> Int {
        let bound = Int(LZ4_compressBound(Int32(src.count)))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        let n = out.withUnsafeMutableBytes { dst in
            LZ4_compress_default(
                src.baseAddress?.assumingMemoryBound(to: CChar.self),
                (dst.baseAddress! + start).assumingMemoryBound(to: CChar.self),
                Int32(src.count), Int32(bound))
        }
        out.removeLast(bound - Int(n))
        return Int(n)
    }

    /// Decompresses exactly `rawLength` bytes into `out` (replacing its contents).
    public static func decompress(_ src: UnsafeRawBufferPointer, rawLength: Int, into out: inout [UInt8]) -> Bool {
        if out.count < rawLength { out = [UInt8](repeating: 0, count: rawLength) }
        let n = out.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(
                src.baseAddress?.assumingMemoryBound(to: CChar.self),
                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(src.count), Int32(rawLength))
        }
        return Int(n) == rawLength
    }
}
