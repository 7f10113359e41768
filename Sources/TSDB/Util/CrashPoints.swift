#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A test hook for crash tests: with `TSDB_CRASH_AT=<point>[:<n>]` in the
/// environment, the process kills itself with SIGKILL the n-th time (default:
/// the first) it reaches that named point, so that a test can crash it in a
/// window too narrow to hit with a timer (between writing a merged block and
/// removing its parents, say). Without the variable a check is one load.
public enum CrashPoints {
    /// Every named point, for tests to choose from.
    public static let all = ["block.chunks-written", "block.before-rename", "merge.block-added",
                             "merge.parent-parked", "tombstones.block-written", "tombstones.parent-parked"]

    private static let target: (name: String, hit: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["TSDB_CRASH_AT"], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: ":")
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let hits = Atomic<Int>(0)

    /// Dies here if the environment says so.
    @inline(__always)
    static func reach(_ name: String) {
        guard let target, target.name == name else { return }
        if hits.wrappingAdd(1, ordering: .relaxed).newValue == target.hit { kill(getpid(), SIGKILL) }
    }
}
