import Foundation
import Hummingbird
import HummingbirdTesting
import Ingest
import PromQL
import Rules
@testable import Server
import Testing
import TSDB

/// `/api/v1/rules` and `/api/v1/alerts` over evaluated rules: Prometheus'
/// shapes, and the `type`, `rule_name[]`, `rule_group[]`, `file[]`,
/// `exclude_alerts` and `match[]` filters.
@Suite("HTTP API: rules and alerts")
struct RulesAPITests {
    static let rules = """
        groups:
          - name: recs
            interval: 30s
            rules:
              - record: job:up:sum
                expr: sum by (job) (up)
          - name: alerts
            limit: 10
            rules:
              - alert: InstanceDown
                expr: up == 0
                for: 5m
                labels: {severity: page}
                annotations: {summary: "{{ $labels.instance }} down"}
              - alert: Broken
                expr: up[5m]
        """

    @Test func rulesAndAlerts() async throws {
        let dir = NSTemporaryDirectory() + "/rules-api-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DBOptions()
        o.compactionInterval = nil
        let db = try DB.open(dir, options: o)
        defer { try? db.close() }
        let app0 = db.appender()
        for t in stride(from: Int64(0), through: 600_000, by: 60_000) {
            try app0.append(Labels(["__name__": "up", "job": "node", "instance": "a"]), t, 0)
            try app0.append(Labels(["__name__": "up", "job": "node", "instance": "b"]), t, 1)
        }
        try app0.commit()

        let file = try RuleFile.parse(Self.rules, file: "/etc/rules/a.yml")
        let manager = RuleManager(environment: RuleEnvironment(db: db))
        manager.apply([file], config: PrometheusConfig(), schedule: false)
        for minute in Int64(5)...7 {
            for g in manager.groups { g.evaluate(at: minute * 60_000, env: manager.environment) }
        }
        let server = APIServer(db: db)
        server.slot.rules = manager
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            func get(_ uri: String) async throws -> [String: Any] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri)")
                    return (try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])?["data"] as? [String: Any] ?? [:]
                }
            }
            func groups(_ uri: String) async throws -> [[String: Any]] { try await get(uri)["groups"] as? [[String: Any]] ?? [] }
            func ruleNames(_ uri: String) async throws -> [String] {
                try await groups(uri).flatMap { ($0["rules"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
            }

            let all = try await groups("/api/v1/rules")
            #expect(all.map { $0["name"] as? String } == ["recs", "alerts"])
            #expect(all[0]["file"] as? String == "/etc/rules/a.yml" && all[0]["interval"] as? Double == 30 && all[1]["interval"] as? Double == 60)
            #expect(all[1]["limit"] as? Int == 10 && (all[0]["lastEvaluation"] as? String)?.hasPrefix("20") == true)
            let rules = all.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
            #expect(rules.map { $0["type"] as? String } == ["recording", "alerting", "alerting"])
            #expect(rules.map { $0["health"] as? String } == ["ok", "ok", "err"])
            #expect(rules[2]["lastError"] as? String == "rule result is not a vector or scalar")
            #expect(rules[0]["lastError"] == nil && rules[0]["query"] as? String == "sum by (job) (up)")
            let down = rules[1]
            #expect(down["state"] as? String == "pending" && down["duration"] as? Double == 300 && down["keepFiringFor"] as? Double == 0)
            #expect(down["labels"] as? [String: String] == ["severity": "page"])
            #expect(down["annotations"] as? [String: String] == ["summary": "{{ $labels.instance }} down"])
            let alert = try #require((down["alerts"] as? [[String: Any]])?.first)
            #expect(alert["labels"] as? [String: String] == ["alertname": "InstanceDown", "instance": "a", "job": "node", "severity": "page"])
            #expect(alert["annotations"] as? [String: String] == ["summary": "a down"])
            #expect(alert["state"] as? String == "pending" && alert["value"] as? String == "0e+00")
            #expect(alert["activeAt"] as? String == "1970-01-01T00:05:00.000Z")

            // Filters.
            #expect(try await ruleNames("/api/v1/rules?type=record") == ["job:up:sum"])
            #expect(try await ruleNames("/api/v1/rules?type=alert") == ["InstanceDown", "Broken"])
            #expect(try await ruleNames("/api/v1/rules?rule_name[]=Broken&rule_name[]=job:up:sum") == ["job:up:sum", "Broken"])
            #expect(try await groups("/api/v1/rules?rule_group[]=alerts").map { $0["name"] as? String } == ["alerts"])
            #expect(try await groups("/api/v1/rules?group_name[]=recs").map { $0["name"] as? String } == ["recs"])
            #expect(try await groups("/api/v1/rules?file[]=/other.yml").isEmpty)
            #expect(try await ruleNames("/api/v1/rules?match[]=%7Bseverity%3D%22page%22%7D") == ["InstanceDown"])
            let excluded = try await groups("/api/v1/rules?exclude_alerts=true&type=alert")
            #expect((excluded.first?["rules"] as? [[String: Any]])?.first?["alerts"] == nil)
            try await client.execute(uri: "/api/v1/rules?type=nope", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains(#""errorType":"bad_data""#))
            }

            // /api/v1/alerts: the active alerts of every rule.
            let alerts = try await get("/api/v1/alerts")["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.map { ($0["labels"] as? [String: String])?["instance"] } == ["a"])
            #expect(alerts.first?["state"] as? String == "pending")
        }
    }
}
