import ArgumentParser
import Foundation
import Ingest
import Logging
import PromQL
import Rules
import Server
import TSDB

/// `tsql serve`'s flags for rules and alerting, under Prometheus' names, and
/// the wiring of the rule manager and the notifier into the server.
struct AlertingFlags: ParsableArguments {
    @Option(name: .customLong("web.external-url"), help: "The URL under which the server is reached (alerts' generatorURL, $externalURL).")
    var externalURL: String?
    @Option(name: .customLong("rules.alert.resend-delay"), help: "Minimum time before a firing alert is sent to Alertmanager again.")
    var resendDelay = "1m"
    @Option(name: .customLong("rules.alert.for-outage-tolerance"), help: "Max time to tolerate an outage for restoring the 'for' state of alerts.")
    var outageTolerance = "1h"
    @Option(name: .customLong("rules.alert.for-grace-period"), help: "Minimum duration between a restart and an alert firing (for alerts with a 'for' at least this long).")
    var gracePeriod = "10m"
    @Option(name: .customLong("alertmanager.notification-queue-capacity"), help: "Alerts waiting to be sent to Alertmanager; the oldest are dropped beyond.")
    var queueCapacity = 10_000

    /// Durations in milliseconds, and the external URL (default: the listen address).
    struct Timing: Sendable {
        var externalURL: String
        var resendDelay: Int64
        var outageTolerance: Int64
        var gracePeriod: Int64
    }

    func timing(listen: String) throws -> Timing {
        func duration(_ text: String, _ flag: String) throws -> Int64 {
            guard let ms = DurationFormat.parse(text) else { throw ValidationError("--\(flag): cannot parse \"\(text)\" as a duration") }
            return ms
        }
        var url = externalURL ?? "http://\(listen)"
        while url.hasSuffix("/") { url.removeLast() }
        return Timing(externalURL: url, resendDelay: try duration(resendDelay, "rules.alert.resend-delay"),
                      outageTolerance: try duration(outageTolerance, "rules.alert.for-outage-tolerance"),
                      gracePeriod: try duration(gracePeriod, "rules.alert.for-grace-period"))
    }

    var notifierOptions: Notifier.Options {
        var o = Notifier.Options()
        o.capacity = max(1, queueCapacity)
        return o
    }

    /// Rule file globs are relative to the configuration file's directory, as in Prometheus.
    func baseDirectory(_ configFile: String?) -> String {
        guard let configFile else { return FileManager.default.currentDirectoryPath }
        let dir = URL(fileURLWithPath: configFile).deletingLastPathComponent().path
        return dir.isEmpty ? "." : dir
    }

    /// Starts the rules of `files` over `db`, alerts going to `notifier`, and
    /// makes reloads of `config` re-read the rule files (all or nothing).
    static func startRules(_ files: [RuleFile], config: ConfigStore, db: DB, engine: Engine, timing: Timing,
                           notifier: Notifier, metrics: ServerMetrics, baseDirectory: String, logger: Logger) -> RuleManager {
        var env = RuleEnvironment(db: db, engine: engine)
        env.externalURL = timing.externalURL
        env.resendDelay = timing.resendDelay
        env.outageTolerance = timing.outageTolerance
        env.forGracePeriod = timing.gracePeriod
        let externalURL = timing.externalURL
        env.notify = { alerts, expr in notifier.send(alerts, expr: expr, externalURL: externalURL) }
        env.observe = { event in
            metrics.record(event)
            if case .ruleFailed(let group, let file, let rule, let error) = event {
                logger.warning("rule evaluation failed", metadata: ["group": "\(group)", "file": "\(file)", "rule": "\(rule)", "err": "\(error)"])
            }
        }
        let manager = RuleManager(environment: env)
        notifier.apply(config.parsed)
        manager.apply(files, config: config.parsed)
        config.onReload { parsed in
            let files = try RuleManager.load(parsed, baseDirectory: baseDirectory)
            return {
                notifier.apply(parsed)
                manager.apply(files, config: parsed)
                logger.info("rules loaded", metadata: ["groups": "\(files.reduce(0) { $0 + $1.groups.count })"])
            }
        }
        return manager
    }
}
