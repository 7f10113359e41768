import TSDB

/// A parsed PromQL expression.
public indirect enum Expr: Sendable {
    /// A float literal; `duration` when written as one (`5m`), so it prints back that way.
    case number(Double, duration: Bool = false)
    case string(String)
    case vectorSelector(VectorSelector)
    case matrixSelector(MatrixSelector)
    case subquery(Subquery)
    case call(Call)
    case aggregate(Aggregate)
    case binary(Binary)
    case unary(negate: Bool, Expr)
    case paren(Expr)

    /// The type the expression evaluates to.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vectorSelector: .vector
        case .matrixSelector, .subquery: .matrix
        case .call(let c): c.function.returnType
        case .aggregate: .vector
        case .binary(let b): b.lhs.type == .scalar && b.rhs.type == .scalar ? .scalar : .vector
        case .unary(_, let e), .paren(let e): e.type
        }
    }
}

/// `@` modifier: a fixed time, or the query's start or end.
public enum AtModifier: Sendable, Equatable {
    /// Milliseconds.
    case timestamp(Int64)
    case start
    case end
}

/// `name{matchers}` with optional `offset` and `@`.
public struct VectorSelector: Sendable {
    /// The metric name if given outside the braces (also present as a `__name__` matcher).
    public var name: String?
    public var matchers: [LabelMatcher]
    public var offset: DurationExpr?
    public var at: AtModifier?
    /// The experimental extended-range modifiers (Prometheus 3): `anchored`
    /// windows start at the last sample at or before their start; `smoothed`
    /// ones (and smoothed instant selectors) interpolate at their edges.
    public var anchored = false
    public var smoothed = false
    /// Byte offset in the query where the selector starts (for annotations).
    public var position = 0

    public init(name: String?, matchers: [LabelMatcher], offset: DurationExpr?, at: AtModifier?) {
        self.name = name
        self.matchers = matchers
        self.offset = offset
        self.at = at
    }
}

/// `selector[range]`; offset, `@`, `anchored` and `smoothed` live on the selector.
public struct MatrixSelector: Sendable {
    public var selector: VectorSelector
    public var range: DurationExpr
}

/// `expr[range:step]` with optional `offset` and `@`.
public struct Subquery: Sendable {
    public var expr: Expr
    public var range: DurationExpr
    /// nil: the default evaluation interval.
    public var step: DurationExpr?
    public var offset: DurationExpr?
    public var at: AtModifier?
}

/// A function call.
public struct Call: Sendable {
    public var function: Function
    public var args: [Expr]
    /// Byte offsets in the query of the call and of each argument (for annotations).
    public var position = 0
    public var argPositions: [Int] = []

    /// Where argument `i` starts (the call's position if unknown).
    public func argPosition(_ i: Int) -> Int { i < argPositions.count ? argPositions[i] : position }
}

/// An aggregation such as `sum by (job) (x)` or `topk(3, x)`.
public struct Aggregate: Sendable {
    public var op: AggregateOp
    /// The parameter of `topk`, `bottomk`, `quantile`, `count_values`, `limitk`, `limit_ratio`.
    public var param: Expr?
    public var expr: Expr
    public var grouping: [String]
    public var without: Bool
    /// Whether `by`/`without` was written (an empty `by ()` differs from none only in printing).
    public var hasGrouping: Bool
    /// Byte offset in the query of the parameter (for annotations).
    public var paramPosition = 0
    /// Byte offset in the query of the aggregated expression (for annotations).
    public var exprPosition = 0
    /// A string parameter whose bytes are not valid UTF-8, as Go quotes them
    /// (`"a\xc5z"`): `count_values` fails on it when evaluated.
    public var invalidUTF8Param: String?
}

/// How the two sides of a binary operation between vectors are matched.
public struct VectorMatching: Sendable, Equatable {
    public enum Cardinality: Sendable, Equatable {
        case oneToOne, manyToOne, oneToMany, manyToMany
    }

    public var cardinality: Cardinality
    /// `on (…)` labels when `on` is true, else `ignoring (…)` labels.
    public var labels: [String]
    public var on: Bool
    /// Labels listed in `group_left (…)` / `group_right (…)`.
    public var include: [String]
    /// Whether `on`/`ignoring` was written.
    public var explicit: Bool
    /// `fill_left(v)` / `fill_right(v)` (`fill(v)` sets both, experimental in
    /// Prometheus 3): a series missing on that side at a step is taken to be
    /// there with this value. Prometheus fills the "many" side with the left
    /// value and the "one" side with the right one, also for `group_right`.
    public var fillLeft: Double? = nil
    public var fillRight: Double? = nil

    public init(cardinality: Cardinality, labels: [String], on: Bool, include: [String], explicit: Bool) {
        self.cardinality = cardinality
        self.labels = labels
        self.on = on
        self.include = include
        self.explicit = explicit
    }

    /// Whether any side is filled.
    public var fills: Bool { fillLeft != nil || fillRight != nil }
}

/// `lhs op rhs`.
public struct Binary: Sendable {
    public var op: BinaryOperator
    public var lhs: Expr
    public var rhs: Expr
    /// `bool` modifier of a comparison.
    public var returnBool: Bool
    /// nil unless both sides are vectors.
    public var matching: VectorMatching?
    /// Byte offset in the query where the expression starts (for annotations).
    public var position = 0
}

/// Binary operators, with Prometheus precedence.
public enum BinaryOperator: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    /// The native-histogram trim operators: keep the observations below (`</`) or above (`>/`) a threshold.
    case trimUpper = "</", trimLower = ">/"
    case and, or, unless

    /// Higher binds tighter: or 1, and/unless 2, comparisons and trims 3, + - 4, * / % atan2 5, ^ 6.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .gtr, .lss, .gte, .lte, .trimUpper, .trimLower: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2: 5
        case .pow: 6
        }
    }

    public var isRightAssociative: Bool { self == .pow }
    public var isComparison: Bool { self == .eql || self == .neq || self == .gtr || self == .lss || self == .gte || self == .lte }
    public var isTrim: Bool { self == .trimUpper || self == .trimLower }
    /// Whether a vector-scalar result keeps the vector's metric name (without `bool`).
    public var keepsMetricNameWithScalar: Bool { isComparison || isTrim }
    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }
}

/// Aggregation operators.
public enum AggregateOp: String, Sendable, CaseIterable {
    case sum, avg, count, min, max, group, stddev, stdvar
    case topk, bottomk, quantile
    case countValues = "count_values"
    case limitk
    case limitRatio = "limit_ratio"

    /// The type of the first argument, for those that take one.
    public var parameterType: ValueType? {
        switch self {
        case .topk, .bottomk, .quantile, .limitk, .limitRatio: .scalar
        case .countValues: .string
        default: nil
        }
    }
}
