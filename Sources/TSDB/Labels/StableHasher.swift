/// A small, deterministic 64-bit hasher (FNV-1a core with a murmur-style
/// finaliser). Swift's `Hasher` is randomly seeded per process, so it cannot
/// be used where hashes must agree across runs.
public struct StableHasher: Sendable {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    @inlinable
    public mutating func combine<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for b in bytes { combine(b) }
    }

    public mutating func combine(_ byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    public func finalize() -> UInt64 {
        var x = state
        x ^= x >> 33
        x = x &* 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x = x &* 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}
