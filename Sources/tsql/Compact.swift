import ArgumentParser
import Foundation
import Server
import TSDB

/// `tsql compact`: the maintenance job on a stopped database — merge blocks
/// (leveled compaction) and apply the retention once, then report blocks
/// and bytes before and after. For cron jobs; a running server does the
/// same in the background.
struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact", abstract: "Merge blocks and apply the retention on a stopped database, once.")

    @Option(name: [.customLong("data"), .customLong("storage.tsdb.path")], help: "Data directory.")
    var data = "./data"
    @Option(name: .customLong("storage.tsdb.retention.time"), help: "Delete blocks older than this (e.g. 30d); none if unset.")
    var retentionTime = ""
    @Option(name: .customLong("storage.tsdb.retention.size"), help: "Delete the oldest blocks beyond this size (e.g. 50GB); none if unset.")
    var retentionSize = ""

    func run() throws {
        var o = DBOptions()
        o.compactionInterval = nil
        if !retentionTime.isEmpty {
            guard let d = DurationFormat.parse(retentionTime) else { throw ValidationError("--storage.tsdb.retention.time: cannot parse \"\(retentionTime)\"") }
            o.setRetention(duration: d)
        }
        if !retentionSize.isEmpty {
            guard let b = ByteSizeFormat.parse(retentionSize) else { throw ValidationError("--storage.tsdb.retention.size: cannot parse \"\(retentionSize)\"") }
            o.retentionBytes = b
        }
        let started = Date()
        let db = try DB.open(data, options: o)  // applies the retention as it opens
        defer { try? db.close() }
        let before = db.stats
        let merged = try db.compactBlocks()
        let deleted = try db.applyRetention()
        let after = db.stats
        func describe(_ s: DBStats) -> String {
            "\(s.blocks.count) blocks, \(s.blockBytes) bytes"
                + (s.blockSamples > 0 ? String(format: " (%.3f bytes/sample)", Double(s.blockBytes) / Double(s.blockSamples)) : "")
        }
        print("before: \(describe(before))")
        print("after:  \(describe(after))")
        print("merged into \(merged.count) block(s), deleted \(deleted.count) by retention, in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        for m in merged { print("  \(m.ulid)  \(Info.time(m.minTime)) – \(Info.time(m.maxTime))  level \(m.compaction.level)  \(m.stats.numSamples) samples") }
    }
}
