import PromQL
import TSDB

/// What rules need from the server around them: the database they read and
/// write, the query engine, the server's identity (external labels and URL,
/// which templates and notifications carry), Prometheus' timing flags, and
/// where alerts and events go.
public struct RuleEnvironment: Sendable {
    public var db: DB
    public var engine: Engine
    public var externalLabels: Labels = .empty
    /// `--web.external-url`: the base of `generatorURL` and `$externalURL`.
    public var externalURL = "http://127.0.0.1:9090"
    /// `--rules.alert.resend-delay`: a firing alert is sent again this often (ms).
    public var resendDelay: Int64 = 60_000
    /// `--rules.alert.for-outage-tolerance`: how old an `ALERTS_FOR_STATE` may be to restore from (ms).
    public var outageTolerance: Int64 = 3_600_000
    /// `--rules.alert.for-grace-period`: after a restart, an alert fires no sooner than this (ms).
    public var forGracePeriod: Int64 = 600_000
    /// Receives the alerts to send after each evaluation of an alerting rule, with the rule's expression.
    public var notify: @Sendable (_ alerts: [Alert], _ expr: String) -> Void = { _, _ in }
    /// Receives evaluation events (for metrics and logs).
    public var observe: @Sendable (RuleEvent) -> Void = { _ in }

    public init(db: DB, engine: Engine = Engine()) {
        self.db = db
        self.engine = engine
    }

    /// An instant query for a rule: the vector, or a scalar as one sample
    /// without labels; anything else is an error, as in Prometheus.
    func vector(_ expr: Expr, at t: Int64) throws -> [VectorSample] {
        switch try engine.instantQuery(expr, at: t, db: db) {
        case .vector(let v): return v
        case .scalar(let t, let v): return [VectorSample(labels: .empty, t: t, v: v)]
        default: throw RuleError("rule result is not a vector or scalar")
        }
    }
}

/// What happened in the rule engine, for `/metrics` and the log.
public enum RuleEvent: Sendable {
    /// A group finished an evaluation: how long it took, how many rules failed.
    case groupEvaluated(group: String, file: String, seconds: Double, rules: Int, failures: Int)
    /// A group overran its interval and skipped evaluations.
    case iterationsMissed(group: String, file: String, count: Int)
    /// A rule evaluation failed.
    case ruleFailed(group: String, file: String, rule: String, error: String)
}

/// A rule evaluation that failed (its rule's `lastError`).
public struct RuleError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
