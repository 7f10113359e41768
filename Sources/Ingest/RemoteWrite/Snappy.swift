import CSnappy

/// The only place libsnappy is called: raw (block format) snappy, as remote write uses.
public enum Snappy {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidInput
        case tooLarge(Int)

        /// Go's snappy wording for corrupt input, which remote-write clients log.
        public var description: String {
            switch self {
            case .invalidInput: "snappy: corrupt input"
            case .tooLarge(let n): "snappy: decoded length \(n) exceeds the limit"
            }
        }
    }

    /// Decompresses a snappy block; refuses outputs larger than `limit` bytes.
    public static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws(Failure) -> [UInt8] {
        var length = 0
        let ok = input.withUnsafeBytes { raw in
            snappy_uncompressed_length(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &length) == SNAPPY_OK
        }
        guard ok else { throw .invalidInput }
        guard length <= limit else { throw .tooLarge(length) }
        var out = [UInt8](repeating: 0, count: length)
        var outLength = length
        let status = input.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { dst in
                snappy_uncompress(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count,
                                  dst.baseAddress?.assumingMemoryBound(to: CChar.self), &outLength)
            }
        }
        guard status == SNAPPY_OK, outLength == length else { throw .invalidInput }
        return out
    }

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: snappy_max_compressed_length(input.count))
        var outLength = out.count
        _ = input.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { dst in
                snappy_compress(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count,
                                dst.baseAddress?.assumingMemoryBound(to: CChar.self), &outLength)
            }
        }
        out.removeLast(out.count - outLength)
        return out
    }
}
