/// Multi-line formatting of long queries, as Prometheus' `Pretty` (used by
/// `/api/v1/format_query` and the shell): an expression whose one-line form
/// exceeds 100 bytes is split at its outermost operator, call or
/// aggregation, children indented by two spaces per level.
extension Expr {
    static let maxCharactersPerLine = 100

    public func pretty() -> String { pretty(level: 0) }

    func pretty(level: Int) -> String {
        let indent = String(repeating: "  ", count: level)
        let flat = description
        let split = flat.utf8.count > Self.maxCharactersPerLine
        switch self {
        case .aggregate(let a) where split:
            var s = indent + a.prefix + "(\n"
            if let p = a.param { s += p.pretty(level: level + 1) + ",\n" }
            return s + a.expr.pretty(level: level + 1) + "\n" + indent + ")"
        case .binary(let b) where split:
            return b.lhs.pretty(level: level + 1) + "\n" + indent + b.operatorText + "\n" + b.rhs.pretty(level: level + 1)
        case .call(let c) where split:
            let args = c.args.map { $0.pretty(level: level + 1) }.joined(separator: ",\n")
            return indent + c.function.name + "(\n" + args + "\n" + indent + ")"
        case .paren(let e) where split:
            return indent + "(\n" + e.pretty(level: level + 1) + "\n" + indent + ")"
        case .subquery(let sq):
            return split ? sq.expr.pretty(level: level) + sq.suffix : flat
        case .unary(let negate, let e):
            let child = e.pretty(level: level).drop { $0 == " " }
            return indent + (negate ? "-" : "+") + child
        default:
            return indent + flat
        }
    }
}
