import PromQL
import Synchronization
import TSDB

/// An alerting rule: every series of its expression's result is an alert,
/// pending until the condition has held for `for`, then firing; when the
/// series goes away (and `keep_firing_for` has passed) the alert resolves and
/// is kept 15 minutes so Alertmanager hears of it. Each evaluation writes the
/// `ALERTS` and `ALERTS_FOR_STATE` series (Prometheus' rules/alerting.go).
public final class AlertingRule: RuleEvaluator {
    /// How long a resolved alert is still reported (and sent as resolved).
    static let resolvedRetention: Int64 = 15 * 60_000

    public let rule: Rule
    /// The group's labels overridden by the rule's own, as templates.
    let labels: [(name: String, template: AlertTemplate?)]
    let annotations: [(name: String, template: AlertTemplate?)]
    private let state: Mutex<State>

    struct State {
        var active: [Labels: Alert] = [:]
        var health = RuleHealth()
        /// False until the `for` state has been restored after a start: no
        /// `ALERTS_FOR_STATE` is written before (it would overwrite the one to restore).
        var restored: Bool
    }

    public init(_ rule: Rule, groupLabels: [Label] = [], restored: Bool = true) {
        self.rule = rule
        // Templates were checked when the file was loaded; one that still fails renders as Prometheus renders errors.
        labels = RecordingRule.merge(groupLabels, rule.labels).map { ($0.name, try? AlertTemplate($0.value)) }
        annotations = rule.annotations.map { ($0.name, try? AlertTemplate($0.value)) }
        state = Mutex(State(restored: restored))
    }

    public var health: RuleHealth { state.withLock { $0.health } }
    public func record(_ health: RuleHealth) { state.withLock { $0.health = health } }

    /// Every alert the rule holds, resolved ones included, sorted by labels.
    public var alerts: [Alert] { state.withLock { Array($0.active.values) }.sorted { $0.labels < $1.labels } }

    /// The rule's state: that of its most advanced alert.
    public var alertState: AlertState { state.withLock { $0.active.values.map(\.state).max() ?? .inactive } }

    public var isRestored: Bool { state.withLock { $0.restored } }

    public func evaluate(at t: Int64, queryOffset: Int64, limit: Int, env: RuleEnvironment) throws -> [VectorSample] {
        let queryTime = t - queryOffset
        let result = try env.vector(rule.expr, at: queryTime)
        // The alerts the result describes, with rendered labels and annotations.
        var current: [Labels: Alert] = [:]
        for sample in result {
            let data = templateData(sample, at: queryTime, env: env)
            var pairs = sample.labels.pairs.filter { $0.name != Labels.metricName }
            for (name, template) in labels {
                pairs.removeAll { $0.name == name }
                let value = Self.render(template, data)
                if !value.isEmpty { pairs.append(Label(name, value)) }
            }
            pairs.removeAll { $0.name == "alertname" }
            pairs.append(Label("alertname", rule.name))
            let alertLabels = Labels(pairs)
            guard current[alertLabels] == nil else {
                throw RuleError("vector contains metrics with the same labelset after applying alert labels")
            }
            let rendered = annotations.map { Label($0.name, Self.render($0.template, data)) }
            current[alertLabels] = Alert(labels: alertLabels, annotations: rendered, state: .pending, value: sample.v, activeAt: t)
        }
        return try state.withLock { s throws(RuleError) -> [VectorSample] in
            for (key, alert) in current {
                if var existing = s.active[key], existing.state != .inactive {
                    existing.value = alert.value
                    existing.annotations = alert.annotations
                    s.active[key] = existing
                } else {
                    s.active[key] = alert
                }
            }
            var out: [VectorSample] = []
            var activeCount = 0
            for key in Array(s.active.keys) {
                var a = s.active[key]!
                if current[key] == nil {
                    var keepFiring = false
                    if a.state == .firing && rule.keepFiringFor > 0 {
                        if a.keepFiringSince == nil { a.keepFiringSince = t }
                        keepFiring = t - a.keepFiringSince! < rule.keepFiringFor
                    }
                    if !keepFiring {
                        if a.state == .pending || (a.resolvedAt.map { t - $0 > Self.resolvedRetention } ?? false) {
                            s.active[key] = nil
                            continue
                        }
                        if a.state != .inactive {
                            a.state = .inactive
                            a.resolvedAt = t
                        }
                        s.active[key] = a
                        continue
                    }
                } else if a.state != .inactive && rule.keepFiringFor > 0 {
                    a.keepFiringSince = nil
                }
                activeCount += 1
                if a.state == .pending && t - a.activeAt >= rule.forDuration {
                    a.state = .firing
                    a.firedAt = t
                }
                s.active[key] = a
                if s.restored {
                    out.append(VectorSample(labels: Self.series("ALERTS", a.labels, state: a.state), t: queryTime, v: 1))
                    out.append(VectorSample(labels: Self.series("ALERTS_FOR_STATE", a.labels, state: nil), t: queryTime,
                                            v: Double(a.activeAt / 1000)))
                }
            }
            if limit > 0 && activeCount > limit {
                s.active = [:]
                throw RuleError("exceeded limit of \(limit) with \(activeCount) alerts")
            }
            return out
        }
    }

    /// The alerts to hand to the notifier at `t`: firing ones every
    /// `resendDelay`, resolved ones once more; each valid until four
    /// intervals (or resend delays) from now.
    func alertsToSend(at t: Int64, interval: Int64, env: RuleEnvironment) -> [Alert] {
        state.withLock { s in
            var out: [Alert] = []
            for key in s.active.keys where s.active[key]!.needsSending(at: t, resendDelay: env.resendDelay) {
                s.active[key]!.lastSentAt = t
                s.active[key]!.validUntil = t + 4 * max(interval, env.resendDelay)
                out.append(s.active[key]!)
            }
            return out.sorted { $0.labels < $1.labels }
        }
    }

    /// After a restart: gives the active alerts back the `activeAt` their
    /// `ALERTS_FOR_STATE` series remembers (if no older than the outage
    /// tolerance), as Prometheus' `RestoreForState` does: an alert that had
    /// fired keeps its time; one that was pending resumes where it stopped;
    /// none fires sooner than the grace period after the restart.
    func restoreForState(at t: Int64, env: RuleEnvironment) throws {
        defer { state.withLock { $0.restored = true } }
        guard rule.forDuration >= env.forGracePeriod else { return }
        let querier = env.db.querier(mint: t - env.outageTolerance, maxt: t)
        let keys = state.withLock { Array($0.active.keys) }
        for key in keys {
            let matchers = Self.series("ALERTS_FOR_STATE", key, state: nil).pairs.map { LabelMatcher.equal($0.name, $0.value) }
            guard let series = try querier.select(matchers).first(where: { $0.labels.count == key.count + 1 }),
                  let last = try series.samples().last, !StaleNaN.isStale(last.v) else { continue }
            let downAt = last.t / 1000 * 1000
            var activeAt = Int64(last.v) * 1000
            let remaining = rule.forDuration - (downAt - activeAt)
            if remaining <= 0 {
                // It had fired: it keeps its time.
            } else if remaining < env.forGracePeriod {
                activeAt = t + env.forGracePeriod - rule.forDuration
            } else {
                activeAt += t - downAt
            }
            state.withLock { $0.active[key]?.activeAt = activeAt }
        }
    }

    /// `ALERTS{alertstate=…}` or `ALERTS_FOR_STATE` for an alert's labels.
    static func series(_ name: String, _ labels: Labels, state: AlertState?) -> Labels {
        var pairs = labels.pairs
        pairs.append(Label(Labels.metricName, name))
        if let state { pairs.append(Label("alertstate", state.rawValue)) }
        return Labels(pairs)
    }

    func templateData(_ sample: VectorSample, at t: Int64, env: RuleEnvironment) -> AlertTemplate.Data {
        var dict: [String: String] = [:]
        for p in sample.labels.pairs { dict[p.name] = p.value }
        var external: [String: String] = [:]
        for p in env.externalLabels.pairs { external[p.name] = p.value }
        let (engine, db) = (env.engine, env.db)
        var data = AlertTemplate.Data(labels: dict, value: sample.v, externalLabels: external, externalURL: env.externalURL) { text in
            switch try engine.instantQuery(text, at: t, db: db) {
            case .vector(let v):
                return v.map { s in (Dictionary(s.labels.pairs.map { ($0.name, $0.value) }) { $1 }, s.v) }
            case .scalar(_, let v): return [([:], v)]
            default: throw RuleError("query result is not a vector or scalar")
            }
        }
        data.time = t
        return data
    }

    static func render(_ template: AlertTemplate?, _ data: AlertTemplate.Data) -> String {
        guard let template else { return "<error expanding template: invalid template>" }
        do { return try template.render(data) } catch { return "<error expanding template: \(error)>" }
    }
}

extension AlertingRule {
    /// Takes over the alerts of the same rule before a reload.
    func adopt(_ prior: AlertingRule) {
        let (active, restored) = prior.state.withLock { ($0.active, $0.restored) }
        state.withLock {
            $0.active = active
            $0.restored = restored
        }
    }
}
