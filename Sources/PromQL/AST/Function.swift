/// A PromQL function's signature: argument types, how many trailing
/// arguments are optional or repeatable, and the result type. The table is
/// Prometheus 3.x's (`promql/parser/functions.go`).
public struct Function: Sendable, Equatable {
    public let name: String
    public let argTypes: [ValueType]
    /// 0: exactly `argTypes.count` arguments; n > 0: the last n are optional;
    /// -1: the last type may repeat without limit (and the last is optional).
    public let variadic: Int
    public let returnType: ValueType
    /// Behind `--enable-feature=promql-experimental-functions` in Prometheus (enabled here).
    public let experimental: Bool

    init(_ name: String, _ args: [ValueType], _ ret: ValueType, variadic: Int = 0, experimental: Bool = false) {
        self.name = name
        self.argTypes = args
        self.variadic = variadic
        self.returnType = ret
        self.experimental = experimental
    }

    public var minArgs: Int { variadic == 0 ? argTypes.count : Swift.max(0, argTypes.count - (variadic > 0 ? variadic : 1)) }
    public var maxArgs: Int? { variadic < 0 ? nil : argTypes.count }

    /// The expected type of argument `i`.
    public func argType(_ i: Int) -> ValueType { i < argTypes.count ? argTypes[i] : argTypes[argTypes.count - 1] }

    public static let all: [String: Function] = {
        let v = ValueType.vector, m = ValueType.matrix, s = ValueType.scalar, str = ValueType.string
        var fs: [Function] = []
        for name in ["abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sgn", "deg", "rad",
                     "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
                     "absent", "sort", "sort_desc", "timestamp",
                     "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar"] {
            fs.append(Function(name, [v], v))
        }
        for name in ["avg_over_time", "count_over_time", "sum_over_time", "min_over_time", "max_over_time",
                     "last_over_time", "first_over_time", "stddev_over_time", "stdvar_over_time", "present_over_time",
                     "absent_over_time", "changes", "resets", "delta", "idelta", "deriv", "increase", "irate", "rate"] {
            fs.append(Function(name, [m], v))
        }
        for name in ["mad_over_time", "ts_of_first_over_time", "ts_of_last_over_time", "ts_of_max_over_time",
                     "ts_of_min_over_time"] {
            fs.append(Function(name, [m], v, experimental: true))
        }
        for name in ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"] {
            fs.append(Function(name, [v], v, variadic: 1))
        }
        fs += [
            Function("clamp", [v, s, s], v),
            Function("clamp_max", [v, s], v),
            Function("clamp_min", [v, s], v),
            Function("round", [v, s], v, variadic: 1),
            Function("predict_linear", [m, s], v),
            Function("quantile_over_time", [s, m], v),
            Function("histogram_quantile", [s, v], v),
            Function("histogram_fraction", [s, s, v], v),
            Function("label_replace", [v, str, str, str, str], v),
            Function("label_join", [v, str, str, str], v, variadic: -1),
            Function("scalar", [v], s),
            Function("vector", [s], v),
            Function("time", [], s),
            Function("pi", [], s),
            Function("double_exponential_smoothing", [m, s, s], v, experimental: true),
            Function("sort_by_label", [v, str], v, variadic: -1, experimental: true),
            Function("sort_by_label_desc", [v, str], v, variadic: -1, experimental: true),
            Function("info", [v, v], v, variadic: 1, experimental: true),
            Function("histogram_quantiles", [v, str, s], v, variadic: -1, experimental: true),
            Function("start_timestamp", [v], v, experimental: true),
            // Query-time helpers, also usable in duration expressions.
            Function("step", [], s, experimental: true),
            Function("range", [], s, experimental: true),
            Function("start", [], s, experimental: true),
            Function("end", [], s, experimental: true),
            Function("min_of", [s, s], s, experimental: true),
            Function("max_of", [s, s], s, experimental: true),
        ]
        return Dictionary(uniqueKeysWithValues: fs.map { ($0.name, $0) })
    }()
}
