import Foundation
import Hummingbird
import Ingest
import TSDB

/// `/api/v1/targets` from the scraper, in Prometheus' shape: active targets
/// with their discovered and final labels, scrape URL, health, last error,
/// last scrape time and duration; dropped targets; `state` and `scrapePool` filters.
extension APIServer {
    func targets(_ request: Request) async throws -> Response {
        let p = Parameters(query: request.uri.query, body: nil)
        let state = p["state"].flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "any"
        let pool = p["scrapePool"].flatMap { $0.isEmpty ? nil : $0 }
        var (active, dropped): ([ScrapeManager.ActiveTarget], [String: [Labels]]) = ([], [:])
        if let scraper = slot.scraper { (active, dropped) = await scraper.targets() }
        if let pool {
            active = active.filter { $0.job == pool }
            dropped = dropped.filter { $0.key == pool }
        }
        func labels(_ l: Labels) -> JSONValue { .object(l.pairs.map { ($0.name, .string($0.value)) }) }
        let activeJSON: [JSONValue] = state == "dropped" ? [] : active.map { a in
            .object([
                ("discoveredLabels", labels(a.target.discoveredLabels)),
                ("labels", labels(a.target.publicLabels)),
                ("scrapePool", .string(a.job)),
                ("scrapeUrl", .string(a.target.url)),
                ("globalUrl", .string(a.target.url)),
                ("lastError", .string(a.status.lastError)),
                ("lastScrape", .string(a.status.lastScrape.map(Self.rfc3339) ?? "0001-01-01T00:00:00Z")),
                ("lastScrapeDuration", .number(a.status.lastScrapeDuration)),
                ("health", .string(a.status.health)),
                ("scrapeInterval", .string(DurationFormat.format(a.target.interval))),
                ("scrapeTimeout", .string(DurationFormat.format(a.target.timeout))),
            ])
        }
        let droppedJSON: [JSONValue] = state == "active" ? [] : dropped.sorted { $0.key < $1.key }.flatMap { _, list in
            list.map { JSONValue.object([("discoveredLabels", labels($0))]) }
        }
        let counts = JSONValue.object(dropped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value.count))) })
        return Self.json(PrometheusJSON.success(.object([
            ("activeTargets", .array(activeJSON)), ("droppedTargets", .array(droppedJSON)), ("droppedTargetCounts", counts),
        ])))
    }
}
