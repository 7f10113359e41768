import Foundation
import Testing
@testable import PromQL

@Suite("Go float formatting")
struct GoFormatTests {
    static let specials: [Double] = [
        0, -0.0, 1, -1, 0.5, 1e-7, 1e-6, 9.99e-7, 1e21, 9.99e20, 1e20, 123456789012345678, 0.1, 1.0 / 3,
        .nan, .infinity, -.infinity, 9_007_199_254_740_993, 4.5e15, -2.5e-300, .greatestFiniteMagnitude,
        .leastNonzeroMagnitude, 1793491200.123, 37.850000000000023,
    ]

    @Test func knownForms() {
        #expect(GoFormat.formatFloat(1e-7, .api) == "1e-07")
        #expect(GoFormat.formatFloat(1e-7) == "0.0000001")
        #expect(GoFormat.formatFloat(1e21, .api) == "1e+21")
        #expect(GoFormat.formatFloat(1e21) == "1000000000000000000000")
        #expect(GoFormat.formatFloat(0.5) == "0.5")
        #expect(GoFormat.formatFloat(12_340_000) == "12340000")
        #expect(GoFormat.formatFloat(.infinity) == "+Inf")
    }

    /// `strconv.Quote`: Go escapes; bytes outside valid UTF-8 as `\xNN`.
    @Test func quoting() {
        #expect(GoFormat.quote("a\"b\\\n\u{1}é") == #""a\"b\\\n\x01é""#)
        #expect(GoFormat.quote(bytes: Array("é\t".utf8)) == #""é\t""#)
        #expect(GoFormat.quote(bytes: [0x61, 0xc5, 0x7a]) == #""a\xc5z""#)
        #expect(GoFormat.quote(bytes: [0xe2, 0x82]) == #""\xe2\x82""#)  // truncated sequence
        #expect(GoFormat.quote(bytes: [0xed, 0xa0, 0x80]) == #""\xed\xa0\x80""#)  // surrogate
    }

    @Test("bytes and string formatting agree", arguments: 0..<20)
    func bytesMatchString(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var values = Self.specials
        for _ in 0..<500 {
            values.append(Double(bitPattern: next()))
            values.append(Double(Int64(bitPattern: next()) >> Int64(next() % 60)) / Double(1 << (next() % 20)))
            // Short decimals (the common case in metrics) at every scale, and their neighbours.
            let decimal = Double(Int64(bitPattern: next()) >> Int64(8 + next() % 56)) / pow(10, Double(next() % 23))
            values += [decimal, decimal.nextUp, decimal.nextDown]
        }
        for v in values {
            for style in [GoFormat.FloatStyle.fixed, .api] {
                var bytes: [UInt8] = []
                GoFormat.appendFloat(v, style, into: &bytes)
                #expect(String(decoding: bytes, as: UTF8.self) == GoFormat.formatFloat(v, style), "\(v.bitPattern)")
            }
            let direct = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: GoFormat.maxAPIFloatLength) { buf in
                String(decoding: UnsafeBufferPointer(rebasing: buf[..<GoFormat.writeAPIFloat(v, to: buf.baseAddress!)]), as: UTF8.self)
            }
            #expect(direct == GoFormat.formatFloat(v, .api), "\(v.bitPattern)")
        }
    }

    /// Swift's shortest digits (the reference) as `f × 10^e` without trailing zeros.
    static func referenceDecimal(_ a: Double) -> (UInt64, Int) {
        let (digits, point) = GoFormat.shortestDigits(a)
        return (digits.reduce(0) { $0 * 10 + UInt64($1) }, point - digits.count)
    }

    @Test("Schubfach digits equal the standard library's on every class of double", arguments: 0..<8)
    func shortestDigitsMatchSwift(seed: Int) {
        var state = UInt64(seed + 1) &* 0xD134_2543_DE82_EF95
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var values: [Double] = [.greatestFiniteMagnitude, .leastNormalMagnitude, 1, 0.1, 0.3, 2e23, 0x1p-970,
                                9_007_199_254_740_993, 1e21, 1e22, 1e23, 123e-20, 0.000123, 4.35, 1.0 / 3]
        for _ in 0..<25_000 {
            // Uniform bit patterns (all exponents), then the scales metrics live at.
            let bits = next() & ~(1 << 63)
            values.append(Double(bitPattern: bits))
            values.append(Double(bitPattern: (bits & ((1 << 52) - 1)) | UInt64(1023 - 30 + Int(next() % 80)) << 52))
        }
        for e in -1022...1023 {
            // Powers of two (the irregular spacing below them) and their neighbours.
            let p = Double(sign: .plus, exponent: e, significand: 1)
            values += [p, p.nextUp, p.nextDown]
        }
        var mismatches = 0
        for v in values where v.isNormal {
            guard let (f, e) = ShortestDigits.decimal(v) else {
                Issue.record("no digits for normal \(v)")
                continue
            }
            let (rf, re) = Self.referenceDecimal(v)
            if (f, e) != (rf, re) {
                mismatches += 1
                if mismatches < 10 { Issue.record("\(v) (bits \(v.bitPattern)): \(f)e\(e), Swift \(rf)e\(re)") }
            }
        }
        #expect(mismatches == 0)
        #expect(ShortestDigits.decimal(0) == nil && ShortestDigits.decimal(.leastNonzeroMagnitude) == nil
                && ShortestDigits.decimal(.infinity) == nil && ShortestDigits.decimal(.nan) == nil)
    }

    @Test func integersMatchSwift() {
        var values: [Int64] = [0, 1, -1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, .max, .min, .max - 1, .min + 1]
        var p: Int64 = 1
        for _ in 0..<18 { p *= 10; values += [p - 1, p, p + 1, -p, -(p - 1)] }
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<2000 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            values.append(Int64(bitPattern: state) >> Int64(state % 63))
        }
        for n in values {
            let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: GoFormat.maxIntLength) { buf in
                String(decoding: UnsafeBufferPointer(rebasing: buf[..<GoFormat.writeInt(n, to: buf.baseAddress!)]), as: UTF8.self)
            }
            #expect(text == String(n))
        }
    }
}
