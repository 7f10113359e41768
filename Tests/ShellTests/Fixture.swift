import Foundation
import PromQL
@testable import Shell
import TSDB
import TSDBTestSupport

/// A small database the shell tests query: one hour of samples every 15 s
/// ending at `Fixture.now`, written through the real storage engine.
enum Fixture {
    /// 2023-11-14T23:13:20Z: the fixed clock of the tests.
    static let now: Int64 = 1_700_003_600_000
    static let start = now - 3_600_000

    static func makeDatabase(_ dir: String) throws -> DB {
        var o = DBOptions()
        o.compactionInterval = nil
        let db = try DB.open(dir, options: o)
        let app = db.appender()
        for t in stride(from: start, through: now, by: 15_000) {
            let i = Double((t - start) / 15_000)
            for (job, instance, up) in [("api", "a", 1.0), ("api", "b", 1.0), ("db", "c", 0.0)] {
                try app.append(Labels(["__name__": "up", "job": job, "instance": instance]), t, up)
                try app.append(Labels(["__name__": "http_requests_total", "job": job, "instance": instance]), t,
                               i * (instance == "a" ? 3 : instance == "b" ? 1.5 : 0.25))
            }
            for (instance, base) in [("a", 2.0e9), ("b", 5.5e8)] {
                try app.append(Labels(["__name__": "node_memory_free_bytes", "instance": instance]), t,
                               base + sin(i / 20) * base / 4)
            }
        }
        try app.commit()
        return db
    }

    static var tempDirectory: String { NSTemporaryDirectory() + "/shell-test-\(UUID().uuidString)" }

    static var testdata: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../testdata/shell").standardized
    }

    /// `tsql` built next to the tests (scripts/test.sh builds it first).
    static var tsqlBinary: String? { builtTSQL() }
}
