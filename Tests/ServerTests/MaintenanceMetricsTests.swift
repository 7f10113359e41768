import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Testing
import TSDB

@Suite("/metrics of the maintenance job")
struct MaintenanceMetricsTests {
    static let hour: Int64 = 3_600_000

    @Test("compactions (head, merge, tombstones, failed), head truncations, retention deletions and reclaimed bytes are counted")
    func maintenanceCounters() async throws {
        try await withServer(database: { $0.retentionDuration = Self.hour }) { client, db in
            func write(hours: Range<Int64>) throws {
                let app = db.appender()
                for h in hours {
                    for i in 0..<60 {
                        for job in ["a", "b"] { try app.append(Labels(["__name__": "m", "job": job]), h * Self.hour + Int64(i) * 60_000, Double(i)) }
                    }
                }
                try app.commit()
            }
            // Three 2 h head blocks, then a fourth: the first three fill the 6 h window and are merged.
            try write(hours: 0..<6)
            #expect(try db.flushHead().count == 3)
            try write(hours: 6..<7)
            #expect(try db.flushHead().count == 1)
            #expect(try db.compactBlocks().count == 1)
            // Deleting job="b" in the merged block, then rewriting it without those samples.
            try db.delete([.equal("job", "b")], mint: 0, maxt: 6 * Self.hour - 1)
            try db.cleanTombstones()
            // A full disk: the next head compaction fails, and is counted as failed.
            try write(hours: 8..<9)
            let dir = db.directory
            WriteFaults.failWrites { $0.hasPrefix(dir) }
            #expect(throws: TSDBError.self) { try db.flushHead() }
            WriteFaults.clear()
            // The time retention (1 h) deletes the 6 h block: the newest block ends 2 h after it.
            #expect(try db.applyRetention().count == 1)

            try await client.execute(uri: "/metrics", method: .get) { r in
                let s = String(buffer: r.body)
                for line in ["prometheus_tsdb_compactions_total 7", "prometheus_tsdb_compactions_failed_total 1",
                             "prometheus_tsdb_compaction_duration_seconds_count 6", "prometheus_tsdb_tombstone_cleanup_seconds_count 1",
                             "prometheus_tsdb_head_truncations_total 4", "prometheus_tsdb_time_retentions_total 1",
                             "prometheus_tsdb_size_retentions_total 0"] {
                    #expect(s.contains(line + "\n"), "missing \(line)")
                }
                func value(_ name: String) -> Double {
                    s.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
                }
                // Merging three blocks into one saves their duplicated index and framing; deleting half the series saves more.
                #expect(value("tsql_tsdb_compaction_reclaimed_bytes_total") > 0)
                #expect(value("tsql_tsdb_retention_reclaimed_bytes_total") > 0)
            }
        }
    }
}
