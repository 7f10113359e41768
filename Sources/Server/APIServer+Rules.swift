import Foundation
import Hummingbird
import PromQL
import Rules
import TSDB

/// `/api/v1/rules` and `/api/v1/alerts`, in Prometheus' shapes (web/api/v1/api.go).
extension APIServer {
    func rules(_ request: Request) -> Response {
        do { return try rules(Parameters(query: request.uri.query, body: nil)) } catch { return Self.failure(error) }
    }

    func rules(_ p: Parameters) throws(APIError) -> Response {
        let type = p["type"]?.lowercased() ?? ""
        guard ["", "alert", "record"].contains(type) else {
            throw APIError.badData("invalid query parameter type='\(type)'")
        }
        let names = Set(p.all("rule_name[]")), files = Set(p.all("file[]"))
        // Prometheus calls it rule_group[]; group_name[] is accepted too.
        let groupNames = Set(p.all("rule_group[]") + p.all("group_name[]"))
        let excludeAlerts = ["true", "1"].contains(p["exclude_alerts"]?.lowercased() ?? "")
        let matcherSets = try self.matcherSets(p)

        var groups: [JSONValue] = []
        for g in slot.rules?.groups ?? [] {
            if !groupNames.isEmpty && !groupNames.contains(g.group.name) { continue }
            if !files.isEmpty && !files.contains(g.group.file) { continue }
            var rules: [JSONValue] = []
            for r in g.rules {
                if !names.isEmpty && !names.contains(r.rule.name) { continue }
                if !matcherSets.isEmpty {
                    let labels = Labels(r.rule.labels + [Label(Labels.metricName, r.rule.name)])
                    guard matcherSets.contains(where: { set in set.allSatisfy { $0.matches(labels[$0.name]) } }) else { continue }
                }
                let health = r.health
                var fields: [(String, JSONValue)]
                if let alerting = r as? AlertingRule {
                    if type == "record" { continue }
                    fields = [
                        ("state", .string(alerting.alertState.rawValue)), ("name", .string(r.rule.name)),
                        ("query", .string(r.rule.expr.description)),
                        ("duration", .number(Double(r.rule.forDuration) / 1000)),
                        ("keepFiringFor", .number(Double(r.rule.keepFiringFor) / 1000)),
                        ("labels", Self.labelsJSON(r.rule.labels)), ("annotations", Self.labelsJSON(r.rule.annotations)),
                    ]
                    if !excludeAlerts { fields.append(("alerts", .array(alerting.alerts.filter { $0.state != .inactive }.map(Self.alertJSON)))) }
                } else {
                    if type == "alert" { continue }
                    fields = [("name", .string(r.rule.name)), ("query", .string(r.rule.expr.description))]
                    if !r.rule.labels.isEmpty { fields.append(("labels", Self.labelsJSON(r.rule.labels))) }
                }
                fields.append(("health", .string(health.status.rawValue)))
                if let error = health.lastError { fields.append(("lastError", .string(error))) }
                fields += [
                    ("evaluationTime", .number(health.evaluationSeconds)),
                    ("lastEvaluation", .string(Self.time(health.lastEvaluation))),
                    ("type", .string(r is AlertingRule ? "alerting" : "recording")),
                ]
                rules.append(.object(fields))
            }
            // A group whose rules were all filtered out is left out, as Prometheus does when filtering.
            if rules.isEmpty && (!names.isEmpty || !type.isEmpty || !matcherSets.isEmpty) { continue }
            groups.append(.object([
                ("name", .string(g.group.name)), ("file", .string(g.group.file)), ("rules", .array(rules)),
                ("interval", .number(Double(g.interval) / 1000)), ("limit", .int(Int64(g.group.limit))),
                ("evaluationTime", .number(g.evaluationSeconds)), ("lastEvaluation", .string(Self.time(g.lastEvaluation))),
            ]))
        }
        return Self.json(PrometheusJSON.success(.object([("groups", .array(groups))])))
    }

    func alerts() -> Response {
        var alerts: [JSONValue] = []
        for g in slot.rules?.groups ?? [] {
            for case let rule as AlertingRule in g.rules {
                alerts += rule.alerts.filter { $0.state != .inactive }.map(Self.alertJSON)
            }
        }
        return Self.json(PrometheusJSON.success(.object([("alerts", .array(alerts))])))
    }

    static func alertJSON(_ a: Alert) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("labels", labelsJSON(a.labels.pairs)), ("annotations", labelsJSON(a.annotations)),
            ("state", .string(a.state.rawValue)), ("activeAt", .string(time(a.activeAt))),
        ]
        if let since = a.keepFiringSince { fields.append(("keepFiringSince", .string(time(since)))) }
        fields.append(("value", .string(GoFormat.formatFloat(a.value, .exponent))))
        return .object(fields)
    }

    /// Labels as a JSON object, sorted by name as Prometheus' labels are.
    static func labelsJSON(_ pairs: [Label]) -> JSONValue {
        .object(pairs.sorted { $0.name < $1.name }.map { ($0.name, .string($0.value)) })
    }

    /// RFC 3339 of a time in ms; Go's zero time when there is none.
    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "0001-01-01T00:00:00Z" }
        return rfc3339(Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
