import Foundation

/// Block identifiers: ULIDs (48-bit millisecond time + 80 random bits, 26
/// Crockford base32 characters), as Prometheus names its block directories.
/// They sort by creation time.
public enum ULID {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public static func make(milliseconds: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> String {
        var rng = SystemRandomNumberGenerator()
        let hi = UInt64.random(in: 0...UInt64(UInt16.max), using: &rng)
        let lo = rng.next() as UInt64
        // 128 bits: time(48) | random(80) = hi16 | lo64
        let top = (milliseconds << 16) | hi  // 64 bits: time + 16 random
        var out = [UInt8](repeating: 0, count: 26)
        // 130 bits of output for 128 bits of input: the first char carries 3 bits.
        var bits: [UInt8] = []
        bits.reserveCapacity(130)
        bits.append(0); bits.append(0)
        for i in stride(from: 63, through: 0, by: -1) { bits.append(UInt8((top >> UInt64(i)) & 1)) }
        for i in stride(from: 63, through: 0, by: -1) { bits.append(UInt8((lo >> UInt64(i)) & 1)) }
        for c in 0..<26 {
            var v = 0
            for b in 0..<5 { v = v << 1 | Int(bits[c * 5 + b]) }
            out[c] = alphabet[v]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func isValid(_ s: String) -> Bool {
        s.utf8.count == 26 && s.utf8.allSatisfy { alphabet.contains($0) }
    }
}
