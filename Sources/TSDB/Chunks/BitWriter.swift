/// An append-only bit stream, most significant bit first. Bits collect in
/// a 64-bit register that is flushed to word storage 8 bytes at a time.
/// `bytes` materialises the stream at any time (the last byte zero-padded),
/// which lets the head snapshot an open chunk without sealing it.
///
/// Non-copyable: the writer owns its storage outright, so appending needs
/// no copy-on-write uniqueness check (that check was 12 % of WAL replay).
public struct BitWriter: ~Copyable {
    private var words: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private var count = 0
    /// Pending bits, left-aligned: the oldest pending bit is bit 63.
    private var register: UInt64 = 0
    private var pending = 0  // 0...63

    /// `capacity` in bytes.
    public init(capacity bytes: Int = 64) {
        capacity = Swift.max(1, (bytes + 7) / 8)
        words = .allocate(capacity: capacity)
    }

    deinit { words.deallocate() }

    public var byteCount: Int { count * 8 + (pending + 7) / 8 }
    /// Bits written so far.
    public var bitCount: Int { count * 64 + pending }

    /// The stream so far, zero-padded to whole bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBytes { copy(into: $0) }
        return out
    }

    /// Writes the stream so far, zero-padded to whole bytes, to the start of
    /// `dst` (at least `byteCount` bytes).
    public func copy(into dst: UnsafeMutableRawBufferPointer) {
        precondition(dst.count >= byteCount)
        for i in 0..<count { dst.storeBytes(of: words[i].bigEndian, toByteOffset: i * 8, as: UInt64.self) }
        let n = (pending + 7) / 8
        for i in 0..<n { dst[count * 8 + i] = UInt8(truncatingIfNeeded: register >> UInt64(56 - 8 * i)) }
    }

    @inline(__always)
    public mutating func writeBit(_ bit: Bool) {
        writeBits(bit ? 1 : 0, count: 1)
    }

    /// Writes the low `count` bits of `value` (0...64), high bit first.
    @inline(__always)
    public mutating func writeBits(_ value: UInt64, count n: Int) {
        guard n > 0 else { return }
        let v = n == 64 ? value : value & ((1 << UInt64(n)) &- 1)
        let free = 64 - pending
        if n < free {
            register |= v << UInt64(free - n)
            pending += n
        } else {
            let rest = n - free
            register |= v >> UInt64(rest)
            if count == capacity { grow() }
            words[count] = register
            count += 1
            pending = rest
            register = rest == 0 ? 0 : v << UInt64(64 - rest)
        }
    }

    @inline(never)
    private mutating func grow() {
        let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: words, count: count)
        words.deallocate()
        words = bigger
        capacity *= 2
    }
}

/// Reads a bit stream written by `BitWriter` from borrowed bytes, through a
/// 64-bit refill register. Reading past the end yields an error flag rather
/// than a trap, so corrupted chunks from disk are detected, not crashed on.

struct BitReader {
    let bytes: UnsafeRawBufferPointer
    var pos: Int = 0  // next byte to load into the register
    var buffer: UInt64 = 0  // valid bits are the top `valid` bits
    var valid: Int = 0
    var overrun = false

    @usableFromInline
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Bits not read yet: in the register and in the bytes after it.
    var remainingBits: Int { (bytes.count - pos) * 8 + valid }

    /// Tops the register up. With 8 bytes left to load, one unaligned load
    /// fills it below the valid bits; the whole bytes that fit count as
    /// valid, and the bits of the partial byte below them are the stream's
    /// own, so loading that byte again later ORs identical bits.
    @inline(__always)
    mutating func refill() {
        if bytes.count - pos >= 8 {
            guard valid <= 56 else { return }
            buffer |= bytes.loadUnaligned(fromByteOffset: pos, as: UInt64.self).bigEndian &>> UInt64(valid)
            let whole = (64 - valid) >> 3
            pos += whole
            valid += whole << 3
            return
        }
        refillNearTheEnd()
    }

    /// Byte by byte, for the last 7 bytes. Out of line: the inlined readers
    /// stay small enough for the optimiser to inline them into the decoding
    /// loops (it stops inlining into a caller past a size budget).
    @inline(never)
    mutating func refillNearTheEnd() {
        while valid <= 56 && pos < bytes.count {
            buffer |= UInt64(bytes[pos]) << UInt64(56 - valid)
            valid += 8
            pos += 1
        }
    }

    @inline(__always)
    mutating func readBit() -> Bool {
        if valid == 0 {
            refill()
            if valid == 0 { overrun = true; return false }
        }
        let b = buffer >> 63
        buffer <<= 1
        valid -= 1
        return b == 1
    }

    /// Reads `count` bits (0...64) as an unsigned integer. The common case
    /// (enough bits buffered) is inlined; refilling is out of line.
    @inline(__always)
    mutating func readBits(_ count: Int) -> UInt64 {
        if count > valid { refill() }
        if count <= valid && count > 0 {
            // Masking shifts: 64 - count is 0...63 here, and count < 64 on the left shift.
            let v = buffer &>> UInt64(64 - count)
            buffer = count == 64 ? 0 : buffer &<< UInt64(count)
            valid -= count
            return v
        }
        return readBitsRefilling(count)
    }

    @inline(never)
    mutating func readBitsRefilling(_ count: Int) -> UInt64 {
        if count == 0 { return 0 }
        // Take what is there, refill, take the rest.
        let have = valid
        var v: UInt64 = have == 0 ? 0 : buffer >> UInt64(64 - have)
        buffer = 0
        valid = 0
        refill()
        let rest = count - have
        guard valid >= rest else { overrun = true; return 0 }
        v = (have == 0 ? 0 : v << UInt64(rest)) | (buffer >> UInt64(64 - rest))
        buffer = rest == 64 ? 0 : buffer << UInt64(rest)
        valid -= rest
        return v
    }

    /// Counts 1 bits up to a terminating 0 (consumed) or `limit` ones (no
    /// terminator), a register at a time: runs that cross the register's end
    /// continue after a full-word refill.
    @inline(__always)
    mutating func readUnary(max limit: Int) -> Int {
        var ones = 0
        while true {
            if valid == 0 {
                refill()
                if valid == 0 { overrun = true; return ones }
            }
            let run = Swift.min((~buffer).leadingZeroBitCount, valid)  // leading ones among the valid bits
            let want = limit - ones
            if run >= want {
                consume(want)
                return limit
            }
            if run < valid {
                consume(run + 1)  // the ones and their terminating zero
                return ones + run
            }
            ones += run
            consume(run)  // every valid bit was a one
        }
    }

    @inline(__always)
    mutating func consume(_ n: Int) {
        buffer = n >= 64 ? 0 : buffer << UInt64(n)
        valid -= n
    }

    /// Reads an unsigned LEB128 varint stored as 8-bit groups in the stream.

    mutating func readUvarint() -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 70 {
            let b = readBits(8)
            if overrun { return 0 }
            result |= (b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
        overrun = true
        return 0
    }


    mutating func readVarint() -> Int64 {
        let u = readUvarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }
}

extension BitWriter {
    public mutating func writeUvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            writeBits((v & 0x7f) | 0x80, count: 8)
            v >>= 7
        }
        writeBits(v, count: 8)
    }

    public mutating func writeVarint(_ v: Int64) {
        writeUvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }
}

extension BitReader {
    /// Interprets the low `width` bits as Prometheus' signed bucket value:
    /// values above 2^(width-1) are negative.
    @inline(__always)
    static func signExtend(_ raw: UInt64, width: Int) -> Int64 {
        if width == 64 { return Int64(bitPattern: raw) }
        let v = Int64(raw)
        return v > (Int64(1) << (width - 1)) ? v - (Int64(1) << width) : v
    }
}
