import Foundation
import PromQL
import TSDB

/// An annotation or label template of an alerting rule, parsed once and
/// rendered per alert with Prometheus' data and variables: `.Labels`,
/// `.Value`, `.ExternalLabels`, `.ExternalURL`, and `$labels`, `$value`,
/// `$externalLabels`, `$externalURL`.
public struct AlertTemplate: Sendable {
    let nodes: [TemplateNode]
    public let source: String

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        nodes = try TemplateParser.parse(source)
    }

    /// What the template reads: the alert's labels and value, and the server's external labels and URL.
    public struct Data: Sendable {
        public var labels: [String: String]
        public var value: Double
        public var externalLabels: [String: String] = [:]
        public var externalURL = ""
        /// Runs `query "…"` (an instant query at the evaluation time); nil where queries are not available.
        public var query: (@Sendable (String) throws -> [(labels: [String: String], value: Double)])?
        /// The evaluation time (ms) `now` returns; nil: the current time.
        public var time: Int64?

        public init(labels: [String: String], value: Double, externalLabels: [String: String] = [:], externalURL: String = "",
                    query: (@Sendable (String) throws -> [(labels: [String: String], value: Double)])? = nil) {
            self.labels = labels
            self.value = value
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.query = query
        }
    }

    public func render(_ data: Data) throws(TemplateError) -> String {
        let root = TemplateValue.map([
            "Labels": .labels(data.labels), "Value": .number(data.value),
            "ExternalLabels": .labels(data.externalLabels), "ExternalURL": .string(data.externalURL),
        ])
        var ev = TemplateEvaluator(query: data.query, externalURL: data.externalURL,
                                   now: data.time.map { Double($0) / 1000 } ?? Date().timeIntervalSince1970)
        ev.scopes = [["": root, "labels": .labels(data.labels), "value": .number(data.value),
                      "externalLabels": .labels(data.externalLabels), "externalURL": .string(data.externalURL)]]
        var out = ""
        try ev.run(nodes, dot: root, into: &out)
        return out
    }
}

/// Walks a parsed template, keeping variables in nested scopes.
struct TemplateEvaluator {
    let query: (@Sendable (String) throws -> [(labels: [String: String], value: Double)])?
    var externalURL = ""
    /// Unix seconds.
    var now = 0.0
    var scopes: [[String: TemplateValue]] = []

    mutating func run(_ nodes: [TemplateNode], dot: TemplateValue, into out: inout String) throws(TemplateError) {
        for node in nodes {
            switch node {
            case .text(let t):
                out += t
            case .action(let p):
                let v = try pipeline(p, dot: dot)
                if p.declarations.isEmpty { out += v.text }
            case .conditional(let p, let then, let otherwise):
                scopes.append([:])
                let branch = try pipeline(p, dot: dot).isTrue ? then : otherwise
                try run(branch, dot: dot, into: &out)
                scopes.removeLast()
            case .with(let p, let body, let otherwise):
                scopes.append([:])
                let v = try pipeline(p, dot: dot)
                try run(v.isTrue ? body : otherwise, dot: v.isTrue ? v : dot, into: &out)
                scopes.removeLast()
            case .loop(let p, let keyName, let valueName, let body, let otherwise):
                let items: [(TemplateValue, TemplateValue)]
                switch try pipeline(p, dot: dot) {
                case .labels(let m): items = m.keys.sorted().map { (.string($0), .string(m[$0]!)) }
                case .map(let m): items = m.keys.sorted().map { (.string($0), m[$0]!) }
                case .list(let l): items = l.enumerated().map { (.number(Double($0.offset)), $0.element) }
                case .null: items = []
                case let other: throw TemplateError("range can't iterate over \(other.text)")
                }
                if items.isEmpty { try run(otherwise, dot: dot, into: &out) }
                for (key, value) in items {
                    var scope: [String: TemplateValue] = [:]
                    if let keyName { scope[keyName] = key }
                    if let valueName { scope[valueName] = value }
                    scopes.append(scope)
                    try run(body, dot: value, into: &out)
                    scopes.removeLast()
                }
            }
        }
    }

    mutating func pipeline(_ p: TemplatePipeline, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        var result: TemplateValue?
        for command in p.commands { result = try self.command(command, dot: dot, piped: result) }
        let value = result ?? .null
        for name in p.declarations {
            if p.assigns, let i = scopes.lastIndex(where: { $0[name] != nil }) {
                scopes[i][name] = value
            } else {
                scopes[scopes.count - 1][name] = value
            }
        }
        return value
    }

    mutating func command(_ args: [TemplateArgument], dot: TemplateValue, piped: TemplateValue?) throws(TemplateError) -> TemplateValue {
        if case .function(let name) = args[0] {
            var values: [TemplateValue] = []
            for a in args.dropFirst() { values.append(try argument(a, dot: dot)) }
            if let piped { values.append(piped) }
            return try call(name, values)
        }
        guard args.count == 1, piped == nil else { throw TemplateError("can't give argument to non-function \(args[0])") }
        return try argument(args[0], dot: dot)
    }

    mutating func argument(_ a: TemplateArgument, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        switch a {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .variable(let name, let fields):
            guard var v = scopes.last(where: { $0[name] != nil })?[name] else { throw TemplateError("undefined variable: $\(name)") }
            for f in fields { v = try v.field(f) }
            return v
        case .field(let fields):
            var v = dot
            for f in fields { v = try v.field(f) }
            return v
        case .function(let name): return try call(name, [])
        case .pipeline(let p):
            scopes.append([:])
            defer { scopes.removeLast() }
            return try pipeline(p, dot: dot)
        }
    }

    func call(_ name: String, _ a: [TemplateValue]) throws(TemplateError) -> TemplateValue {
        func arity(_ n: Int) throws(TemplateError) {
            guard a.count == n else { throw TemplateError("wrong number of args for \(name): want \(n) got \(a.count)") }
        }
        func string(_ v: TemplateValue) throws(TemplateError) -> String {
            guard case .string(let s) = v else { throw TemplateError("wrong type for value; expected string; got \(v.typeName)") }
            return s
        }
        typealias F = TemplateFunctions
        switch name {
        case "humanize": try arity(1); return .string(F.humanize(try a[0].number(for: name)))
        case "humanize1024": try arity(1); return .string(F.humanize1024(try a[0].number(for: name)))
        case "humanizeDuration": try arity(1); return .string(F.humanizeDuration(try a[0].number(for: name)))
        case "humanizePercentage": try arity(1); return .string(F.g4(try a[0].number(for: name) * 100) + "%")
        case "humanizeTimestamp": try arity(1); return .string(F.humanizeTimestamp(try a[0].number(for: name)))
        case "printf":
            guard let format = a.first else { throw TemplateError("wrong number of args for printf: want at least 1 got 0") }
            return .string(F.printf(try string(format), Array(a.dropFirst())))
        case "print": return .string(a.map(\.text).joined(separator: " "))
        case "println": return .string(a.map(\.text).joined(separator: " ") + "\n")
        case "eq", "ne", "lt", "le", "gt", "ge":
            try arity(2)
            return .bool(try F.compare(name, a[0], a[1]))
        case "and": return a.first { !$0.isTrue } ?? a.last ?? .null
        case "or": return a.first { $0.isTrue } ?? a.last ?? .null
        case "not": try arity(1); return .bool(!a[0].isTrue)
        case "len":
            try arity(1)
            switch a[0] {
            case .string(let s): return .number(Double(s.utf8.count))
            case .labels(let m): return .number(Double(m.count))
            case .list(let l): return .number(Double(l.count))
            case .map(let m): return .number(Double(m.count))
            default: throw TemplateError("error calling len: len of type \(a[0].typeName)")
            }
        case "index":
            try arity(2)
            switch (a[0], a[1]) {
            case (.labels, .string(let k)), (.map, .string(let k)): return try a[0].field(k)
            case (.list(let l), .number(let i)) where Int(i) >= 0 && Int(i) < l.count: return l[Int(i)]
            default: throw TemplateError("error calling index: cannot index \(a[0].typeName) with \(a[1].typeName)")
            }
        case "toUpper": try arity(1); return .string(try string(a[0]).uppercased())
        case "toLower": try arity(1); return .string(try string(a[0]).lowercased())
        case "title": try arity(1); return .string(try string(a[0]).capitalized)
        case "safeHtml": try arity(1); return .string(try string(a[0]))
        case "match":
            try arity(2)
            return .bool((try string(a[1])).range(of: try string(a[0]), options: .regularExpression) != nil)
        case "reReplaceAll":
            try arity(3)
            let re: NSRegularExpression
            do { re = try NSRegularExpression(pattern: try string(a[0])) } catch { throw TemplateError("error calling reReplaceAll: \(error)") }
            let s = try string(a[2])
            // Go writes groups as $1 or ${1}; NSRegularExpression knows only $1.
            let template = try string(a[1]).replacingOccurrences(of: #"\$\{(\d+)\}"#, with: "\\$$1", options: .regularExpression)
            return .string(re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template))
        case "stripPort":
            try arity(1)
            let s = try string(a[0])
            if s.hasPrefix("["), let close = s.firstIndex(of: "]") { return .string(String(s[s.index(after: s.startIndex)..<close])) }
            if let colon = s.lastIndex(of: ":"), s.filter({ $0 == ":" }).count == 1 { return .string(String(s[..<colon])) }
            return .string(s)
        case "query":
            try arity(1)
            guard let query else { throw TemplateError("error calling query: queries are not available here") }
            do {
                return .list(try query(try string(a[0])).map { .sample(labels: $0.labels, value: $0.value) })
            } catch let e as TemplateError {
                throw e
            } catch {
                throw TemplateError("error calling query: \(error)")
            }
        case "first":
            try arity(1)
            guard case .list(let l) = a[0] else { throw TemplateError("error calling first: expected query result") }
            guard let f = l.first else { throw TemplateError("error calling first: first() called on vector with no elements") }
            return f
        case "label":
            try arity(2)
            guard case .sample(let labels, _) = a[1] else { return .string("") }
            return .string(labels[try string(a[0])] ?? "")
        case "value":
            try arity(1)
            guard case .sample(_, let v) = a[0] else { throw TemplateError("error calling value: expected a sample") }
            return .number(v)
        case "strvalue":
            try arity(1)
            guard case .sample(let labels, _) = a[0] else { throw TemplateError("error calling strvalue: expected a sample") }
            return .string(labels["__value__"] ?? "")
        case "sortByLabel":
            try arity(2)
            guard case .list(let l) = a[1] else { throw TemplateError("error calling sortByLabel: expected query result") }
            let key = try string(a[0])
            return .list(l.sorted { x, y in
                guard case .sample(let lx, _) = x, case .sample(let ly, _) = y else { return false }
                return (lx[key] ?? "") < (ly[key] ?? "")
            })
        case "toTime": try arity(1); return .string(F.humanizeTimestamp(try a[0].number(for: name)))
        case "toDuration": try arity(1); return .string(F.goDuration(try a[0].number(for: name)))
        case "now": try arity(0); return .number(now)
        case "urlQueryEscape": try arity(1); return .string(F.queryEscape(try string(a[0])))
        case "graphLink": try arity(1); return .string("/graph?g0.expr=" + F.queryEscape(try string(a[0])) + "&g0.tab=0")
        case "tableLink": try arity(1); return .string("/graph?g0.expr=" + F.queryEscape(try string(a[0])) + "&g0.tab=1")
        case "externalURL": try arity(0); return .string(externalURL)
        case "pathPrefix": try arity(0); return .string(URLComponents(string: externalURL)?.path ?? "")
        case "stripDomain":
            try arity(1)
            return .string(F.stripDomain(try string(a[0])))
        case "args":
            return .map(Dictionary(uniqueKeysWithValues: a.enumerated().map { ("arg\($0.offset)", $0.element) }))
        case "parseDuration":
            try arity(1)
            guard let ms = DurationFormat.parse(try string(a[0])) else { throw TemplateError("error calling parseDuration: not a valid duration") }
            return .number(Double(ms) / 1000)
        default:
            throw TemplateError("function \"\(name)\" not defined")
        }
    }
}
