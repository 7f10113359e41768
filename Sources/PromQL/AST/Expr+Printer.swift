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
            bare.anchored = false
            bare.smoothed = false
            return "\(bare)[\(ms.range)]" + Self.modifiers(at: ms.selector.at, offset: ms.selector.offset) + ms.selector.rangeModifier
        case .subquery(let sq):
            return "\(sq.expr)" + sq.suffix
        case .call(let c):
            return "\(c.function.name)(\(c.args.map(\.description).joined(separator: ", ")))"
        case .aggregate(let a):
            var s = a.prefix + "("
            if let p = a.param { s += "\(p), " }
            return s + "\(a.expr))"
        case .binary(let b):
            return "\(b.lhs) \(b.operatorText) \(b.rhs)"
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

extension Aggregate {
    /// `sum by (job) ` — the operator and grouping, before the parenthesis.
    var prefix: String {
        if without { return op.rawValue + " without (\(grouping.map(Expr.labelName).joined(separator: ", "))) " }
        if !grouping.isEmpty { return op.rawValue + " by (\(grouping.map(Expr.labelName).joined(separator: ", "))) " }
        return op.rawValue
    }
}

extension Binary {
    /// `/ on (job) group_left (x)` — the operator with `bool` and vector matching.
    var operatorText: String {
        var s = op.rawValue + (returnBool ? " bool" : "")
        if let vm = matching, !vm.labels.isEmpty || vm.on {
            s += " \(vm.on ? "on" : "ignoring") (\(vm.labels.map(Expr.labelName).joined(separator: ", ")))"
            if vm.cardinality == .manyToOne || vm.cardinality == .oneToMany {
                s += " group_\(vm.cardinality == .manyToOne ? "left" : "right") (\(vm.include.map(Expr.labelName).joined(separator: ", ")))"
            }
        }
        if let vm = matching {
            switch (vm.fillLeft, vm.fillRight) {
            case let (l?, r?) where l.bitPattern == r.bitPattern || (l.isNaN && r.isNaN):
                s += " fill(\(GoFormat.formatFloat(l)))"
            case let (l, r):
                if let l { s += " fill_left(\(GoFormat.formatFloat(l)))" }
                if let r { s += " fill_right(\(GoFormat.formatFloat(r)))" }
            }
        }
        return s
    }
}

extension Subquery {
    /// `[5m:1m] offset 1h` — everything after the inner expression.
    var suffix: String {
        "[\(range):\(step.map { "\($0)" } ?? "")]" + Expr.modifiers(at: at, offset: offset)
    }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String {
        // As Prometheus: the matchers' texts sorted and joined by "," (a quoted UTF-8 name first).
        var parts: [String] = []
        var head = ""
        for m in matchers where !(name != nil && m.name == Labels.metricName && m.type == .equal && m.value == name) {
            parts.append("\(Expr.labelName(m.name))\(m.type.rawValue)\(GoFormat.quote(m.value))")
        }
        parts.sort { $0.utf8Precedes($1) }
        if let n = name {
            if Expr.isLegacyName(n, allowColon: true) { head = n } else { parts.insert(GoFormat.quote(n), at: 0) }
        }
        let braces = parts.isEmpty ? "" : "{\(parts.joined(separator: ","))}"
        return head + braces + Expr.modifiers(at: at, offset: offset) + rangeModifier
    }

    /// ` anchored` / ` smoothed`, printed after every other modifier.
    var rangeModifier: String { anchored ? " anchored" : smoothed ? " smoothed" : "" }
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
