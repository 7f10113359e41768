import AsyncHTTPClient
import Foundation
import Ingest
import NIOCore
import NIOHTTP1
import Synchronization
import TSDB

/// Sends alerts to the configured Alertmanagers (`POST /api/v2/alerts`), as
/// Prometheus' notifier does: alerts get the external labels and go through
/// `alert_relabel_configs`, wait in a bounded queue (the oldest are dropped
/// when it is full, and counted), and leave in batches to every Alertmanager
/// at once; a failed post is retried a few times before the batch counts as
/// an error for that Alertmanager (firing alerts are re-sent anyway).
public final class Notifier: Sendable {
    public struct Options: Sendable {
        /// `--alertmanager.notification-queue-capacity`.
        public var capacity = 10_000
        public var batchSize = 256
        /// Attempts per batch and Alertmanager, and the first pause between them (doubling).
        public var attempts = 3
        public var retryPause: Duration = .milliseconds(200)
        public init() {}
    }

    /// The alert as Alertmanager's API takes it.
    struct Postable: Codable, Equatable {
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
        var generatorURL: String
    }

    struct Target: Sendable {
        var url: String
        var timeout: Int64
        var headers: [(String, String)]
    }

    struct State {
        var queue: [Postable] = []
        var targets: [Target] = []
        var relabeler: Relabeler?
        var externalLabels: Labels = .empty
        var waiter: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    let options: Options
    private let state = Mutex(State())
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)
    private let observe: @Sendable (NotifierEvent) -> Void

    public init(options: Options = Options(), observe: @escaping @Sendable (NotifierEvent) -> Void = { _ in }) {
        self.options = options
        self.observe = observe
    }

    /// Follows the configuration: Alertmanagers, alert relabelling, external labels.
    public func apply(_ config: PrometheusConfig) {
        let targets = config.alerting.alertmanagers.flatMap { am in
            am.alertsURLs.map { Target(url: $0, timeout: am.timeout, headers: Self.headers(am)) }
        }
        let relabeler = config.alerting.alertRelabelConfigs.isEmpty ? nil : try? Relabeler(config.alerting.alertRelabelConfigs)
        state.withLock {
            $0.targets = targets
            $0.relabeler = relabeler
            $0.externalLabels = Labels(config.global.externalLabels)
        }
        observe(.alertmanagers(targets.map(\.url)))
    }

    /// Queues alerts of one rule (the `notify` of a `RuleEnvironment`).
    public func send(_ alerts: [Alert], expr: String, externalURL: String) {
        let generatorURL = externalURL + "/graph?g0.expr=" + TemplateFunctions.queryEscape(expr) + "&g0.tab=1"
        let dropped: Int = state.withLock { s in
            guard !s.targets.isEmpty else { return 0 }
            for alert in alerts {
                var labels = alert.labels
                for l in s.externalLabels.pairs where labels[l.name].isEmpty { labels = labels.setting(l.name, to: l.value) }
                if let relabeler = s.relabeler {
                    guard let relabelled = relabeler.apply(labels), !relabelled.isEmpty else { continue }
                    labels = relabelled
                }
                s.queue.append(Postable(
                    labels: Dictionary(labels.pairs.map { ($0.name, $0.value) }) { $1 },
                    annotations: Dictionary(alert.annotations.map { ($0.name, $0.value) }) { $1 },
                    startsAt: Self.rfc3339(alert.firedAt ?? alert.activeAt),
                    endsAt: Self.rfc3339(alert.resolvedAt ?? alert.validUntil ?? alert.activeAt),
                    generatorURL: generatorURL))
            }
            let over = max(0, s.queue.count - options.capacity)
            s.queue.removeFirst(over)
            s.waiter?.resume()
            s.waiter = nil
            return over
        }
        if dropped > 0 { observe(.dropped(dropped)) }
    }

    /// Sends queued alerts until `stop()`.
    public func run() async {
        while true {
            let (batch, targets, stopped): ([Postable], [Target], Bool) = state.withLock { s in
                let n = min(options.batchSize, s.queue.count)
                let batch = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                return (batch, s.targets, s.stopped)
            }
            if stopped { return }
            observe(.queueLength(queueLength))
            if batch.isEmpty {
                await withCheckedContinuation { c in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.queue.isEmpty || s.stopped { return true }
                        s.waiter = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
                continue
            }
            guard let body = try? JSONEncoder().encode(batch) else { continue }
            await withTaskGroup(of: Void.self) { group in
                for target in targets { group.addTask { await self.post(body, count: batch.count, to: target) } }
            }
        }
    }

    public func stop() {
        state.withLock { s in
            s.stopped = true
            s.waiter?.resume()
            s.waiter = nil
        }
    }

    public var queueLength: Int { state.withLock { $0.queue.count } }

    /// The alerts waiting, as they will be posted.
    var queuedForTests: [Postable] { state.withLock { $0.queue } }

    private func post(_ body: Data, count: Int, to target: Target) async {
        var pause = options.retryPause
        for attempt in 1...options.attempts {
            var request = HTTPClientRequest(url: target.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "tsql")
            for (name, value) in target.headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let started = ContinuousClock.now
            do {
                let response = try await client.execute(request, timeout: .milliseconds(target.timeout))
                _ = try await response.body.collect(upTo: 1 << 20)
                let seconds = Self.seconds(ContinuousClock.now - started)
                if (200..<300).contains(response.status.code) {
                    observe(.sent(alertmanager: target.url, alerts: count, seconds: seconds))
                    return
                }
                if attempt == options.attempts {
                    observe(.failed(alertmanager: target.url, alerts: count, error: "HTTP \(response.status.code)"))
                }
            } catch {
                if attempt == options.attempts { observe(.failed(alertmanager: target.url, alerts: count, error: "\(error)")) }
            }
            if attempt < options.attempts {
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
    }

    static func headers(_ am: PrometheusConfig.Alertmanager) -> [(String, String)] {
        if let auth = am.authorization {
            let credentials = auth.credentialsFile.isEmpty ? auth.credentials
                : (try? String(contentsOfFile: auth.credentialsFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return [("Authorization", "\(auth.type) \(credentials)")]
        }
        if let basic = am.basicAuth {
            let password = basic.passwordFile.isEmpty ? basic.password
                : (try? String(contentsOfFile: basic.passwordFile, encoding: .utf8))?.trimmingCharacters(in: .newlines) ?? ""
            return [("Authorization", "Basic " + Data("\(basic.username):\(password)".utf8).base64EncodedString())]
        }
        return []
    }

    /// RFC 3339 with milliseconds, UTC.
    static func rfc3339(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    deinit { try? client.syncShutdown() }
}

/// What the notifier did, for `/metrics` (`prometheus_notifications_*`).
public enum NotifierEvent: Sendable {
    case sent(alertmanager: String, alerts: Int, seconds: Double)
    case failed(alertmanager: String, alerts: Int, error: String)
    case dropped(Int)
    case queueLength(Int)
    case alertmanagers([String])
}
