import Foundation
import PromQL
import TSDB

/// Runs a `RuleTestFile` as `promtool test rules` does: per test group, the
/// input series go into a fresh database, every group of the rule files is
/// evaluated from time 0 every `evaluation_interval` up to the last
/// `eval_time`, the firing alerts are compared at each alert test's time
/// and the expressions at theirs. The report reads like promtool's.
public enum RuleTestRunner {
    public struct Outcome: Sendable {
        public var passed: Bool
        public var report: String
    }

    public static func run(_ file: RuleTestFile) -> Outcome {
        var report = "Unit Testing:  \(file.path)\n"
        var failures: [String] = []
        let base = URL(fileURLWithPath: file.path).deletingLastPathComponent().path
        let ruleFiles: [RuleFile]
        do { ruleFiles = try RuleManager.load(file.ruleFiles, baseDirectory: base) } catch {
            return Outcome(passed: false, report: report + "  FAILED:\n    \(error)\n")
        }
        var groups = ruleFiles.flatMap(\.groups)
        if !file.groupEvalOrder.isEmpty {
            let order = Dictionary(file.groupEvalOrder.enumerated().map { ($1, $0) }) { first, _ in first }
            let missing = groups.map(\.name).filter { order[$0] == nil }
            if !missing.isEmpty || Set(file.groupEvalOrder).count != groups.count {
                return Outcome(passed: false, report: report + "  FAILED:\n    group_eval_order must list every rule group exactly once"
                               + (missing.isEmpty ? "" : "; missing: \(missing.joined(separator: ", "))") + "\n\n")
            }
            groups.sort { order[$0.name]! < order[$1.name]! }
        }
        for group in file.tests {
            do {
                failures += try run(group, groups: groups, evaluationInterval: file.evaluationInterval, fuzzy: file.fuzzyCompare)
            } catch {
                failures.append("    \(error)")
            }
        }
        report += failures.isEmpty ? "  SUCCESS\n" : "  FAILED:\n" + failures.map { $0 + "\n\n" }.joined()
        return Outcome(passed: failures.isEmpty, report: report)
    }

    static func run(_ test: RuleTestFile.TestGroup, groups ruleGroups: [RuleGroup], evaluationInterval: Int64,
                    fuzzy: Bool) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsql-rule-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = DBOptions()
        options.compactionInterval = nil
        options.blockDuration = 14 * 24 * 3600 * 1000  // rules write at every evaluation time, however far back the input goes
        options.walSyncPolicy = .onSegmentClose
        let db = try DB.open(dir, options: options)
        defer { try? db.close() }
        try load(test, into: db, interval: test.interval ?? 60_000)  // the documented default (promtool 2.42 used 0)

        var env = RuleEnvironment(db: db)
        env.externalLabels = Labels(test.externalLabels)
        env.externalURL = test.externalURL
        let groups = ruleGroups.map { GroupEvaluator($0, defaultInterval: evaluationInterval) }
        let name = test.name.isEmpty ? "" : "    name: \(test.name),\n"
        var failures: [String] = []

        let alertTests = test.alertTests.sorted { $0.evalTime < $1.evalTime }
        let last = (alertTests.map(\.evalTime) + test.exprTests.map(\.evalTime)).max() ?? 0
        var next = 0
        for t in stride(from: Int64(0), through: last, by: Int(evaluationInterval)) {
            var errors: [String] = []
            for g in groups {
                g.evaluate(at: t, env: env)
                for r in g.rules where r.health.status == .err {
                    errors.append("    rule: \(r.rule.name), time: \(DurationFormat.format(t)), err: \(r.health.lastError ?? "")")
                }
            }
            if !errors.isEmpty { return failures + errors }
            while next < alertTests.count && alertTests[next].evalTime >= t && alertTests[next].evalTime < t + evaluationInterval {
                let test = alertTests[next]
                next += 1
                let got = groups.flatMap(\.rules).compactMap { $0 as? AlertingRule }.filter { $0.rule.name == test.alertname }
                    .flatMap(\.alerts).filter { $0.state == .firing }
                    .map { LabelsAndAnnotations(labels: $0.labels, annotations: Labels($0.annotations)) }.sorted()
                let expected = test.expected.map {
                    LabelsAndAnnotations(labels: Labels($0.labels.filter { $0.name != "alertname" } + [Label("alertname", test.alertname)]),
                                         annotations: Labels($0.annotations))
                }.sorted()
                if got != expected {
                    failures.append("\(name)    alertname: \(test.alertname), time: \(DurationFormat.format(test.evalTime)), \n"
                        + "        exp:\(indented(LabelsAndAnnotations.describe(expected))), \n        got:\(indented(LabelsAndAnnotations.describe(got)))")
                }
            }
        }
        for test in test.exprTests {
            let got: [VectorSample]
            do { got = try env.vector(try Parser.parse(test.expr), at: test.evalTime) } catch {
                failures.append("    expr: \(GoFormat.quote(test.expr)), time: \(DurationFormat.format(test.evalTime)), err: \(error)")
                continue
            }
            var expected: [(Labels, Double)] = []
            for e in test.expected {
                let text = e.labels.trimmingCharacters(in: .whitespaces)
                if text.isEmpty || text == "{}" {
                    expected.append((.empty, e.value))
                    continue
                }
                guard case .vectorSelector(let vs) = try Parser.parse(text) else { throw RuleError("\(e.labels): not a series") }
                expected.append((Labels(vs.matchers.map { Label($0.name, $0.value) }), e.value))
            }
            let lhs = expected.sorted { $0.0 < $1.0 }, rhs = got.map { ($0.labels, $0.v) }.sorted { $0.0 < $1.0 }
            let same = lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { a, b in
                a.0 == b.0 && (a.1 == b.1 || (a.1.isNaN && b.1.isNaN) || (fuzzy && ScriptRunner.almostEqual(a.1, b.1)))
            }
            if !same {
                func text(_ xs: [(Labels, Double)]) -> String {
                    xs.isEmpty ? "nil" : xs.map { "\($0.0.braced) \(GoFormat.formatFloat($0.1, .exponent).uppercased())" }.joined(separator: ", ")
                }
                failures.append("    expr: \(GoFormat.quote(test.expr)), time: \(DurationFormat.format(test.evalTime)),\n"
                    + "        exp: \(text(lhs))\n        got: \(text(rhs))")
            }
        }
        return failures
    }

    /// promtool's `indentLines`: every line after the first indented by 12 spaces.
    static func indented(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "\n            ")
    }

    /// The input series: sample i of each at i × `interval`.
    static func load(_ test: RuleTestFile.TestGroup, into db: DB, interval: Int64) throws {
        let app = db.appender()
        for input in test.inputSeries {
            do { try appendSeries(input.series, input.values, step: interval, to: app) } catch {
                throw RuleError("input_series at line \(input.line): \(error)")
            }
        }
        try app.commit()
    }

    /// One series in the promqltest notation (`up{job="a"}`, `0+10x5 _ stale`): sample i at i × `step`.
    static func appendSeries(_ selector: String, _ values: String, step: Int64, to app: Appender) throws {
        guard case .vectorSelector(let vs) = try Parser.parse(selector) else { throw RuleError("\(selector) is not a series") }
        let labels = Labels(vs.matchers.map { Label($0.name, $0.value) })
        for (i, point) in try SeriesNotation.expand(values).enumerated() {
            switch point {
            case .value(let v): try app.append(labels, Int64(i) * step, v)
            case .stale: try app.append(labels, Int64(i) * step, StaleNaN.value)
            case .missing: break
            case .histogram: throw RuleError("native histograms are not supported yet")
            }
        }
    }
}

/// An alert as the unit tests compare it.
struct LabelsAndAnnotations: Comparable {
    var labels: Labels
    var annotations: Labels

    static func < (a: Self, b: Self) -> Bool { a.labels != b.labels ? a.labels < b.labels : a.annotations < b.annotations }

    /// promtool's listing: `[\n0:\n  Labels:{…}\n  Annotations:{…}\n]`.
    static func describe(_ list: [Self]) -> String {
        if list.isEmpty { return "[]" }
        let items = list.enumerated().map { i, x in
            "\(i):\n  Labels:\(x.labels.braced)\n  Annotations:\(x.annotations.braced)"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]"
    }
}

extension Labels {
    /// `{a="x", b="y"}`, `__name__` included as a label.
    var braced: String { "{" + pairs.map { "\($0.name)=\(GoFormat.quote($0.value))" }.joined(separator: ", ") + "}" }
}

