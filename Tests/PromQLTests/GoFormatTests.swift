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
