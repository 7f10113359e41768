import Foundation
import Testing
@testable import PromQL

/// Parses every query of Prometheus' own PromQL test scripts (read from
/// ../shared/promql-testdata, never copied here). Until the evaluator and
/// the promqltest runner land (issue 3), this checks the grammar only:
/// every `eval` that is not expected to fail must parse.
@Suite("Upstream PromQL scripts: parsing")
struct UpstreamParseTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../../shared/promql-testdata").standardized.path
    /// The upstream scripts live beside the repository, in ../shared; when that
    /// folder is missing the tests that read them are skipped, saying so.
    static let available = FileManager.default.fileExists(atPath: directory)
    static let missing: Comment = "SKIPPED: ../shared/promql-testdata is missing, upstream PromQL scripts not run"

    /// Files of the stable language; experimental-feature files are parsed and reported, not required.
    static let stableFiles: Set<String> = [
        "aggregators.test", "collision.test", "functions.test", "histograms.test", "literals.test",
        "name_label_dropping.test", "operators.test", "range_queries.test", "selectors.test", "staleness.test",
        "trig_functions.test", "limit.test",
    ]

    struct Eval {
        var line: Int
        var query: String
        var mustFail: Bool
    }

    static func evals(in text: String) -> [Eval] {
        var out: [Eval] = []
        let header = try! Regex(#"^(eval\w*)\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$"#)
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            guard line.hasPrefix("eval"), let m = try? header.wholeMatch(in: line),
                  let kind = m.output[1].substring, let query = m.output[2].substring else { continue }
            out.append(Eval(line: i + 1, query: String(query), mustFail: kind == "eval_fail"))
        }
        return out
    }

    @Test(.enabled(if: available, missing)) func everyUpstreamQueryParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".test") }.sorted()
        #expect(files.count >= 12)
        var report: [String] = []
        for file in files {
            let text = try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8)
            var parsed = 0, failed: [String] = []
            for e in Self.evals(in: text) where !e.mustFail {
                do {
                    _ = try Parser.parse(e.query)
                    parsed += 1
                } catch {
                    failed.append("\(file):\(e.line): \(e.query) — \(error)")
                }
            }
            report.append("\(file): \(parsed) parsed, \(failed.count) failed")
            report.append(contentsOf: failed.prefix(3).map { "    " + $0 })
            if Self.stableFiles.contains(file) {
                #expect(failed.isEmpty, "\(file): \(failed.count) queries of a stable-language file do not parse")
            }
        }
        print("Upstream PromQL scripts, parse results:\n" + report.joined(separator: "\n"))
    }
}
