import Foundation
import Ingest
@testable import Rules
import Synchronization
import Testing
import TSDB

/// The notifier's queue and what it makes of an alert, without a network:
/// external labels added, `alert_relabel_configs` applied (a dropped alert
/// is not queued), the oldest alerts dropped and counted beyond the capacity.
@Suite("Notifier")
struct NotifierTests {
    static let config = """
        global: {external_labels: {cluster: eu1, severity: none}}
        alerting:
          alert_relabel_configs:
            - {source_labels: [team], regex: ignore, action: drop}
            - {target_label: relabelled, replacement: "yes"}
          alertmanagers:
            - static_configs: [{targets: ["127.0.0.1:1"]}]
              path_prefix: /am/
        """

    static func alert(_ name: String, team: String = "db") -> Alert {
        var a = Alert(labels: Labels(["alertname": name, "team": team, "severity": "page"]), annotations: [Label("summary", "s")],
                      state: .firing, value: 1, activeAt: 1_700_000_000_000)
        a.firedAt = 1_700_000_060_000
        a.validUntil = 1_700_000_300_000
        return a
    }

    @Test func queueRelabellingAndDrops() throws {
        let dropped = Mutex(0)
        var options = Notifier.Options()
        options.capacity = 2
        let notifier = Notifier(options: options) { event in
            if case .dropped(let n) = event { dropped.withLock { $0 += n } }
        }
        let config = try PrometheusConfig.parse(Self.config, file: "p.yml")
        #expect(config.alerting.alertmanagers.first?.alertsURLs == ["http://127.0.0.1:1/am/api/v2/alerts"])
        notifier.apply(config)

        notifier.send([Self.alert("A"), Self.alert("Ignored", team: "ignore")], expr: "up == 0", externalURL: "http://tsql:9090")
        #expect(notifier.queueLength == 1, "the relabelling dropped one")
        let queued = try #require(notifier.queuedForTests.first)
        #expect(queued.labels == ["alertname": "A", "team": "db", "severity": "page", "cluster": "eu1", "relabelled": "yes"],
                "external labels fill in, never override")
        #expect(queued.startsAt == "2023-11-14T22:14:20.000Z" && queued.endsAt == "2023-11-14T22:18:20.000Z")
        #expect(queued.generatorURL == "http://tsql:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1")

        notifier.send([Self.alert("B"), Self.alert("C"), Self.alert("D")], expr: "x", externalURL: "")
        #expect(notifier.queueLength == 2 && dropped.withLock { $0 } == 2)
        #expect(notifier.queuedForTests.map { $0.labels["alertname"] } == ["C", "D"], "the oldest go first")
    }
}
