import Foundation
import PromQL
import Synchronization
import TSDB

/// A rule group at work: every `interval`, at times aligned to the interval
/// (shifted by a stable per-group offset, as Prometheus spreads groups), its
/// rules are evaluated in order with one timestamp; their samples are
/// stored, series a rule no longer returns get a staleness marker, alerts go
/// to the notifier. Groups run independently of each other.
public final class GroupEvaluator: Sendable {
    public let group: RuleGroup
    /// Milliseconds.
    public let interval: Int64
    public let queryOffset: Int64
    public let rules: [any RuleEvaluator]
    private let state: Mutex<State>

    struct State {
        /// Per rule, the series its last evaluation wrote (for staleness markers).
        var previousSeries: [Set<Labels>]
        /// Wall-clock time of the last evaluation (ms) and how long it took.
        var lastEvaluation: Int64?
        var evaluationSeconds = 0.0
        /// Timestamp of the last evaluation (the aligned schedule time).
        var lastEvaluationTimestamp: Int64?
    }

    /// `defaultInterval` and `defaultQueryOffset` (ms) apply where the group
    /// sets none; `restoring`: alerts wait for their `for` state to be restored.
    public init(_ group: RuleGroup, defaultInterval: Int64, defaultQueryOffset: Int64 = 0, restoring: Bool = false) {
        self.group = group
        interval = group.interval ?? defaultInterval
        queryOffset = group.queryOffset ?? defaultQueryOffset
        rules = group.rules.map { rule -> any RuleEvaluator in
            switch rule.kind {
            case .recording: RecordingRule(rule, groupLabels: group.labels)
            case .alerting: AlertingRule(rule, groupLabels: group.labels, restored: !restoring)
            }
        }
        state = Mutex(State(previousSeries: Array(repeating: [], count: group.rules.count)))
    }

    /// Identifies the group across reloads.
    public var key: String { group.file + ";" + group.name }
    public var lastEvaluation: Int64? { state.withLock { $0.lastEvaluation } }
    public var evaluationSeconds: Double { state.withLock { $0.evaluationSeconds } }

    /// The first evaluation time at or after `now`: a multiple of the
    /// interval plus this group's offset (a hash of its name and file).
    public func evaluationTime(atOrAfter now: Int64) -> Int64 {
        let offset = Int64(Labels(["name": group.name, "file": group.file]).stableHash % UInt64(interval))
        let base = now - offset
        let aligned = base - ((base % interval) + interval) % interval + offset
        return aligned < now ? aligned + interval : aligned
    }

    /// One evaluation of every rule at `t` (ms).
    public func evaluate(at t: Int64, env: RuleEnvironment) {
        let started = Date()
        var failures = 0
        let app = env.db.appender()
        var previous = state.withLock { $0.previousSeries }
        for (i, rule) in rules.enumerated() {
            let ruleStarted = Date()
            var health = RuleHealth(status: .ok, lastError: nil, lastEvaluation: Self.nowMillis(), evaluationSeconds: 0)
            var written = Set<Labels>()
            do {
                let samples = try rule.evaluate(at: t, queryOffset: queryOffset, limit: group.limit, env: env)
                for s in samples {
                    // Out-of-order and duplicate samples are skipped, as Prometheus logs and counts them.
                    let stored = if let h = s.h { (try? app.appendHistogram(s.labels, s.t, h)) != nil } else { (try? app.append(s.labels, s.t, s.v)) != nil }
                    if stored { written.insert(s.labels) }
                }
            } catch {
                failures += 1
                health.status = .err
                health.lastError = "\(error)"
                env.observe(.ruleFailed(group: group.name, file: group.file, rule: rule.rule.name, error: "\(error)"))
            }
            // Series the rule wrote last time but not now end with a staleness marker.
            for gone in previous[i].subtracting(written) { _ = try? app.append(gone, t - queryOffset, StaleNaN.value) }
            previous[i] = written
            if let alerting = rule as? AlertingRule {
                let toSend = alerting.alertsToSend(at: t, interval: interval, env: env)
                if !toSend.isEmpty { env.notify(toSend, rule.rule.expr.description) }
            }
            health.evaluationSeconds = Date().timeIntervalSince(ruleStarted)
            rule.record(health)
        }
        _ = try? app.commit()
        let seconds = Date().timeIntervalSince(started)
        state.withLock {
            $0.previousSeries = previous
            $0.lastEvaluation = Self.nowMillis()
            $0.evaluationSeconds = seconds
            $0.lastEvaluationTimestamp = t
        }
        env.observe(.groupEvaluated(group: group.name, file: group.file, seconds: seconds, rules: rules.count, failures: failures))
    }

    /// Restores the `for` state of the alerting rules (after the first evaluation following a start).
    public func restoreForState(at t: Int64, env: RuleEnvironment) {
        for case let rule as AlertingRule in rules where !rule.isRestored {
            do { try rule.restoreForState(at: t, env: env) } catch {
                env.observe(.ruleFailed(group: group.name, file: group.file, rule: rule.rule.name, error: "restoring for state: \(error)"))
            }
        }
    }

    /// Evaluates on schedule until the task is cancelled: at aligned times,
    /// skipping (and reporting) evaluations missed while one overran.
    public func run(env: RuleEnvironment) async {
        var next = evaluationTime(atOrAfter: Self.nowMillis())
        var first = true
        while !Task.isCancelled {
            let wait = next - Self.nowMillis()
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(wait)) } catch { return }
            }
            evaluate(at: next, env: env)
            if first {
                restoreForState(at: Self.nowMillis(), env: env)
                first = false
            }
            next += interval
            let now = Self.nowMillis()
            if now >= next + interval {
                let missed = Int((now - next) / interval)
                next += Int64(missed) * interval
                env.observe(.iterationsMissed(group: group.name, file: group.file, count: missed))
            }
        }
    }

    /// Takes over what `old` (the same group before a reload) knew: active
    /// alerts, the series of the last evaluation, health; rules are matched
    /// by name and kind, in order.
    public func copyState(from old: GroupEvaluator) {
        var used = Set<Int>()
        let oldState = old.state.withLock { $0 }
        var previous = state.withLock { $0.previousSeries }
        for (i, rule) in rules.enumerated() {
            guard let j = old.rules.indices.first(where: { !used.contains($0) && old.rules[$0].rule.kind == rule.rule.kind }) else { continue }
            used.insert(j)
            previous[i] = oldState.previousSeries[j]
            rule.record(old.rules[j].health)
            if let new = rule as? AlertingRule, let prior = old.rules[j] as? AlertingRule { new.adopt(prior) }
        }
        state.withLock {
            $0.previousSeries = previous
            $0.lastEvaluation = oldState.lastEvaluation
            $0.evaluationSeconds = oldState.evaluationSeconds
            $0.lastEvaluationTimestamp = oldState.lastEvaluationTimestamp
        }
    }

    /// Ends every series the group wrote (a group removed by a reload).
    public func markStale(at t: Int64, env: RuleEnvironment) {
        let app = env.db.appender()
        for series in state.withLock({ $0.previousSeries }) {
            for labels in series { _ = try? app.append(labels, t - queryOffset, StaleNaN.value) }
        }
        _ = try? app.commit()
    }

    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
