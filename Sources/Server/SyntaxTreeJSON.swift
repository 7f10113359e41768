import PromQL
import TSDB

/// The syntax tree of a query as `/api/v1/parse_query` returns it: the
/// node shapes of Prometheus' UI tree view (`web/api/v1/translate_ast.go`).
enum SyntaxTreeJSON {
    static func translate(_ e: Expr) -> JSONValue {
        switch e {
        case .aggregate(let a):
            return .object([
                ("type", .string("aggregation")), ("op", .string(a.op.rawValue)), ("expr", translate(a.expr)),
                ("param", a.param.map(translate) ?? .null), ("grouping", strings(a.grouping)), ("without", .bool(a.without)),
            ])
        case .binary(let b):
            var matching = JSONValue.null
            if let m = b.matching {
                matching = .object([
                    ("card", .string(cardinality(m.cardinality))), ("labels", strings(m.labels)), ("on", .bool(m.on)),
                    ("include", strings(m.include)), ("fillValues", .object([("lhs", .null), ("rhs", .null)])),
                ])
            }
            return .object([
                ("type", .string("binaryExpr")), ("op", .string(b.op.rawValue)), ("lhs", translate(b.lhs)),
                ("rhs", translate(b.rhs)), ("matching", matching), ("bool", .bool(b.returnBool)),
            ])
        case .call(let c):
            return .object([
                ("type", .string("call")),
                ("func", .object([
                    ("name", .string(c.function.name)), ("argTypes", .array(c.function.argTypes.map { .string(typeName($0)) })),
                    ("variadic", .int(Int64(c.function.variadic))), ("returnType", .string(typeName(c.function.returnType))),
                ])),
                ("args", .array(c.args.map(translate))),
            ])
        case .matrixSelector(let m):
            return .object([("type", .string("matrixSelector"))] + selectorFields(m.selector, range: m.range))
        case .subquery(let s):
            return .object([
                ("type", .string("subquery")), ("expr", translate(s.expr)), ("range", .int(constant(s.range))),
                ("offset", .int(s.offset.map(constant) ?? 0)), ("step", .int(s.step.map(constant) ?? 0)),
                ("timestamp", timestamp(s.at)), ("startOrEnd", startOrEnd(s.at)), ("alignEvalTime", .bool(false)),
            ])
        case .number(let v, _):
            return .object([("type", .string("numberLiteral")), ("val", .string(GoFormat.formatFloat(v)))])
        case .paren(let inner):
            return .object([("type", .string("parenExpr")), ("expr", translate(inner))])
        case .string(let s):
            return .object([("type", .string("stringLiteral")), ("val", .string(s))])
        case .unary(let negate, let inner):
            return .object([("type", .string("unaryExpr")), ("op", .string(negate ? "-" : "+")), ("expr", translate(inner))])
        case .vectorSelector(let vs):
            return .object([("type", .string("vectorSelector"))] + selectorFields(vs, range: nil))
        }
    }

    private static func selectorFields(_ vs: VectorSelector, range: DurationExpr?) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("name", .string(vs.name ?? ""))]
        if let range { fields.append(("range", .int(constant(range)))) }
        fields += [
            ("offset", .int(vs.offset.map(constant) ?? 0)),
            ("matchers", .array(vs.matchers.map { m in
                .object([("name", .string(m.name)), ("value", .string(m.value)), ("type", .string(m.type.rawValue))])
            })),
            ("timestamp", timestamp(vs.at)), ("startOrEnd", startOrEnd(vs.at)),
            ("anchored", .bool(false)), ("smoothed", .bool(false)),
        ]
        return fields
    }

    /// Durations that depend on the query (`step()`) are shown as 0, as they are unknown when parsing.
    private static func constant(_ d: DurationExpr) -> Int64 { (try? d.evaluate(step: 0, range: 0)) ?? 0 }

    private static func timestamp(_ at: AtModifier?) -> JSONValue {
        if case .timestamp(let ms)? = at { return .int(ms) }
        return .null
    }

    private static func startOrEnd(_ at: AtModifier?) -> JSONValue {
        switch at {
        case .start?: .string("start")
        case .end?: .string("end")
        default: .null
        }
    }

    private static func strings(_ xs: [String]) -> JSONValue { .array(xs.map { .string($0) }) }

    private static func cardinality(_ c: VectorMatching.Cardinality) -> String {
        switch c {
        case .oneToOne: "one-to-one"
        case .manyToOne: "many-to-one"
        case .oneToMany: "one-to-many"
        case .manyToMany: "many-to-many"
        }
    }

    /// Go's `ValueType` names.
    private static func typeName(_ t: ValueType) -> String {
        switch t {
        case .scalar: "scalar"
        case .vector: "vector"
        case .matrix: "matrix"
        case .string: "string"
        }
    }
}
