import ArgumentParser
import Foundation
import Server
import Synchronization
import TSDB

/// `tsql compact` (alias `tsql maintenance`): the maintenance job on a
/// stopped database — merge blocks (leveled compaction), rewrite blocks with
/// tombstones, apply the retention — with a progress display and a summary
/// of blocks and bytes before and after. Once (for cron jobs), or every
/// `--every` until stopped. A running server does the same in the background.
struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Merge blocks, drop deleted data and apply the retention on a stopped database.",
        aliases: ["maintenance"])

    @Option(name: [.customLong("data"), .customLong("storage.tsdb.path")], help: "Data directory.")
    var data = "./data"
    @Option(name: .customLong("storage.tsdb.retention.time"), help: "Delete blocks older than this (e.g. 30d); none if unset.")
    var retentionTime = ""
    @Option(name: .customLong("storage.tsdb.retention.size"), help: "Delete the oldest blocks beyond this size (e.g. 50GB); none if unset.")
    var retentionSize = ""
    @Option(help: "Run again after this long (e.g. 1h), until stopped; once if unset.")
    var every = ""

    func validate() throws {
        if !retentionTime.isEmpty && DurationFormat.parse(retentionTime) == nil {
            throw ValidationError("--storage.tsdb.retention.time: cannot parse \"\(retentionTime)\" as a duration (e.g. 30d)")
        }
        if !retentionSize.isEmpty && ByteSizeFormat.parse(retentionSize) == nil {
            throw ValidationError("--storage.tsdb.retention.size: cannot parse \"\(retentionSize)\" as a size (e.g. 50GB)")
        }
        if !every.isEmpty && (DurationFormat.parse(every) ?? 0) <= 0 {
            throw ValidationError("--every: \"\(every)\" is not a positive duration (e.g. 1h)")
        }
    }

    func run() throws {
        while true {
            try runOnce()
            guard let pause = DurationFormat.parse(every) else { return }
            print("next run in \(every)")
            Thread.sleep(forTimeInterval: Double(pause) / 1000)
        }
    }

    func runOnce() throws {
        let display = CompactionDisplay(progress: Progress(enabled: isatty(2) != 0))
        var o = DBOptions()
        o.compactionInterval = nil
        o.maintenanceObserver = { display.show($0) }
        if let d = DurationFormat.parse(retentionTime) { o.setRetention(duration: d) }
        o.retentionBytes = ByteSizeFormat.parse(retentionSize)
        let started = Date()
        let db = try DB.open(data, options: o)  // applies the retention as it opens
        defer { try? db.close() }
        let before = db.stats
        try db.cleanTombstones()
        try db.compactBlocks()
        try db.applyRetention()
        let after = db.stats
        func describe(_ s: DBStats) -> String {
            "\(s.blocks.count) blocks, \(Progress.bytes(s.blockBytes)) (\(s.blockBytes) bytes)"
                + (s.blockSamples > 0 ? String(format: ", %.3f bytes/sample", Double(s.blockBytes) / Double(s.blockSamples)) : "")
        }
        let took = Date().timeIntervalSince(started)
        print("before: \(describe(before))")
        print("after:  \(describe(after))")
        print("done in \(String(format: "%.1f", took)) s: \(display.summary)")
    }
}

/// Turns the maintenance events of `tsql compact` into lines: one per block
/// written or deleted, with a redrawn progress line (on a terminal) while a
/// block is being written.
final class CompactionDisplay: Sendable {
    let progress: Progress
    private struct Totals {
        var merged = 0, rewritten = 0, deleted = 0, failed = 0
        var samples: UInt64 = 0
        var seconds = 0.0
    }
    private let totals = Mutex(Totals())
    /// What the running compaction does, shown before its progress.
    private let title = Mutex("")

    init(progress: Progress) { self.progress = progress }

    func show(_ event: MaintenanceEvent) {
        switch event {
        case .compactionStarted(let kind, let inputs):
            let span = inputs.isEmpty ? "" : " \(Info.time(inputs.map(\.minTime).min()!)) – \(Info.time(inputs.map(\.maxTime).max()!))"
            let what = kind == .tombstones ? "rewriting 1 block without deleted samples" : "merging \(inputs.count) blocks"
            title.withLock { $0 = what + span }
            progress.message("\(what)\(span) …")
        case .compactionProgress(let series, let total):
            let what = title.withLock { $0 }
            progress.message("\(what): series \(series)/\(total) (\(total > 0 ? series * 100 / total : 100)%)", throttled: true)
        case .compactionFinished(let o):
            progress.clear()
            let input = "\(o.inputBlocks) block(s), \(Progress.bytes(o.inputBytes))"
            if let error = o.error {
                print("failed after \(String(format: "%.1f", o.seconds)) s (\(input)): \(error)")
            } else if let m = o.output {
                print("\(o.kind == .tombstones ? "rewrote" : "merged") \(input) → \(m.ulid) \(Info.time(m.minTime)) – \(Info.time(m.maxTime)), "
                    + "level \(m.compaction.level), \(m.stats.numSamples) samples, \(Progress.bytes(o.outputBytes)) "
                    + "in \(String(format: "%.1f", o.seconds)) s (\(Progress.count(Double(m.stats.numSamples) / max(o.seconds, 1e-6))) samples/s)")
            } else {
                print("removed \(input): no sample left")
            }
            totals.withLock { t in
                if o.error != nil { t.failed += 1 } else if o.kind == .tombstones { t.rewritten += 1 } else { t.merged += 1 }
                t.samples += o.output?.stats.numSamples ?? 0
                t.seconds += o.seconds
            }
        case .retentionDeleted(let m, let bytes, let reason):
            print("deleted \(m.ulid) \(Info.time(m.minTime)) – \(Info.time(m.maxTime)), \(Progress.bytes(bytes)): beyond the \(reason.rawValue) retention")
            totals.withLock { $0.deleted += 1 }
        case .headTruncated:
            break
        }
    }

    /// What was done, in one line.
    var summary: String {
        let t = totals.withLock { $0 }
        var parts = ["\(t.merged) block(s) written by merging", "\(t.rewritten) rewritten without deleted samples",
                     "\(t.deleted) deleted by retention"]
        if t.failed > 0 { parts.append("\(t.failed) failed") }
        if t.seconds > 0 && t.samples > 0 { parts.append("\(Progress.count(Double(t.samples) / t.seconds)) samples/s compacted") }
        return parts.joined(separator: ", ")
    }
}
