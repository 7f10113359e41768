import PromQL
import Synchronization
import TSDB

/// How a rule's last evaluation went, as `/api/v1/rules` reports it.
public struct RuleHealth: Sendable {
    public enum Status: String, Sendable { case unknown, ok, err }
    public var status = Status.unknown
    public var lastError: String?
    /// Wall-clock time of the last evaluation (ms).
    public var lastEvaluation: Int64?
    public var evaluationSeconds = 0.0
}

/// A rule as its group runs it: a recording rule or an alerting rule.
public protocol RuleEvaluator: AnyObject, Sendable {
    var rule: Rule { get }
    var health: RuleHealth { get }
    /// Evaluates at `t` (the query runs at `t - queryOffset`) and returns the
    /// samples to store, stamped `t - queryOffset`.
    func evaluate(at t: Int64, queryOffset: Int64, limit: Int, env: RuleEnvironment) throws -> [VectorSample]
    func record(_ health: RuleHealth)
}

/// A recording rule: its expression's result stored under the rule's name,
/// with the rule's (and its group's) labels.
public final class RecordingRule: RuleEvaluator {
    public let rule: Rule
    /// The group's labels overridden by the rule's own.
    let labels: [Label]
    private let status = Mutex(RuleHealth())

    public init(_ rule: Rule, groupLabels: [Label] = []) {
        self.rule = rule
        labels = Self.merge(groupLabels, rule.labels)
    }

    public var health: RuleHealth { status.withLock { $0 } }
    public func record(_ health: RuleHealth) { status.withLock { $0 = health } }

    public func evaluate(at t: Int64, queryOffset: Int64, limit: Int, env: RuleEnvironment) throws -> [VectorSample] {
        var out = try env.vector(rule.expr, at: t - queryOffset)
        var seen = Set<Labels>()
        for i in out.indices {
            var pairs = out[i].labels.pairs.filter { $0.name != Labels.metricName }
            for l in labels { pairs.removeAll { $0.name == l.name } }
            pairs += labels.filter { !$0.value.isEmpty } + [Label(Labels.metricName, rule.name)]
            out[i].labels = Labels(pairs)
            out[i].t = t - queryOffset
            guard seen.insert(out[i].labels).inserted else {
                throw RuleError("vector contains metrics with the same labelset after applying rule labels")
            }
        }
        if limit > 0 && out.count > limit { throw RuleError("exceeded limit of \(limit) with \(out.count) series") }
        return out
    }

    /// `base` with the entries of `override` replacing those of the same name.
    static func merge(_ base: [Label], _ override: [Label]) -> [Label] {
        base.filter { b in !override.contains { $0.name == b.name } } + override
    }
}
