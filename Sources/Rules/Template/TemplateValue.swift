import Foundation
import PromQL

/// A value inside a template: what Go's text/template would hold for
/// Prometheus' data (`.Labels` is a string map, `.Value` a float64, `query`
/// returns samples).
public indirect enum TemplateValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case labels([String: String])
    case list([TemplateValue])
    case sample(labels: [String: String], value: Double)
    case map([String: TemplateValue])
    case null

    /// Go's truth: false, 0, nil and empty strings, maps and lists are false.
    var isTrue: Bool {
        switch self {
        case .string(let s): !s.isEmpty
        case .number(let n): n != 0
        case .bool(let b): b
        case .labels(let m): !m.isEmpty
        case .list(let l): !l.isEmpty
        case .map(let m): !m.isEmpty
        case .sample: true
        case .null: false
        }
    }

    /// How `{{ x }}` prints the value (Go's `fmt.Print`).
    var text: String {
        switch self {
        case .string(let s): s
        case .number(let n): GoFormat.formatFloat(n, .exposition)
        case .bool(let b): b ? "true" : "false"
        case .labels(let m): "map[" + m.keys.sorted().map { "\($0):\(m[$0]!)" }.joined(separator: " ") + "]"
        case .list(let l): "[" + l.map(\.text).joined(separator: " ") + "]"
        case .map(let m): "map[" + m.keys.sorted().map { "\($0):\(m[$0]!.text)" }.joined(separator: " ") + "]"
        case .sample(let labels, let value): "{" + TemplateValue.labels(labels).text + " " + GoFormat.formatFloat(value, .exposition) + "}"
        case .null: "<no value>"
        }
    }

    /// The value as a float, as Prometheus' `convertToFloat` takes it (numbers and numeric strings).
    func number(for function: String) throws(TemplateError) -> Double {
        switch self {
        case .number(let n): return n
        case .string(let s):
            let special: [String: Double] = ["NaN": .nan, "+Inf": .infinity, "Inf": .infinity, "-Inf": -.infinity]
            guard let n = special[s] ?? Double(s) else {
                throw TemplateError("error calling \(function): strconv.ParseFloat: parsing \(GoFormat.quote(s)): invalid syntax")
            }
            return n
        case .bool(let b): return b ? 1 : 0
        default: throw TemplateError("error calling \(function): can't convert \(self.typeName) to float")
        }
    }

    var typeName: String {
        switch self {
        case .string: "string"
        case .number: "float64"
        case .bool: "bool"
        case .labels: "map[string]string"
        case .list: "[]interface {}"
        case .map: "map[string]interface {}"
        case .sample: "*template.sample"
        case .null: "<nil>"
        }
    }

    /// `.field` of a map, labels or sample; a missing map key is the zero value (Prometheus' missingkey=zero).
    func field(_ name: String) throws(TemplateError) -> TemplateValue {
        switch self {
        case .labels(let m): return .string(m[name] ?? "")
        case .map(let m): return m[name] ?? .null
        case .sample(let labels, let value):
            if name == "Labels" { return .labels(labels) }
            if name == "Value" { return .number(value) }
            throw TemplateError("can't evaluate field \(name) in type *template.sample")
        case .null: return .null
        default: throw TemplateError("can't evaluate field \(name) in type \(typeName)")
        }
    }
}
