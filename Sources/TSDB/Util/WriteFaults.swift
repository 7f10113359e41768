#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A test hook that makes file writes fail as on a full disk (`ENOSPC`), for
/// chosen paths: the failing write first writes half of its bytes, as a real
/// short write would, so that the rollback of partial writes is exercised
/// too. Production code never arms it; an unarmed check is one atomic load.
public enum WriteFaults {
    private static let armed = Atomic<Bool>(false)
    private static let rule = Mutex<(@Sendable (String) -> Bool)?>(nil)

    /// From now on, writes to files whose path satisfies `failing` fail with ENOSPC.
    public static func failWrites(where failing: @escaping @Sendable (String) -> Bool) {
        rule.withLock { $0 = failing }
        armed.store(true, ordering: .releasing)
    }

    /// Writes succeed again.
    public static func clear() {
        armed.store(false, ordering: .releasing)
        rule.withLock { $0 = nil }
    }

    /// Whether a write to `path` is to fail now.
    @inline(__always)
    static func shouldFail(_ path: String) -> Bool {
        guard armed.load(ordering: .acquiring) else { return false }
        return rule.withLock { $0?(path) ?? false }
    }
}
