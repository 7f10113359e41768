import Foundation
import Testing
import TSDBTestSupport
@testable import Ingest
import TSDB

@Suite("Bulk import")
struct ImportTests {
    static let hour: Int64 = 3_600_000

    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "/import-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Imports `text` into `dir` the way `tsql import` does.
    @discardableResult
    func importText(_ text: String, format: ExpositionFormat, into dir: String, skipInvalid: Bool = false,
                    blockOptions: BlockImporter.Options = .init(), defaultTimestamp: Int64? = nil) throws -> (BlockImporter.Summary, ExpositionImport) {
        let importer = BlockImporter(options: blockOptions)
        var options = ExpositionImport.Options()
        options.format = format
        options.skipInvalid = skipInvalid
        options.defaultTimestamp = defaultTimestamp
        var feeder = ExpositionImport(file: "test.om", options: options)
        let bytes = Array(text.utf8)
        // Feed in two buffers split at a line boundary, as the file reader does.
        let cut = bytes[..<(bytes.count / 2)].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        try bytes.withUnsafeBytes { raw in
            try feeder.feed(UnsafeRawBufferPointer(rebasing: raw[..<cut]), into: importer)
            try feeder.feed(UnsafeRawBufferPointer(rebasing: raw[cut...]), into: importer)
        }
        try feeder.finish()
        return (try importer.write(into: dir), feeder)
    }

    @Test("round trip: samples in any order across series and blocks come back exactly; duplicates and conflicts are reported")
    func roundTrip() throws {
        var expected: [Labels: [Int64: Double]] = [:]
        var lines: [String] = ["# TYPE req counter"]
        // 3 series × 3 block ranges (0–6 h) every 30 s, written series by series, one series backwards in time.
        for k in 0..<3 {
            let times = Array(stride(from: Int64(0), to: 6 * Self.hour, by: 30_000))
            for t in (k == 1 ? times.reversed() : times) {
                let v = Double(t / 1000) + Double(k) / 8
                lines.append("req_total{k=\"\(k)\",path=\"/a \\\"b\\\"\"} \(v) \(Double(t) / 1000)")
                expected[Labels(["__name__": "req_total", "k": String(k), "path": "/a \"b\""]), default: [:]][t] = v
            }
        }
        // Another series interleaved with the others' timestamps, plus an exact duplicate and a conflict.
        lines.append("temp{room=\"x\"} 21.5 3600.000")
        lines.append("temp{room=\"x\"} 21.5 3600.000")
        lines.append("temp{room=\"x\"} 99 3600.000")
        lines.append("temp{room=\"x\"} -3.25 -60")
        expected[Labels(["__name__": "temp", "room": "x"])] = [3_600_000: 21.5, -60_000: -3.25]
        lines.append("# EOF")
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (summary, _) = try importText(lines.joined(separator: "\n") + "\n", format: .openMetrics, into: dir)
        #expect(summary.series == 4)
        #expect(summary.duplicates == 1 && summary.conflicts == 1)
        #expect(summary.firstConflict?.contains("21.5 kept, 99.0 dropped") == true)
        #expect(summary.samples == expected.values.reduce(0) { $0 + $1.count })
        #expect(summary.blocks.count == 4)  // [-2 h, 0 h) for the negative sample, then three 2 h blocks
        #expect(summary.minTime == -60_000 && summary.maxTime == 6 * Self.hour - 30_000)

        let db = try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        #expect(db.blockList.count == 4)
        var got: [Labels: [Int64: Double]] = [:]
        for s in try db.querier(mint: .min, maxt: .max).select([try LabelMatcher(.regexMatch, "__name__", ".+")]) {
            for sample in try s.samples() { got[s.labels, default: [:]][sample.t] = sample.v }
        }
        #expect(got == expected)
    }

    @Test("a bad line stops the import with file:line:column before anything is written; --skip-invalid counts it")
    func badLines() throws {
        let text = "a 1 1000\nb{x=\"1\" 2 1000\nc 3 1000\n"
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect {
            try importText(text, format: .prometheusText, into: dir)
        } throws: { e in
            "\(e)" == "test.om:2:9: expected \",\" or \"}\" after a label, got \"2\""
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let (summary, feeder) = try importText(text, format: .prometheusText, into: dir, skipInvalid: true)
        #expect(summary.samples == 2 && feeder.skippedLines == 1)
        #expect(feeder.firstSkipped?.description.hasPrefix("test.om:2:9:") == true)
        // Samples without timestamps need a default.
        #expect(throws: ImportError.self) { try importText("a 1\n", format: .prometheusText, into: dir) }
        let (withDefault, _) = try importText("a 1\n", format: .prometheusText, into: dir, defaultTimestamp: 5_000)
        #expect(withDefault.minTime == 5_000)
    }

    @Test("large buffers are parsed in parallel pieces: file order, line numbers and EOF checks are kept")
    func parallelPieces() throws {
        var lines: [String] = []
        for i in 0..<60_000 { lines.append("series_with_a_longish_name{instance=\"host-\(i / 1000)\",job=\"node\"} \(i) \(Int64(i % 1000) * 15_000)") }
        var bad = lines
        bad[50_000] = "series_with_a_longish_name{instance=\"x\"} nope 1"
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = lines.joined(separator: "\n") + "\n"
        #expect(big.utf8.count > 3 << 20)
        #expect {
            try importText(bad.joined(separator: "\n") + "\n", format: .prometheusText, into: dir)
        } throws: { e in
            "\(e)" == "test.om:50001:42: expected a number as the value, got \"n\""
        }
        let (summary, _) = try importText(big, format: .prometheusText, into: dir)
        #expect(summary.series == 60 && summary.samples == 60_000 && summary.conflicts == 0 && summary.duplicates == 0)
        let db = try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        let s = try db.querier(mint: .min, maxt: .max).select([.equal("instance", "host-42")])
        #expect(try s.first?.samples() == (0..<1000).map { Sample(Int64($0) * 15_000, Double(42_000 + $0)) })
        // OpenMetrics: content after # EOF in a later piece is still refused.
        let om = big + "# EOF\n" + String(repeating: "late_metric 1 1\n", count: 100_000)
        #expect {
            try importText(om, format: .openMetrics, into: dir)
        } throws: { e in
            "\(e)".contains("unexpected content after \"# EOF\"")
        }
    }

    @Test("with a tiny memory budget chunks and stragglers are spilled to disk; the blocks hold exactly the same")
    func spilling() throws {
        var lines: [String] = []
        for i in 0..<20_000 {
            let t = Int64(i % 2_000) * 10_000  // ten series, 2,000 samples each over 5.5 h, one series written backwards
            let k = i / 2_000
            let tt = k == 3 ? (1_999 - Int64(i % 2_000)) * 10_000 : t
            lines.append("s{k=\"\(k)\"} \(i) \(tt)")
        }
        let text = lines.joined(separator: "\n") + "\n"
        func blocks(_ budget: Int) throws -> ([String], Int) {
            var o = BlockImporter.Options()
            o.memoryBudget = budget
            let dir = tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let importer = BlockImporter(options: o)
            var feeder = ExpositionImport(file: "t", options: .init())
            try Array(text.utf8).withUnsafeBytes { try feeder.feed($0, into: importer) }
            let summary = try importer.write(into: dir)
            let db = try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
            defer { try? db.close() }
            var dump: [String] = []
            for s in try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "s")]) {
                dump.append("\(s.labels) \(try s.samples().map { "\($0.t)=\($0.v)" })")
            }
            #expect(summary.samples == 20_000 && summary.blocks.count == 3)
            return (dump, importer.spills)
        }
        let (inMemory, noSpills) = try blocks(256 << 20)
        let (spilled, spills) = try blocks(1_024)
        #expect(noSpills == 0 && spills > 10)
        #expect(spilled == inMemory)
    }

    @Test("extra labels replace or add; the block duration is honoured")
    func options() throws {
        var o = BlockImporter.Options()
        o.extraLabels = [Label("env", "test"), Label("job", "imported")]
        o.blockDuration = Self.hour
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (summary, _) = try importText("m{job=\"x\"} 1 0\nm{job=\"x\"} 2 5400000\n", format: .prometheusText, into: dir, blockOptions: o)
        #expect(summary.blocks.map(\.minTime) == [0, Self.hour])
        let db = try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        let series = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "m")])
        #expect(series.map(\.labels) == [Labels(["__name__": "m", "env": "test", "job": "imported"])])
    }

    @Test("gzip files and a missing # EOF")
    func gzipAndEOF() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = dir + "/in.om"
        try "# TYPE x gauge\nx 1 1.5\nx 2 2.5\n# EOF\n".write(toFile: plain, atomically: true, encoding: .utf8)
        let gzip = try await runProcess("/bin/gzip", ["-k", plain])
        #expect(gzip.status == 0, "\(gzip.output)")
        var bytes: [UInt8] = []
        try ExpositionFileReader(path: plain + ".gz", chunkSize: 7).forEachChunk { chunk, _ in bytes += chunk }
        #expect(String(decoding: bytes, as: UTF8.self) == "# TYPE x gauge\nx 1 1.5\nx 2 2.5\n# EOF\n")
        #expect(throws: ImportError.self) { try importText("x 1 1.5\n", format: .openMetrics, into: dir) }
        // A corrupt gzip file is an error naming the file.
        try Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]).write(to: URL(fileURLWithPath: dir + "/bad.gz"))
        #expect {
            try ExpositionFileReader(path: dir + "/bad.gz").forEachChunk { _, _ in }
        } throws: { e in
            "\(e)".hasPrefix(dir + "/bad.gz: ")
        }
    }

    @Test("a database that is open loads blocks imported into its directory")
    func runningDatabasePicksUpImports() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        try importText("old_data 7 1000\n", format: .prometheusText, into: dir)
        #expect(try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "old_data")]).isEmpty)
        #expect(try db.loadNewBlocks().count == 1)
        #expect(try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "old_data")]).first?.samples() == [Sample(1000, 7)])
        #expect(try db.loadNewBlocks().isEmpty)
    }
}
