import Foundation
import Testing
@testable import PromQL

/// Runs Prometheus' own PromQL test scripts (from ../shared/promql-testdata)
/// through the engine and prints passed/failed per file. Files listed in `mustPass` must
/// pass every eval; the others are reported, and a minimum per file guards
/// against regressions. Annotations (`expect warn|info|no_warn|no_info`)
/// are checked like results.
/// `PROMQL_FAILURES=1` lists the failures.
@Suite("Upstream PromQL scripts: conformance", .serialized)
struct UpstreamConformanceTests {
    /// Files that must pass completely.
    static let mustPass: Set<String> = [
        "literals.test", "selectors.test", "staleness.test", "trig_functions.test", "collision.test",
        "duration_expression.test", "range_queries.test", "operators.test", "name_label_dropping.test",
        "histograms.test", "aggregators.test", "fill-modifier.test", "info.test", "extended_vectors.test", "type_and_unit.test",
        "limit.test", "functions.test", "native_histograms.test",
    ]
    /// Regression floor: at least this many passes per file (raised as features land).
    static let minimumPasses: [String: Int] = [
        "aggregators.test": 160, "functions.test": 431, "operators.test": 214, "name_label_dropping.test": 30,
        "histograms.test": 185, "native_histograms.test": 522, "info.test": 53, "limit.test": 37, "extended_vectors.test": 169,
    ]

    @Test(.enabled(if: UpstreamParseTests.available, UpstreamParseTests.missing))
    func runUpstreamScripts() throws {
        let dir = UpstreamParseTests.directory
        var table = ["file | passed | failed | total",
                     "---|---|---|---"]
        var totals = (0, 0)
        var examples: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".test") }).sorted() {
            let script = try TestScript.parse(try String(contentsOfFile: dir + "/" + file, encoding: .utf8), file: file)
            let outcomes = try ScriptRunner().run(script)
            var p = 0, f = 0
            for o in outcomes {
                switch o.status {
                case .passed: p += 1
                case .failed(let why):
                    f += 1
                    if examples.count < 400 { examples.append("\(file):\(o.line): \(o.query) — \(why.prefix(300))") }
                }
            }
            table.append("\(file) | \(p) | \(f) | \(outcomes.count)")
            totals = (totals.0 + p, totals.1 + f)
            if Self.mustPass.contains(file) {
                #expect(f == 0, "\(file): \(f) evals failed")
            }
            if let floor = Self.minimumPasses[file] {
                #expect(p >= floor, "\(file): \(p) passes, fewer than the recorded \(floor)")
            }
        }
        table.append("total | \(totals.0) | \(totals.1) | \(totals.0 + totals.1)")
        print("Upstream PromQL conformance:\n" + table.joined(separator: "\n"))
        if ProcessInfo.processInfo.environment["PROMQL_FAILURES"] != nil {
            print("Failures:\n" + examples.joined(separator: "\n"))
        }
    }
}
