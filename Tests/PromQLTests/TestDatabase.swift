import Foundation
import TSDB

/// Runs `body` with a fresh database in a temporary directory (no background compaction).
func withTestDatabase(_ name: String, _ body: (DB) throws -> Void) throws {
    let dir = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var o = DBOptions()
    o.compactionInterval = nil
    let db = try DB.open(dir, options: o)
    defer { try? db.close() }
    try body(db)
}
