import TSDB

/// The canonical text of an expression, as Prometheus' `String()` writes it
/// (used by `/api/v1/format_query`, `tsql \explain`, rule files).
extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .number(let v, let duration):
            if duration && v.isFinite {
                let ms = Int64((v * 1000).rounded())
                return ms < 0 ? "-" + DurationFormat.format(-ms) : DurationFormat.format(ms)
            }
            return GoFormat.formatFloat(v)
        case .string(let s):
            return GoFormat.quote(s)
        case .vectorSelector(let vs):
            return vs.description
        case .matrixSelector(let ms):
            var bare = ms.selector
            bare.offset = nil
            bare.at = nil
            return "\(bare)[\(ms.range)]" + Self.modifiers(at: ms.selector.at, offset: ms.selector.offset)
        case .subquery(let sq):
            return "\(sq.expr)[\(sq.range):\(sq.step.map { "\($0)" } ?? "")]" + Self.modifiers(at: sq.at, offset: sq.offset)
        case .call(let c):
            return "\(c.function.name)(\(c.args.map(\.description).joined(separator: ", ")))"
        case .aggregate(let a):
            var s = a.op.rawValue
            if a.without {
                s += " without (\(a.grouping.map(Self.labelName).joined(separator: ", "))) "
            } else if !a.grouping.isEmpty {
                s += " by (\(a.grouping.map(Self.labelName).joined(separator: ", "))) "
            }
            s += "("
            if let p = a.param { s += "\(p), " }
            return s + "\(a.expr))"
        case .binary(let b):
            var matching = ""
            if let vm = b.matching, !vm.labels.isEmpty || vm.on {
                matching = " \(vm.on ? "on" : "ignoring") (\(vm.labels.map(Self.labelName).joined(separator: ", ")))"
                if vm.cardinality == .manyToOne || vm.cardinality == .oneToMany {
                    matching += " group_\(vm.cardinality == .manyToOne ? "left" : "right") (\(vm.include.map(Self.labelName).joined(separator: ", ")))"
                }
            }
            return "\(b.lhs) \(b.op.rawValue)\(b.returnBool ? " bool" : "")\(matching) \(b.rhs)"
        case .unary(let negate, let e):
            return (negate ? "-" : "+") + e.description
        case .paren(let e):
            return "(\(e))"
        }
    }

    static func modifiers(at: AtModifier?, offset: DurationExpr?) -> String {
        var s = ""
        switch at {
        case .timestamp(let ms)?: s += " @ " + String(format: "%.3f", Double(ms) / 1000)
        case .start?: s += " @ start()"
        case .end?: s += " @ end()"
        case nil: break
        }
        if let o = offset {
            if case .literal(let ms, _) = o, ms == 0 { return s }
            s += " offset \(o)"
        }
        return s
    }

    static func isLegacyName(_ s: String, allowColon: Bool) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f >= "a" && f <= "z") || (f >= "A" && f <= "Z") || (allowColon && f == ":") else {
            return false
        }
        return s.unicodeScalars.allSatisfy {
            $0 == "_" || ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || (allowColon && $0 == ":")
        }
    }

    static func labelName(_ s: String) -> String { isLegacyName(s, allowColon: false) ? s : GoFormat.quote(s) }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String {
        var parts: [String] = []
        var head = ""
        if let n = name {
            if Expr.isLegacyName(n, allowColon: true) { head = n } else { parts.append(GoFormat.quote(n)) }
        }
        for m in matchers where !(name != nil && m.name == Labels.metricName && m.type == .equal && m.value == name) {
            parts.append("\(Expr.labelName(m.name))\(m.type.rawValue)\(GoFormat.quote(m.value))")
        }
        let braces = parts.isEmpty ? "" : "{\(parts.joined(separator: ", "))}"
        return head + braces + Expr.modifiers(at: at, offset: offset)
    }
}

extension DurationExpr: CustomStringConvertible {
    /// A bare number of seconds in a duration slot prints as a duration
    /// (`[300]` → `[5m]`); inside arithmetic it stays a number (`[1h / 2]`).
    public var description: String {
        if case .seconds(let s, _) = self, s.isFinite, s >= 0 { return DurationFormat.format(Int64((s * 1000).rounded())) }
        return term
    }

    var term: String {
        switch self {
        case .literal(let ms, _): DurationFormat.format(ms)
        case .seconds(let s, _): GoFormat.formatFloat(s)
        case .unary(let negate, let d): (negate ? "-" : "+") + d.term
        case .binary(let op, let a, let b): "\(a.term) \(op.rawValue) \(b.term)"
        case .paren(let d): "(\(d.term))"
        case .step: "step()"
        case .range: "range()"
        case .minOf(let a, let b): "min_of(\(a.term), \(b.term))"
        case .maxOf(let a, let b): "max_of(\(a.term), \(b.term))"
        }
    }
}
