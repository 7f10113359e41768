import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TSDBTestSupport

/// `tsql serve` with a rule file and Debian's real Alertmanager (started here,
/// on 127.0.0.1): the alert fires and Alertmanager shows it with its rendered
/// annotations and the external labels; when the condition ends, the resolved
/// notification makes it disappear from Alertmanager long before the `endsAt`
/// of the firing notifications (4 minutes) would have. The condition is a
/// switch series the test imports (1, later 0), so a slow start of either
/// server cannot make the alert miss its window.
@Suite("Alertmanager (real)", .serialized)
struct AlertmanagerTests {
    @Test func firesAndResolvesInAlertmanager() async throws {
        guard let alertmanager = RealClientTests.which("prometheus-alertmanager"), let tsql = RealClientTests.tsqlBinary else {
            Issue.record("SKIPPED: needs prometheus-alertmanager (scripts/setup.sh installs it) and a built tsql")
            return
        }
        let dir = NSTemporaryDirectory() + "/alerting-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = freeLocalPorts(2)
        let (amPort, ourPort) = (ports[0], ports[1])
        let am = "http://127.0.0.1:\(amPort)"

        try """
            route: {receiver: nowhere, group_wait: 1s}
            receivers: [{name: nowhere}]
            """.write(toFile: dir + "/alertmanager.yml", atomically: true, encoding: .utf8)
        try """
            global:
              evaluation_interval: 1s
              external_labels: {cluster: eu1}
            rule_files: ["rules/*.yml"]
            alerting:
              alertmanagers:
                - static_configs: [{targets: ["127.0.0.1:\(amPort)"]}]
                  timeout: 5s
            """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        // Firing while the imported `interop_switch` is 1.
        try """
            groups:
              - name: interop
                rules:
                  - alert: InteropTest
                    expr: label_replace(vector(time()), "service", "api", "", "") and on() (interop_switch == 1)
                    labels: {severity: page}
                    annotations:
                      summary: "{{ $labels.service }} alert in {{ $externalLabels.cluster }}"
                      started: "{{ $value | humanizeTimestamp }}"
            """.write(toFile: dir + "/rules/interop.yml", atomically: true, encoding: .utf8)

        try await withChildProcesses { children in
            try children.start(alertmanager, [
                "--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/am", "--web.listen-address=127.0.0.1:\(amPort)",
                "--cluster.listen-address=",
            ], log: dir + "/alertmanager.log")
            try children.start(tsql, ["serve", "--no-shell", "--config.file", dir + "/prometheus.yml", "--data", dir + "/data",
                                      "--web.listen-address", "127.0.0.1:\(ourPort)"], log: dir + "/tsql.log")
            try await RealClientTests.waitUntilReady(am + "/-/ready", log: dir + "/alertmanager.log")
            try await RealClientTests.waitUntilReady("http://127.0.0.1:\(ourPort)/-/ready", log: dir + "/tsql.log")

            // Firing: Alertmanager has it, with what the templates rendered.
            try await Self.setSwitch(1, ours: "http://127.0.0.1:\(ourPort)")
            let firing = try await Self.poll(am, seconds: 30) { !$0.isEmpty }
            let alert = try #require(firing.first)
            let labels = alert["labels"] as? [String: String] ?? [:]
            let annotations = alert["annotations"] as? [String: String] ?? [:]
            #expect(labels == ["alertname": "InteropTest", "service": "api", "severity": "page", "cluster": "eu1"], "\(alert)")
            #expect(annotations["summary"] == "api alert in eu1", "\(alert)")
            #expect(annotations["started"]?.hasPrefix("20") == true && annotations["started"]?.hasSuffix(" +0000 UTC") == true, "\(alert)")
            #expect((alert["generatorURL"] as? String)?.hasPrefix("http://127.0.0.1:\(ourPort)/graph?g0.expr=label_replace%28vector%28time%28%29%29") == true,
                    "\(alert)")
            #expect((alert["status"] as? [String: Any])?["state"] as? String == "active", "\(alert)")
            // endsAt of a firing alert: 4 × the resend delay (1m) ahead.
            let endsAt = try #require(Self.date(alert["endsAt"] as? String))
            #expect(endsAt.timeIntervalSinceNow > 150, "\(alert)")

            // Resolved: the resolved notification ends it in Alertmanager at once
            // (well within the 4 minutes the firing notification's endsAt allows).
            try await Self.setSwitch(0, ours: "http://127.0.0.1:\(ourPort)")
            let after = try await Self.poll(am, seconds: 30) { $0.isEmpty }
            #expect(after.isEmpty, "Alertmanager still shows the alert after it resolved: \(after)")

            // Our own view agrees: the alert is gone from /api/v1/alerts, and /metrics counted the notifications.
            let (ours, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(ourPort)/api/v1/alerts")!)
            #expect(String(decoding: ours, as: UTF8.self) == #"{"status":"success","data":{"alerts":[]}}"#)
            let (metrics, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(ourPort)/metrics")!)
            let text = String(decoding: metrics, as: UTF8.self)
            #expect(text.contains("prometheus_notifications_sent_total{alertmanager=\"\(am)/api/v2/alerts\"}"), "\(text)")
            #expect(!text.contains("prometheus_notifications_errors_total{"), "\(text)")
        }
    }

    /// Stores `interop_switch <value>` at the time of the request.
    static func setSwitch(_ value: Int, ours: String) async throws {
        var request = URLRequest(url: URL(string: ours + "/api/v1/import/prometheus")!)
        request.httpMethod = "POST"
        request.httpBody = Data("interop_switch \(value)\n".utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        try #require((response as? HTTPURLResponse)?.statusCode == 204)
    }

    /// Polls Alertmanager's `GET /api/v2/alerts` until `done` holds (or time is up); returns the last answer.
    static func poll(_ am: String, seconds: Double, until done: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [[String: Any]] = []
        while Date() < deadline {
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: am + "/api/v2/alerts")!),
               let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] {
                last = list
                if done(list) { return list }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return last
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
