import Foundation
import Ingest
import PromQL
import Synchronization
import TSDB

/// The rule files of the configuration at work: loads them (all or none),
/// runs each group on its own schedule, and on a reload swaps in the new
/// groups, carrying over the state (active alerts, staleness bookkeeping) of
/// groups that stay, and ending the series of groups that go.
public final class RuleManager: Sendable {
    struct State {
        var groups: [GroupEvaluator] = []
        var tasks: [String: Task<Void, Never>] = [:]
        var environment: RuleEnvironment
        /// False until the first groups are started: those restore their alerts' `for` state.
        var started = false
    }

    private let state: Mutex<State>

    public init(environment: RuleEnvironment) {
        state = Mutex(State(environment: environment))
    }

    /// The groups in effect, in file and then file order.
    public var groups: [GroupEvaluator] { state.withLock { $0.groups } }

    /// The environment the groups evaluate in (with the configuration's external labels).
    public var environment: RuleEnvironment { state.withLock { $0.environment } }

    /// The rule files `config.ruleFiles` names (globs, relative to `baseDirectory`),
    /// each read and validated; the first error (file, line, column) fails them all.
    public static func load(_ config: PrometheusConfig, baseDirectory: String) throws(ConfigFileError) -> [RuleFile] {
        try load(config.ruleFiles, baseDirectory: baseDirectory)
    }

    /// The rule files matching `patterns` (globs, relative to `baseDirectory`).
    public static func load(_ patterns: [String], baseDirectory: String) throws(ConfigFileError) -> [RuleFile] {
        var files: [RuleFile] = []
        for pattern in patterns {
            let absolute = pattern.hasPrefix("/") ? pattern : baseDirectory + "/" + pattern
            for path in PathGlob.expand(absolute).sorted() { files.append(try RuleFile.load(path)) }
        }
        return files
    }

    /// Puts `files` in effect with `config`'s defaults (evaluation interval,
    /// query offset, external labels): unchanged groups keep running, changed
    /// ones restart with their predecessor's state, removed ones end their series.
    /// `schedule: false` only installs the groups (tests evaluate them at chosen times).
    public func apply(_ files: [RuleFile], config: PrometheusConfig, externalURL: String? = nil, schedule: Bool = true) {
        let (removed, env) = state.withLock { s -> ([GroupEvaluator], RuleEnvironment) in
            var env = s.environment
            env.externalLabels = Labels(config.global.externalLabels)
            if let externalURL { env.externalURL = externalURL }
            let environmentChanged = env.externalLabels != s.environment.externalLabels || env.externalURL != s.environment.externalURL
            s.environment = env

            let restoring = !s.started
            s.started = true
            var old = Dictionary(s.groups.map { ($0.key, $0) }) { first, _ in first }
            var next: [GroupEvaluator] = []
            for file in files {
                for group in file.groups {
                    let g = GroupEvaluator(group, defaultInterval: config.global.evaluationInterval,
                                           defaultQueryOffset: config.global.ruleQueryOffset, restoring: restoring)
                    if let prior = old.removeValue(forKey: g.key) {
                        if !environmentChanged && prior.interval == g.interval && prior.queryOffset == g.queryOffset
                            && prior.group.sameRules(as: group) {
                            next.append(prior)  // unchanged: keeps running
                            continue
                        }
                        s.tasks.removeValue(forKey: prior.key)?.cancel()
                        g.copyState(from: prior)
                    }
                    next.append(g)
                    let current = env
                    if schedule { s.tasks[g.key] = Task.detached { await g.run(env: current) } }
                }
            }
            for removed in old.values { s.tasks.removeValue(forKey: removed.key)?.cancel() }
            s.groups = next
            return (Array(old.values), env)
        }
        // Writing their staleness markers is database work: not under the lock the API reads through.
        let now = GroupEvaluator.nowMillis()
        for group in removed { group.markStale(at: now, env: env) }
    }

    /// Stops every group (before the database closes).
    public func stop() {
        state.withLock { s in
            for task in s.tasks.values { task.cancel() }
            s.tasks = [:]
        }
    }
}

extension RuleGroup {
    /// Same rules, labels and limit (what decides whether a reload restarts the group).
    func sameRules(as other: RuleGroup) -> Bool {
        guard limit == other.limit, labels == other.labels, rules.count == other.rules.count else { return false }
        return zip(rules, other.rules).allSatisfy { a, b in
            a.kind == b.kind && a.exprText == b.exprText && a.forDuration == b.forDuration && a.keepFiringFor == b.keepFiringFor
                && a.labels == b.labels && a.annotations == b.annotations
        }
    }
}
