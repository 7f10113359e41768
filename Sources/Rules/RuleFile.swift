import Foundation
import Ingest
import PromQL
import TSDB
import Yams

/// A Prometheus rules file (`rule_files` in prometheus.yml): groups of
/// recording and alerting rules, read strictly (unknown fields are errors,
/// as Prometheus' rulefmt) and validated as Prometheus validates them; every
/// error names the file, line and column.
public struct RuleFile: Sendable {
    public var path: String
    public var groups: [RuleGroup]

    /// Reads and validates the file at `path`.
    public static func load(_ path: String) throws(ConfigFileError) -> RuleFile {
        try parse(try read(path), file: path)
    }

    /// The text of a YAML file, or an error naming it.
    static func read(_ path: String) throws(ConfigFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(file: path, line: 1, column: 1, message: "cannot read the file")
        }
        return text
    }

    /// The YAML document of `text`; syntax errors name file, line and column.
    static func compose(_ text: String, file: String) throws(ConfigFileError) -> Node? {
        do { return try Yams.compose(yaml: text) } catch {
            let mark = (error as? YamlError).flatMap(Self.mark)
            throw ConfigFileError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: "\(error)")
        }
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> RuleFile {
        let root = try compose(text, file: file)
        let r = YAMLReader(file: file)
        let source = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let root else { return RuleFile(path: file, groups: []) }
        var groups: [RuleGroup] = []
        var names = Set<String>()
        for (key, node) in try r.mapping(root, allowed: ["groups"], context: "the rules file") where key == "groups" {
            for g in try r.sequence(node, "groups") {
                let group = try RuleGroup.parse(g, file: file, reader: r, source: source)
                guard names.insert(group.name).inserted else {
                    throw r.error(g, "groupname: \"\(group.name)\" is repeated in the same file")
                }
                groups.append(group)
            }
        }
        return RuleFile(path: file, groups: groups)
    }

    static func mark(_ e: YamlError) -> (line: Int, column: Int)? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return (mark.line, mark.column)
        default:
            return nil
        }
    }
}

/// A group of rules evaluated together, in order, every `interval`.
public struct RuleGroup: Sendable {
    public var name: String
    public var file: String
    /// Milliseconds; nil: the global `evaluation_interval`.
    public var interval: Int64?
    /// At most this many series per rule evaluation (0: no limit).
    public var limit: Int
    /// Evaluate this much in the past (ms); nil: the global `rule_query_offset`.
    public var queryOffset: Int64?
    /// Added to every rule's result.
    public var labels: [Label]
    public var rules: [Rule]

    static func parse(_ node: Node, file: String, reader r: YAMLReader, source: [Substring]) throws(ConfigFileError) -> RuleGroup {
        var g = RuleGroup(name: "", file: file, interval: nil, limit: 0, queryOffset: nil, labels: [], rules: [])
        var ruleNodes: [Node] = []
        for (key, value) in try r.mapping(node, allowed: ["name", "interval", "limit", "query_offset", "labels", "rules"],
                                          context: "a rule group") {
            switch key {
            case "name": g.name = try r.string(value, "name")
            case "interval": g.interval = try r.duration(value, "interval")
            case "limit": g.limit = try r.int(value, "limit")
            case "query_offset": g.queryOffset = try r.duration(value, "query_offset")
            case "labels": g.labels = try Rule.checkedLabels(value, reader: r, what: "group labels")
            default: ruleNodes = try r.sequence(value, "rules")
            }
        }
        guard !g.name.isEmpty else { throw r.error(node, "Groupname must not be empty") }
        if g.interval == 0 { throw r.error(node, "group \"\(g.name)\": interval must be greater than 0") }
        for (i, ruleNode) in ruleNodes.enumerated() {
            g.rules.append(try Rule.parse(ruleNode, context: "group \"\(g.name)\", rule \(i + 1)", reader: r, source: source))
        }
        return g
    }
}

/// A recording rule (its result stored under a new metric name) or an
/// alerting rule (its result, held for `for`, becomes alerts).
public struct Rule: Sendable {
    public enum Kind: Sendable, Equatable {
        case recording(String)
        case alerting(String)
    }

    public var kind: Kind
    public var expr: Expr
    /// The expression as written, for the API and error messages.
    public var exprText: String
    /// Alerting only: how long the condition must hold before firing, and keep firing after it stops (ms).
    public var forDuration: Int64 = 0
    public var keepFiringFor: Int64 = 0
    public var labels: [Label] = []
    /// Alerting only: templates rendered per alert.
    public var annotations: [Label] = []
    /// Where the rule starts in its file.
    public var line: Int

    public var name: String {
        switch kind {
        case .recording(let n), .alerting(let n): n
        }
    }

    /// Where a position inside an expression is in the file: after the
    /// value's start for plain and quoted scalars, inside the indented block
    /// for `|` and `>` block scalars (whose mark is the indicator's line).
    static func place(of position: Position?, in node: Node, source: [Substring]) -> (line: Int, column: Int) {
        let start = (line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        guard let p = position else { return start }
        if case .scalar(let s) = node, s.style == .literal || s.style == .folded {
            // The block's indentation is that of its first line (YAML strips it from every line).
            let indent = start.line < source.count ? source[start.line].prefix { $0 == " " }.count : 0
            return (start.line + p.line, indent + p.column)
        }
        return p.line == 1 ? (start.line, start.column + p.column - 1) : (start.line + p.line - 1, p.column)
    }

    static func parse(_ node: Node, context: String, reader r: YAMLReader, source: [Substring]) throws(ConfigFileError) -> Rule {
        var record: String?, alert: String?, exprNode: Node?
        var forDuration: Int64?, keepFiringFor: Int64?, labels: [Label] = [], annotations: [Label]?
        for (key, value) in try r.mapping(node, allowed: ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"],
                                          context: "a rule") {
            switch key {
            case "record": record = try r.string(value, "record")
            case "alert": alert = try r.string(value, "alert")
            case "expr": exprNode = value
            case "for": forDuration = try r.duration(value, "for")
            case "keep_firing_for": keepFiringFor = try r.duration(value, "keep_firing_for")
            case "labels": labels = try checkedLabels(value, reader: r, what: "labels")
            default: annotations = try checkedLabels(value, reader: r, what: "annotations", annotations: true)
            }
        }
        let named = "\(context), \"\(record ?? alert ?? "")\""
        switch (record, alert) {
        case (nil, nil): throw r.error(node, "\(named): one of 'record' or 'alert' must be set")
        case (_?, _?): throw r.error(node, "\(named): only one of 'record' and 'alert' must be set")
        default: break
        }
        if let record, record.isEmpty { throw r.error(node, "\(named): invalid recording rule name: \(record)") }
        if let alert, alert.isEmpty { throw r.error(node, "\(named): invalid alert name: \(alert)") }
        guard let exprNode, let text = exprNode.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw r.error(node, "\(named): field 'expr' must be set in rule")
        }
        let expr: Expr
        do { expr = try Parser.parse(text) } catch {
            let (line, column) = Self.place(of: error.position, in: exprNode, source: source)
            throw ConfigFileError(file: r.file, line: line, column: column, message: "\(named): could not parse expression: \(error)")
        }
        if record != nil {
            if annotations != nil { throw r.error(node, "\(named): invalid field 'annotations' in recording rule") }
            if forDuration != nil { throw r.error(node, "\(named): invalid field 'for' in recording rule") }
            if keepFiringFor != nil { throw r.error(node, "\(named): invalid field 'keep_firing_for' in recording rule") }
        }
        // Templates are parsed now, as Prometheus does, so that a broken one stops the load.
        if alert != nil {
            for (kind, pairs) in [("annotation", annotations ?? []), ("label", labels)] {
                for p in pairs {
                    do { _ = try AlertTemplate(p.value) } catch {
                        throw r.error(node, "\(named): \(kind) \(p.name): template: \(error)")
                    }
                }
            }
        }
        // Like Prometheus, an expression of the wrong type (a range vector) is
        // accepted here and reported by every evaluation (the rule's health).
        var rule = Rule(kind: record.map(Kind.recording) ?? .alerting(alert!), expr: expr, exprText: text,
                        labels: labels, annotations: annotations ?? [], line: node.mark?.line ?? 1)
        rule.forDuration = forDuration ?? 0
        rule.keepFiringFor = keepFiringFor ?? 0
        return rule
    }

    /// Labels (or annotations) with names Prometheus accepts: not empty,
    /// `__name__` not among labels, values valid UTF-8 (YAML already is).
    static func checkedLabels(_ node: Node, reader r: YAMLReader, what: String, annotations: Bool = false) throws(ConfigFileError) -> [Label] {
        let pairs = try r.labels(node, what)
        for p in pairs where !Self.isValidLabelName(p.name) || (!annotations && p.name == Labels.metricName) {
            throw r.error(node, "invalid \(annotations ? "annotation" : "label") name: \(p.name)")
        }
        return pairs
    }

    /// Prometheus' legacy label name rule (`[a-zA-Z_][a-zA-Z0-9_]*`), which rule files are held to.
    static func isValidLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= UInt8(ascii: "a") && first | 0x20 <= UInt8(ascii: "z")) else {
            return false
        }
        return s.utf8.allSatisfy { c in
            c == UInt8(ascii: "_") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
        }
    }
}
