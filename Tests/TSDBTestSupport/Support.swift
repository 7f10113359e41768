import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TSDB

/// A fresh directory under the system temp dir, removed when released.
public final class TempDir {
    public let path: String

    public init(_ name: String = "tsdb-test") {
        path = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func sub(_ name: String) -> String { path + "/" + name }
}

/// Deterministic, seedable random numbers (SplitMix64), so failing property
/// tests can be replayed from the seed they print.
public struct SeededRandom: RandomNumberGenerator {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Float values that stress a codec: every class of IEEE 754 double.
public enum AdversarialFloats {
    public static let specials: [Double] = [
        0.0, -0.0, 1.0, -1.0, .infinity, -.infinity, .nan, -Double.nan,
        StaleNaN.value, Double(bitPattern: 0x7ff8_0000_0000_0001), Double(bitPattern: 0xfff0_0000_0000_0001),
        Double(bitPattern: 0x7ff4_0000_0000_0000),  // signalling NaN
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, Double(bitPattern: 0x000f_ffff_ffff_ffff),  // largest subnormal
        0.1, 37.850000000000023, 1e-300, 9007199254740993, 9007199254740992, -9007199254740992,
    ]

    public static func random(_ rng: inout SeededRandom) -> Double {
        switch rng.next() % 8 {
        case 0: return specials[Int(rng.next() % UInt64(specials.count))]
        case 1: return Double(bitPattern: rng.next())  // any bit pattern, NaN payloads included
        case 2: return Double(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 3: return Double(rng.next() % 100_000) / 1000
        case 4: return Double(bitPattern: rng.next() & 0x000f_ffff_ffff_ffff)  // subnormals
        default: return Double(rng.next() % 1000)
        }
    }
}

extension Array where Element == Sample {
    /// Bit patterns, for comparisons that must distinguish NaN payloads and -0.0.
    public var bits: [[UInt64]] { map { [UInt64(bitPattern: $0.t), $0.v.bitPattern] } }
}

/// The `tsql` executable built next to the tests (scripts/test.sh builds it first), or nil.
public func builtTSQL(_ testFile: String = #filePath) -> String? {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tsql").path,
        URL(fileURLWithPath: testFile).deletingLastPathComponent().appendingPathComponent("../../.build/debug/tsql").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick
/// for port 0), for a server a test starts and must name in its config first.
public func freeLocalPort() -> Int {
    freeLocalPorts(1)[0]
}

/// `count` distinct free ports (each socket stays bound until all are picked).
public func freeLocalPorts(_ count: Int) -> [Int] {
    let sockets = (0..<count).map { _ in localSocket(listening: false) }
    defer { sockets.forEach { close($0.fd) } }
    return sockets.map(\.port)
}

/// A socket listening on a kernel-chosen port of 127.0.0.1 (the caller closes
/// it), for tests of what happens when an address is taken.
public func listeningLocalSocket() -> (fd: Int32, port: Int) {
    localSocket(listening: true)
}

private func localSocket(listening: Bool) -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && (!listening || listen(fd, 1) == 0) && getsockname(fd, $0, &length) == 0
        }
    }
    precondition(bound, "cannot bind a socket on 127.0.0.1: errno \(errno)")
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
