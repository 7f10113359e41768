import Foundation
import Ingest
import PromQL
@testable import Rules
import Synchronization
import Testing
import TSDB
import TSDBTestSupport

/// Recording and alerting rules evaluated over loaded data at chosen times:
/// stored results, alert states and their `ALERTS` series, templates,
/// limits, staleness, notifications, and the `for` state across a restart.
@Suite("Rule evaluation")
struct RuleEvaluationTests {
    static let minute: Int64 = 60_000

    /// A database holding `series` (promqltest notation, one sample a minute
    /// from 0). Rules write at their evaluation time, so the data must not
    /// run more than an hour past it (the head refuses older samples, as Prometheus').
    static func database(_ dir: TempDir, _ series: [String: String]) throws -> DB {
        var o = DBOptions()
        o.compactionInterval = nil
        let db = try DB.open(dir.path, options: o)
        let app = db.appender()
        for (selector, values) in series { try RuleTestRunner.appendSeries(selector, values, step: minute, to: app) }
        try app.commit()
        return db
    }

    static func group(_ yaml: String, restoring: Bool = false) throws -> GroupEvaluator {
        let file = try RuleFile.parse(yaml, file: "rules.yml")
        return GroupEvaluator(file.groups[0], defaultInterval: minute, restoring: restoring)
    }

    /// The value of `query` at `t` per series (`{}` for a scalar), stale samples absent.
    static func values(_ db: DB, _ query: String, at t: Int64) throws -> [String: Double] {
        guard case .vector(let v) = try Engine().instantQuery(query, at: t, db: db) else { return [:] }
        return Dictionary(uniqueKeysWithValues: v.map { ($0.labels.description, $0.v) })
    }

    /// Collects what the rules hand to the notifier.
    final class Outbox: Sendable {
        let sent = Mutex<[(alerts: [Alert], expr: String)]>([])
        func environment(_ db: DB) -> RuleEnvironment {
            var env = RuleEnvironment(db: db)
            env.externalLabels = Labels(["cluster": "eu1"])
            env.notify = { alerts, expr in self.sent.withLock { $0.append((alerts, expr)) } }
            return env
        }
        func take() -> [Alert] { sent.withLock { s in defer { s = [] }; return s.flatMap(\.alerts) } }
    }

    @Test("recording rules store their result under the rule's name with its labels; vanished series get a staleness marker")
    func recording() throws {
        let tmp = TempDir("rules-record")
        let db = try Self.database(tmp, [
            "http_requests_total{job=\"api\",instance=\"a\"}": "0+60x30",
            "http_requests_total{job=\"api\",instance=\"b\"}": "0+120x30",
            "http_requests_total{job=\"web\",instance=\"c\"}": "0+30x10",
        ])
        defer { try? db.close(); withExtendedLifetime(tmp) {} }
        let g = try Self.group("""
            groups:
              - name: rec
                labels: {team: infra, tier: x}
                rules:
                  - record: job:http_requests:rate5m
                    expr: sum by (job) (rate(http_requests_total[5m]))
                    labels: {tier: backend}
            """)
        let env = RuleEnvironment(db: db)
        g.evaluate(at: 10 * Self.minute, env: env)
        #expect(try Self.values(db, "job:http_requests:rate5m", at: 10 * Self.minute) == [
            "job:http_requests:rate5m{job=\"api\", team=\"infra\", tier=\"backend\"}": 3,
            "job:http_requests:rate5m{job=\"web\", team=\"infra\", tier=\"backend\"}": 0.5,
        ])
        #expect(g.rules[0].health.status == .ok && g.rules[0].health.lastError == nil)
        // web's counter ends at minute 9: by minute 16 its rate is gone, and so is the recorded series
        // (a staleness marker, not five minutes of lookback).
        g.evaluate(at: 16 * Self.minute, env: env)
        #expect(try Self.values(db, "job:http_requests:rate5m", at: 16 * Self.minute + 1000).keys.sorted() == [
            "job:http_requests:rate5m{job=\"api\", team=\"infra\", tier=\"backend\"}",
        ])
        let stored = try db.querier(mint: 0, maxt: .max).select([.equal("job", "web"), .equal("__name__", "job:http_requests:rate5m")])
        #expect(try stored.first?.samples().last.map { StaleNaN.isStale($0.v) } == true)
    }

    @Test("errors, duplicate label sets and limits make the rule's health bad and store nothing of it")
    func failures() throws {
        let tmp = TempDir("rules-fail")
        let db = try Self.database(tmp, ["x{a=\"1\"}": "1x20", "x{a=\"2\"}": "2x20", "x{a=\"3\"}": "3x20"])
        defer { try? db.close(); withExtendedLifetime(tmp) {} }
        let g = try Self.group("""
            groups:
              - name: bad
                limit: 2
                rules:
                  - record: too_many
                    expr: x
                  - record: range
                    expr: x[5m]
                  - record: clash
                    expr: x
                    labels: {a: same}
                  - record: fine
                    expr: count(x)
                  - record: scalar
                    expr: scalar(sum(x))
            """)
        g.evaluate(at: 5 * Self.minute, env: RuleEnvironment(db: db))
        let health = g.rules.map(\.health)
        #expect(health.map(\.status) == [.err, .err, .err, .ok, .ok])
        #expect(health[0].lastError == "exceeded limit of 2 with 3 series")
        #expect(health[1].lastError == "rule result is not a vector or scalar")
        #expect(health[2].lastError == "vector contains metrics with the same labelset after applying rule labels")
        #expect(try Self.values(db, "too_many", at: 5 * Self.minute).isEmpty)
        #expect(try Self.values(db, "fine", at: 5 * Self.minute) == ["fine": 3])
        #expect(try Self.values(db, "scalar", at: 5 * Self.minute) == ["scalar": 6])
    }

    @Test("an alert is pending, fires after `for`, resolves, and is sent while firing and once resolved")
    func alertLifecycle() throws {
        let tmp = TempDir("rules-alert")
        // Errors: none for 10 minutes, then 3 a minute (4.8 % of requests) until minute 50, then none.
        let db = try Self.database(tmp, [
            "http_requests_total{service=\"api\",status=\"500\"}": "0x9 0+3x40 120x20",
            "http_requests_total{service=\"api\",status=\"200\"}": "0+60x70",
        ])
        defer { try? db.close(); withExtendedLifetime(tmp) {} }
        let g = try Self.group("""
            groups:
              - name: my_alerts
                interval: 1m
                rules:
                  - alert: HighErrorRate
                    expr: sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.04
                    for: 5m
                    labels:
                      severity: critical
                    annotations:
                      summary: "High error rate on {{ $labels.service }}"
                      description: "{{ $labels.service }} is at {{ $value | humanizePercentage }} in {{ $externalLabels.cluster }}"
            """)
        let outbox = Outbox()
        let env = outbox.environment(db)
        let rule = try #require(g.rules[0] as? AlertingRule)
        func at(_ minute: Int64) -> (state: AlertState?, alerts: [Alert]) {
            g.evaluate(at: minute * Self.minute, env: env)
            return (rule.alerts.first?.state, outbox.take())
        }
        #expect(at(10).state == nil)
        #expect(at(14).state == nil)  // 3.8 %
        let pending = at(15)
        #expect(pending.state == .pending && pending.alerts.isEmpty)
        #expect(rule.alerts.first?.activeAt == 15 * Self.minute)
        #expect(at(19).state == .pending)
        let firing = at(20)
        #expect(firing.state == .firing)
        let sent = try #require(firing.alerts.first)
        #expect(sent.labels == Labels(["alertname": "HighErrorRate", "service": "api", "severity": "critical"]))
        #expect(sent.annotations == [Label("summary", "High error rate on api"), Label("description", "api is at 4.762% in eu1")])
        #expect(sent.firedAt == 20 * Self.minute && sent.validUntil == 20 * Self.minute + 4 * env.resendDelay)
        // ALERTS and ALERTS_FOR_STATE as Prometheus writes them.
        #expect(try Self.values(db, "ALERTS", at: 20 * Self.minute) == [
            "ALERTS{alertname=\"HighErrorRate\", alertstate=\"firing\", service=\"api\", severity=\"critical\"}": 1,
        ])
        #expect(try Self.values(db, "ALERTS_FOR_STATE", at: 20 * Self.minute).values.first == Double(15 * 60))
        #expect(try Self.values(db, "ALERTS{alertstate=\"pending\"}", at: 19 * Self.minute).count == 1)
        // Not re-sent within the resend delay (1m); sent again after it.
        #expect(at(21).alerts.isEmpty)
        #expect(at(22).alerts.count == 1)
        // The errors stop at minute 50; at 51 the rate is below the threshold: resolved, and sent once more.
        for minute in Int64(23)...50 { #expect(at(minute).state == .firing) }
        let resolved = at(51)
        #expect(resolved.state == .inactive)
        #expect(resolved.alerts.first?.resolvedAt == 51 * Self.minute, "sent once resolved, with endsAt = resolution")
        #expect(try Self.values(db, "ALERTS", at: 51 * Self.minute).isEmpty, "ALERTS ends with a staleness marker")
        // Kept (and reported resolved) for 15 minutes, then forgotten.
        #expect(at(61).state == .inactive)
        #expect(at(67).state == nil)
    }

    @Test("keep_firing_for keeps an alert firing after its condition stops; a pending alert that stops is dropped")
    func keepFiringFor() throws {
        let tmp = TempDir("rules-keep")
        let db = try Self.database(tmp, ["up{job=\"a\"}": "1x5 0x4 1x20", "up{job=\"b\"}": "1x2 0x2 1x20"])
        defer { try? db.close(); withExtendedLifetime(tmp) {} }
        let g = try Self.group("""
            groups:
              - name: keep
                rules:
                  - alert: Down
                    expr: up == 0
                    keep_firing_for: 3m
                  - alert: DownLong
                    expr: up == 0
                    for: 10m
            """)
        let env = RuleEnvironment(db: db)
        let down = try #require(g.rules[0] as? AlertingRule), long = try #require(g.rules[1] as? AlertingRule)
        func states(_ minute: Int64) -> [String] {
            g.evaluate(at: minute * Self.minute, env: env)
            return down.alerts.map { "\($0.labels["job"]):\($0.state.rawValue)" }
        }
        #expect(states(6) == ["a:firing"])
        #expect(long.alerts.map(\.state) == [.pending])
        #expect(states(10) == ["a:firing"])
        #expect(states(11) == ["a:firing"])  // up again at minute 11: kept firing
        #expect(down.alerts.first?.keepFiringSince == 11 * Self.minute)
        #expect(long.alerts.isEmpty, "a pending alert whose condition stops is dropped at once")
        #expect(states(13) == ["a:firing"])
        #expect(states(14) == ["a:inactive"])  // 3 minutes after the condition stopped
    }

    @Test("templates render per alert; a label template with the value; limits on alerts")
    func templatesAndLimits() throws {
        let tmp = TempDir("rules-tmpl")
        let db = try Self.database(tmp, ["disk_free{dev=\"sda\"}": "0.05x10", "disk_free{dev=\"sdb\"}": "0.02x10"])
        defer { try? db.close(); withExtendedLifetime(tmp) {} }
        let g = try Self.group("""
            groups:
              - name: t
                rules:
                  - alert: DiskFull
                    expr: disk_free < 0.1
                    labels: {severity: "{{ if lt $value 0.03 }}page{{ else }}ticket{{ end }}"}
                    annotations:
                      text: "{{ $labels.dev }} {{ $value | humanizePercentage }} of {{ query \\"count(disk_free)\\" | first | value }}"
              - name: limited
            """)
        g.evaluate(at: 5 * Self.minute, env: RuleEnvironment(db: db))
        let alerts = (g.rules[0] as! AlertingRule).alerts
        #expect(alerts.map { $0.labels["severity"] } == ["ticket", "page"])
        #expect(alerts.map { $0.annotations[0].value } == ["sda 5% of 2", "sdb 2% of 2"])

        let limited = try Self.group("""
            groups:
              - name: limited
                limit: 1
                rules:
                  - alert: DiskFull
                    expr: disk_free < 0.1
            """)
        limited.evaluate(at: 5 * Self.minute, env: RuleEnvironment(db: db))
        #expect(limited.rules[0].health.lastError == "exceeded limit of 1 with 2 alerts")
        #expect((limited.rules[0] as! AlertingRule).alerts.isEmpty)
    }

    @Test("a firing alert with for: 10m keeps its active-since time across a restart (ALERTS_FOR_STATE)")
    func restoreAfterRestart() throws {
        let tmp = TempDir("rules-restore")
        let yaml = """
            groups:
              - name: restart
                rules:
                  - alert: Down
                    expr: up == 0
                    for: 10m
                  - alert: DownPending
                    expr: up == 0
                    for: 30m
            """
        var db = try Self.database(tmp, ["up{job=\"a\"}": "0x30"])
        var g = try Self.group(yaml)
        for minute in Int64(5)...20 { g.evaluate(at: minute * Self.minute, env: RuleEnvironment(db: db)) }
        let before = try #require((g.rules[0] as? AlertingRule)?.alerts.first)
        #expect(before.state == .firing && before.activeAt == 5 * Self.minute)
        try db.close()

        // The server is down for 3 minutes; a new one opens the same data and restores.
        var o = DBOptions()
        o.compactionInterval = nil
        db = try DB.open(tmp.path, options: o)
        defer { try? db.close(); withExtendedLifetime(tmp) {} }
        g = try Self.group(yaml, restoring: true)
        let env = RuleEnvironment(db: db)
        g.evaluate(at: 23 * Self.minute, env: env)
        #expect(try Self.values(db, "ALERTS_FOR_STATE", at: 23 * Self.minute).values.first == Double(5 * 60),
                "nothing is written before the state is restored")
        g.restoreForState(at: 23 * Self.minute, env: env)
        g.evaluate(at: 24 * Self.minute, env: env)
        let after = try #require((g.rules[0] as? AlertingRule)?.alerts.first)
        #expect(after.activeAt == 5 * Self.minute && after.state == .firing)
        // The pending one (16 of its 30 minutes done) resumes: the 3 minutes of outage do not count.
        let pending = try #require((g.rules[1] as? AlertingRule)?.alerts.first)
        #expect(pending.state == .pending && pending.activeAt == 5 * Self.minute + 3 * Self.minute)
    }

    @Test("evaluation times are aligned to the interval with a stable per-group offset")
    func alignment() throws {
        let g = try Self.group("groups:\n  - name: a\n    interval: 10s\n    rules:\n      - record: x\n        expr: vector(1)\n")
        let t0 = g.evaluationTime(atOrAfter: 1_700_000_000_000)
        let offset = t0 % 10_000
        for now in stride(from: Int64(1_700_000_000_001), to: 1_700_000_100_000, by: 3_333) {
            let t = g.evaluationTime(atOrAfter: now)
            #expect(t >= now && t - now < 10_000 && t % 10_000 == offset)
        }
    }
}
