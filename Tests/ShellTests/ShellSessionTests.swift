import Foundation
import PromQL
@testable import Shell
import Testing
import TSDB

@Suite("Shell session: commands, formats, errors (golden transcript)")
struct ShellSessionTests {
    /// Runs `testdata/shell/session.txt` through one session and compares the
    /// transcript with `session.golden` (UPDATE_GOLDEN=1 rewrites it).
    @Test func goldenTranscript() throws {
        let dir = Fixture.tempDirectory
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Fixture.makeDatabase(dir)
        defer { try? db.close() }
        let session = ShellSession(backend: EmbeddedBackend(db: db), format: .table)
        session.now = { Fixture.now }
        session.formatter.width = 80

        let script = try String(contentsOf: Fixture.testdata.appendingPathComponent("session.txt"), encoding: .utf8)
        var transcript = ""
        for line in script.split(separator: "\n") where !line.hasPrefix("# ") {
            let input = line.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "<testdata>", with: Fixture.testdata.path)
            let prompt = session.prompt
            let out = session.execute(input)
            transcript += prompt + line.replacingOccurrences(of: "\\n", with: "\n... ") + "\n"
            func masked(_ s: String) -> String {
                s.replacingOccurrences(of: dir, with: "<data>").replacingOccurrences(of: Fixture.testdata.path, with: "<testdata>")
            }
            if !out.text.isEmpty { transcript += masked(out.text) + "\n" }
            if let e = out.error { transcript += "[stderr] " + masked(e).replacingOccurrences(of: "\n", with: "\n[stderr] ") + "\n" }
        }
        let golden = Fixture.testdata.appendingPathComponent("session.golden")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try transcript.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = (try? String(contentsOf: golden, encoding: .utf8)) ?? ""
        #expect(transcript == expected, "transcript differs from \(golden.path); run with UPDATE_GOLDEN=1 and review the diff")
        if transcript != expected {
            try? transcript.write(toFile: NSTemporaryDirectory() + "/session.actual", atomically: true, encoding: .utf8)
        }
    }

    @Test("errors put a caret under the failing position, on the right line of a multi-line query")
    func caret() {
        let e = ShellError("unexpected \"}\"", line: 2, column: 9)
        #expect(ShellSession.describe(e, in: "sum(\n  rate(x}[5m]))") == "error: unexpected \"}\"\n    rate(x}[5m]))\n          ^")
    }

    @Test("unknown commands suggest the closest one")
    func closest() {
        #expect(MetaCommand.closest(to: "tim") == "time")
        #expect(MetaCommand.closest(to: "rnage") == "range")
        #expect(MetaCommand.closest(to: "stast") == "stats")
        #expect(MetaCommand.closest(to: "frobnicate") == nil)
    }

    @Test("times: RFC 3339, unix seconds, now±duration")
    func times() {
        let now: Int64 = 1_700_000_000_000
        #expect(TimeFormat.parse("now", now: now) == now)
        #expect(TimeFormat.parse("now-1h", now: now) == now - 3_600_000)
        #expect(TimeFormat.parse("now+1m30s", now: now) == now + 90_000)
        #expect(TimeFormat.parse("1700000000.5", now: 0) == 1_700_000_000_500)
        #expect(TimeFormat.parse("2023-11-14T22:13:20Z", now: 0) == 1_700_000_000_000)
        #expect(TimeFormat.parse("2023-11-14T22:13:20.250Z", now: 0) == 1_700_000_000_250)
        #expect(TimeFormat.parse("yesterday", now: now) == nil)
    }

    @Test("values: exact integers, six significant digits, special values; axis units")
    func values() {
        #expect(ValueFormat.text(42) == "42")
        #expect(ValueFormat.text(0.1 + 0.2) == "0.3")
        #expect(ValueFormat.text(123456.789) == "123457")
        #expect(ValueFormat.text(1.5e-7) == "1.50000e-07")
        #expect(ValueFormat.text(.nan) == "NaN" && ValueFormat.text(-.infinity) == "-Inf")
        #expect(ValueFormat.axis(3.5 * 1024 * 1024, unit: .bytes) == "3.5 MiB")
        #expect(ValueFormat.axis(0.25, unit: .seconds) == "250ms")
        #expect(ValueFormat.axis(1500, unit: .plain) == "1.5k")
        #expect(ValueFormat.axis(0.5, unit: .ratio) == "50%")
    }
}

@Suite("Shell charts")
struct ChartTests {
    static func series(_ n: Int) -> [RangeSeries] {
        var out: [RangeSeries] = []
        for i in 0..<n {
            var points: [Sample] = []
            for k in 0..<30 { points.append(Sample(Int64(k) * 60_000, Double(i * 10 + k % 7))) }
            out.append(RangeSeries(labels: Labels(["__name__": "m", "i": String(i)]), points: points))
        }
        return out
    }

    @Test("more than 8 series: the first 8 are drawn and a note says how many are left out")
    func capped() {
        let text = ChartRenderer(width: 80, color: false).render(Self.series(11))
        #expect(text.components(separatedBy: "━━").count - 1 == 8)
        #expect(text.contains("… and 3 more series not shown"))
    }

    @Test("with colours, each series and its legend entry share a colour")
    func colours() {
        let text = ChartRenderer(width: 80, color: true).render(Self.series(2))
        #expect(text.contains("\u{1B}[32m━━\u{1B}[0m m{i=\"0\"}") && text.contains("\u{1B}[33m━━\u{1B}[0m m{i=\"1\"}"))
        #expect(text.contains("\u{1B}[32m⠀") || text.contains("\u{1B}[32m"))
        #expect(!text.contains("series are not told apart"))
    }

    @Test("gaps longer than two steps are not joined")
    func gaps() {
        let points = [Sample(0, 1), Sample(60_000, 1), Sample(600_000, 1), Sample(660_000, 1)]
        let text = ChartRenderer(width: 40, height: 4, color: false).render([RangeSeries(labels: .empty, points: points)])
        func isBraille(_ c: Character) -> Bool { c.unicodeScalars.first.map { (0x2801...0x28FF).contains($0.value) } ?? false }
        // The plotted row: dots, then blanks (the gap), then dots again.
        let row = text.split(separator: "\n").first { $0.contains(where: isBraille) }.map { String($0.drop { !isBraille($0) }) } ?? ""
        let afterFirstRun = row.drop(while: isBraille)
        #expect(afterFirstRun.hasPrefix("  ") && afterFirstRun.contains(where: isBraille), "\(text)")
    }
}
