/// Varint and fixed-width encoders that append into a caller's buffer, in the
/// style of VictoriaMetrics' `Marshal(dst) -> dst`. Unsigned varints are
/// LEB128 (as Go's `binary.PutUvarint`); signed ones are zig-zag first.
extension Array where Element == UInt8 {
    @inlinable
    public mutating func appendUvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    @inlinable
    public mutating func appendVarint(_ v: Int64) {
        appendUvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    @inlinable
    public mutating func appendBE32(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func appendBE64(_ v: UInt64) {
        appendBE32(UInt32(v >> 32)); appendBE32(UInt32(truncatingIfNeeded: v))
    }

    public mutating func appendString(_ s: String) {
        appendUvarint(UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }

    /// Overwrites 4 bytes at `at` with `v` big-endian (for back-patched lengths).
    public mutating func putBE32(_ v: UInt32, at i: Int) {
        self[i] = UInt8(v >> 24); self[i + 1] = UInt8(truncatingIfNeeded: v >> 16)
        self[i + 2] = UInt8(truncatingIfNeeded: v >> 8); self[i + 3] = UInt8(truncatingIfNeeded: v)
    }
}

/// A bounds-checked cursor over bytes that are kept alive by someone else
/// (an mmap'd file, an array in a `withUnsafeBytes` scope). Every read that
/// would run past the end throws a `.corruption` error naming the offset, so
/// decoders of outside bytes never trap.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int
    /// Added to `offset` in error messages (position of `bytes` inside a file).
    public let base: Int
    public let file: String?

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, base: Int = 0, file: String? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.base = base
        self.file = file
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    @inline(never)
    public func error(_ msg: String) -> TSDBError {
        TSDBError(.corruption, msg, file: file, offset: base + offset)
    }

    public mutating func u8() throws -> UInt8 {
        guard offset < bytes.count else { throw error("unexpected end of data reading a byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func be32() throws -> UInt32 {
        guard remaining >= 4 else { throw error("unexpected end of data reading 4 bytes") }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    public mutating func be64() throws -> UInt64 {
        let hi = try be32()
        return UInt64(hi) << 32 | UInt64(try be32())
    }

    public mutating func uvarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw error("unexpected end of data in varint") }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw error("varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    public mutating func varint() throws -> Int64 {
        let u = try uvarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// An unsigned varint that must fit in `Int` and be at most `limit`.
    public mutating func count(max limit: Int, what: String) throws -> Int {
        let start = offset
        let v = try uvarint()
        guard limit >= 0, v <= UInt64(limit) else {
            offset = start
            throw error("\(what) \(v) exceeds limit \(limit)")
        }
        return Int(v)
    }

    public mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, remaining >= n else { throw error("unexpected end of data reading \(n) bytes") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
    }

    /// A length-prefixed string, validated as UTF-8.
    public mutating func string() throws -> String {
        let n = try count(max: remaining, what: "string length")
        let b = try bytes(n)
        guard let s = String(validating: b, as: UTF8.self) else {
            offset -= n
            throw error("string is not valid UTF-8")
        }
        return s
    }
}
