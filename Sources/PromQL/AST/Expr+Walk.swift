/// Walking an expression tree.
extension Expr {
    /// Calls `body` with every vector selector in the expression (those inside
    /// range selectors and subqueries included), left to right.
    public func forEachSelector(_ body: (VectorSelector) -> Void) {
        switch self {
        case .number, .string: break
        case .vectorSelector(let vs): body(vs)
        case .matrixSelector(let ms): body(ms.selector)
        case .subquery(let sq): sq.expr.forEachSelector(body)
        case .call(let c): for a in c.args { a.forEachSelector(body) }
        case .aggregate(let a):
            a.param?.forEachSelector(body)
            a.expr.forEachSelector(body)
        case .binary(let b):
            b.lhs.forEachSelector(body)
            b.rhs.forEachSelector(body)
        case .unary(_, let e), .paren(let e): e.forEachSelector(body)
        }
    }
}

extension Expr {
    /// The expression inside any number of parentheses.
    public var withoutParens: Expr {
        if case .paren(let inner) = self { return inner.withoutParens }
        return self
    }
}
