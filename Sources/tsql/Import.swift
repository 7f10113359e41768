import ArgumentParser
import Foundation
import Ingest
import PromQL
import Synchronization
import TSDB

/// `tsql import FILE...`: backfills exposition files (OpenMetrics or the
/// Prometheus text format, gzip recognised, `-` for standard input) into a
/// data directory as blocks. Everything is parsed before anything is
/// written: a bad line stops the import with `file:line:column: message`
/// and leaves the database as it was (unless `--skip-invalid`). A server
/// running on the directory picks the new blocks up within a minute.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import exposition files (with timestamps) as blocks, like a backfill.")

    @Option(name: [.customLong("data"), .customLong("storage.tsdb.path")], help: "Data directory.")
    var data = "./data"
    @Option(help: "openmetrics, text or auto (OpenMetrics when the file ends with '# EOF' or is named *.om[.gz]).")
    var format = "auto"
    @Option(name: .customLong("default-timestamp"), help: "Timestamp for samples without one (unix seconds or RFC 3339).")
    var defaultTimestamp: String?
    @Option(name: .customLong("label"), help: "Extra label for every series, name=value (repeatable).")
    var labels: [String] = []
    @Option(name: .customLong("block-duration"), help: "Length of the blocks written.")
    var blockDuration = "2h"
    @Flag(name: .customLong("skip-invalid"), help: "Skip bad lines (counted and reported) instead of stopping at the first.")
    var skipInvalid = false
    @Option(name: .customLong("memory-budget"), help: "Chunk bytes held in memory before spilling to temporary files (e.g. 256MB).")
    var memoryBudget = "256MB"
    @Argument(help: "Files to import ('-' for standard input).")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file ('-' for standard input)") }
        guard ["auto", "openmetrics", "text"].contains(format) else { throw ValidationError("--format must be openmetrics, text or auto") }
        guard let d = DurationFormat.parse(blockDuration), d > 0 else { throw ValidationError("--block-duration: cannot parse \"\(blockDuration)\"") }
        for l in labels where !l.contains("=") || l.hasPrefix("=") { throw ValidationError("--label must be name=value, got \"\(l)\"") }
        if let t = defaultTimestamp, Self.parseTime(t) == nil { throw ValidationError("--default-timestamp: cannot parse \"\(t)\"") }
        guard let budget = ByteSizeFormat.parse(memoryBudget), budget > 0 else {
            throw ValidationError("--memory-budget: cannot parse \"\(memoryBudget)\" (e.g. 256MB)")
        }
    }

    static func parseTime(_ s: String) -> Int64? {
        if let secs = Double(s), secs.isFinite { return Int64((secs * 1000).rounded()) }
        return ISO8601DateFormatter().date(from: s).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }

    func run() throws {
        var options = BlockImporter.Options()
        options.blockDuration = DurationFormat.parse(blockDuration)!
        options.memoryBudget = Int(ByteSizeFormat.parse(memoryBudget)!)
        options.spillDirectory = data  // spill files next to the data, removed at the end
        options.extraLabels = labels.map { l in
            let eq = l.firstIndex(of: "=")!
            return Label(String(l[..<eq]), String(l[l.index(after: eq)...]))
        }
        let importer = BlockImporter(options: options)
        let started = Date()
        let progress = Progress(enabled: isatty(2) != 0)
        var skipped: [(String, Int, ImportError)] = []
        for file in files {
            let reader = ExpositionFileReader(path: file)
            var importOptions = ExpositionImport.Options()
            importOptions.format = try resolvedFormat(file)
            importOptions.defaultTimestamp = defaultTimestamp.flatMap(Self.parseTime)
            importOptions.skipInvalid = skipInvalid
            var feeder = ExpositionImport(file: file, options: importOptions)
            do {
                try reader.forEachChunk { lines, read in
                    try feeder.feed(lines, into: importer)
                    progress.update(file: file, read: read, total: reader.fileSize, samples: importer.summary.samples, since: started)
                }
                try feeder.finish()
            } catch let e as ImportError {
                progress.clear()
                throw ValidationError("\(e)\nnothing was imported")
            } catch let e as ExpositionFileReader.ReadError {
                progress.clear()
                throw ValidationError("\(e)\nnothing was imported")
            }
            if let first = feeder.firstSkipped { skipped.append((file, feeder.skippedLines, first)) }
        }
        progress.clear()
        let summary = try importer.write(into: data) { n, total in
            progress.message("writing blocks: \(n)/\(total)")
        }
        progress.clear()
        let took = Date().timeIntervalSince(started)
        print(Self.report(summary, seconds: took, directory: data))
        for (file, count, first) in skipped { print("skipped \(count) invalid line(s) in \(file); the first: \(first)") }
        if summary.conflicts > 0 {
            print("\(summary.conflicts) sample(s) repeated a timestamp with another value (the first kept); the first: \(summary.firstConflict ?? "")")
        }
        if summary.duplicates > 0 { print("\(summary.duplicates) exact duplicate sample(s) stored once") }
        if importer.spills > 0 { print("memory budget \(memoryBudget) reached: spilled to disk \(importer.spills) time(s)") }
    }

    func resolvedFormat(_ file: String) throws -> ExpositionFormat {
        switch format {
        case "openmetrics": return .openMetrics
        case "text": return .prometheusText
        default:
            if file.hasSuffix(".om") || file.hasSuffix(".om.gz") { return .openMetrics }
            guard file != "-", let h = FileHandle(forReadingAtPath: file) else { return .prometheusText }
            defer { try? h.close() }
            let head = h.readData(ofLength: 2)
            if head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b { return .prometheusText }
            let size = (try? h.seekToEnd()) ?? 0
            try? h.seek(toOffset: size > 64 ? size - 64 : 0)
            let tail = h.readDataToEndOfFile()
            return tail.withUnsafeBytes { ExpositionFormat.detect($0) }
        }
    }

    static func report(_ s: BlockImporter.Summary, seconds: Double, directory: String) -> String {
        let rate = seconds > 0 ? Double(s.samples) / seconds : 0
        var lines = ["imported \(s.samples) samples of \(s.series) series in \(String(format: "%.1f", seconds)) s "
                     + "(\(Progress.count(rate)) samples/s) into \(directory)"]
        if s.samples > 0 { lines.append("time range: \(Info.time(s.minTime)) – \(Info.time(s.maxTime))") }
        lines.append("blocks written: \(s.blocks.count)" + s.blocks.map { "\n  \($0.ulid)  \(Info.time($0.minTime)) – \(Info.time($0.maxTime))  \($0.stats.numSamples) samples" }.joined())
        return lines.joined(separator: "\n")
    }
}
