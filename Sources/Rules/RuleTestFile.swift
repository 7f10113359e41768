import Foundation
import Ingest
import TSDB
import Yams

/// A rules unit-test file in `promtool test rules` format: rule files to
/// load, input series in the promqltest notation, and the alerts and query
/// results expected at given times. Read strictly; errors name file:line:column.
public struct RuleTestFile: Sendable {
    public var path: String
    /// Rule files, relative to this file's directory.
    public var ruleFiles: [String] = []
    public var evaluationInterval: Int64 = 60_000
    /// Group names in the order to evaluate them (`group_eval_order`); empty: file order.
    public var groupEvalOrder: [String] = []
    /// Compare expression results with a relative tolerance (`fuzzy_compare`), as the promqltest runner does.
    public var fuzzyCompare = false
    public var tests: [TestGroup] = []

    public struct TestGroup: Sendable {
        public var name = ""
        /// Step of the input series (ms).
        public var interval: Int64?
        public var inputSeries: [(series: String, values: String, line: Int)] = []
        public var alertTests: [AlertTest] = []
        public var exprTests: [ExprTest] = []
        public var externalLabels: [Label] = []
        public var externalURL = ""
    }

    public struct AlertTest: Sendable {
        public var evalTime: Int64
        public var alertname: String
        public var expected: [(labels: [Label], annotations: [Label])]
    }

    public struct ExprTest: Sendable {
        public var expr: String
        public var evalTime: Int64
        public var expected: [(labels: String, value: Double)]
        public var line: Int
    }

    public static func load(_ path: String) throws(ConfigFileError) -> RuleTestFile {
        try parse(try RuleFile.read(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> RuleTestFile {
        let root = try RuleFile.compose(text, file: file)
        var out = RuleTestFile(path: file)
        guard let root else { return out }
        let r = YAMLReader(file: file)
        let allowed: Set<String> = ["rule_files", "evaluation_interval", "group_eval_order", "tests", "fuzzy_compare"]
        for (key, node) in try r.mapping(root, allowed: allowed, context: "the test file") {
            switch key {
            case "rule_files": out.ruleFiles = try r.strings(node, key)
            case "evaluation_interval": out.evaluationInterval = try r.duration(node, key)
            case "tests": for t in try r.sequence(node, key) { out.tests.append(try testGroup(t, r)) }
            case "group_eval_order": out.groupEvalOrder = try r.strings(node, key)
            default: out.fuzzyCompare = try r.bool(node, key)
            }
        }
        return out
    }

    static func testGroup(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> TestGroup {
        var g = TestGroup()
        let allowed: Set<String> = ["name", "interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "external_url"]
        for (key, v) in try r.mapping(node, allowed: allowed, context: "a test group") {
            switch key {
            case "name": g.name = try r.string(v, key)
            case "interval": g.interval = try r.duration(v, key)
            case "external_labels": g.externalLabels = try r.labels(v, key)
            case "external_url": g.externalURL = try r.string(v, key)
            case "input_series":
                for s in try r.sequence(v, key) {
                    var series = "", values = ""
                    for (k, x) in try r.mapping(s, allowed: ["series", "values"], context: "an input series") {
                        if k == "series" { series = try r.string(x, k) } else { values = try r.string(x, k) }
                    }
                    g.inputSeries.append((series, values, s.mark?.line ?? 1))
                }
            case "alert_rule_test":
                for t in try r.sequence(v, key) { g.alertTests.append(try alertTest(t, r)) }
            default:
                for t in try r.sequence(v, key) { g.exprTests.append(try exprTest(t, r)) }
            }
        }
        return g
    }

    static func alertTest(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> AlertTest {
        var t = AlertTest(evalTime: 0, alertname: "", expected: [])
        for (key, v) in try r.mapping(node, allowed: ["eval_time", "alertname", "exp_alerts"], context: "an alert_rule_test") {
            switch key {
            case "eval_time": t.evalTime = try r.duration(v, key)
            case "alertname": t.alertname = try r.string(v, key)
            default:
                for a in try r.sequence(v, key) {
                    var labels: [Label] = [], annotations: [Label] = []
                    for (k, x) in try r.mapping(a, allowed: ["exp_labels", "exp_annotations"], context: "an expected alert") {
                        if k == "exp_labels" { labels = try r.labels(x, k) } else { annotations = try r.labels(x, k) }
                    }
                    t.expected.append((labels, annotations))
                }
            }
        }
        return t
    }

    static func exprTest(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> ExprTest {
        var t = ExprTest(expr: "", evalTime: 0, expected: [], line: node.mark?.line ?? 1)
        for (key, v) in try r.mapping(node, allowed: ["expr", "eval_time", "exp_samples"], context: "a promql_expr_test") {
            switch key {
            case "expr": t.expr = try r.string(v, key)
            case "eval_time": t.evalTime = try r.duration(v, key)
            default:
                for s in try r.sequence(v, key) {
                    var labels = "", value = 0.0
                    for (k, x) in try r.mapping(s, allowed: ["labels", "value", "histogram"], context: "an expected sample") {
                        switch k {
                        case "labels": labels = try r.string(x, k)
                        case "value":
                            let text = try r.string(x, k)
                            guard let d = Double(text) ?? ["+Inf": .infinity, "Inf": .infinity, "-Inf": -.infinity, "NaN": .nan][text] else {
                                throw r.error(x, "value: cannot parse \"\(text)\" as a number")
                            }
                            value = d
                        default: throw r.error(x, "native histogram samples are not supported in tests yet")
                        }
                    }
                    t.expected.append((labels, value))
                }
            }
        }
        return t
    }
}
