import Foundation
import Ingest
import PromQL
@testable import Rules
import Testing
import TSDB
import TSDBTestSupport

@Suite("Rule files")
struct RuleFileTests {
    static let example = """
        groups:
          - name: my_alerts
            interval: 10s
            rules:
              - record: job:http_requests:rate5m
                expr: sum by (job) (rate(http_requests_total[5m]))
              - alert: HighErrorRate
                expr: sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.05
                for: 5m
                labels:
                  severity: critical
                annotations:
                  summary: "High error rate on {{ $labels.service }}"
                  description: "{{ $labels.service }} is at {{ $value | humanizePercentage }}"
          - name: other
            limit: 100
            query_offset: 1m
            labels: {team: db}
            rules:
              - alert: Down
                expr: up == 0
                keep_firing_for: 2m
        """

    @Test("an expression of the wrong type loads, as in Prometheus (its evaluations report the error)")
    func wrongTypeLoads() throws {
        let f = try RuleFile.parse("groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: rate(up[5m])[10m:1m]\n", file: "f.yml")
        #expect(f.groups[0].rules[0].expr.type == .matrix)
    }

    @Test("the issue's example: groups, intervals, limits, offsets, labels, record and alert rules")
    func example() throws {
        let f = try RuleFile.parse(Self.example, file: "rules.yml")
        #expect(f.groups.map(\.name) == ["my_alerts", "other"])
        let g = f.groups[0]
        #expect(g.interval == 10_000 && g.limit == 0 && g.queryOffset == nil)
        #expect(g.rules.map(\.kind) == [.recording("job:http_requests:rate5m"), .alerting("HighErrorRate")])
        let alert = g.rules[1]
        #expect(alert.forDuration == 300_000 && alert.line == 7)
        #expect(alert.labels == [Label("severity", "critical")])
        #expect(alert.annotations.map(\.name) == ["summary", "description"])
        #expect(alert.annotations[0].value == "High error rate on {{ $labels.service }}")
        #expect(g.rules[0].expr.description == "sum by (job) (rate(http_requests_total[5m]))")
        let other = f.groups[1]
        #expect(other.limit == 100 && other.queryOffset == 60_000 && other.labels == [Label("team", "db")] && other.interval == nil)
        #expect(other.rules[0].keepFiringFor == 120_000)
    }

    /// Broken files and the error each must give: the place, and Prometheus' wording.
    static let broken: [(String, String)] = [
        ("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(\n",
         "f.yml:5:19: group \"g\", rule 1, \"x\": could not parse expression: unexpected end of input"),
        ("groups:\n  - name: g\n    rules:\n      - expr: up\n", "f.yml:4:9: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n        expr: up\n",
         "f.yml:4:9: group \"g\", rule 1, \"a\": only one of 'record' and 'alert' must be set"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n", "f.yml:4:9: group \"g\", rule 1, \"a\": field 'expr' must be set in rule"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        for: 5m\n",
         "f.yml:4:9: group \"g\", rule 1, \"a\": invalid field 'for' in recording rule"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        annotations: {x: y}\n",
         "f.yml:4:9: group \"g\", rule 1, \"a\": invalid field 'annotations' in recording rule"),
        ("groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: up\n        labels: {\"bad-name\": x}\n",
         "f.yml:6:17: invalid label name: bad-name"),
        ("groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n", "f.yml:4:5: groupname: \"g\" is repeated in the same file"),
        ("groups:\n  - name: \"\"\n    rules: []\n", "f.yml:2:5: Groupname must not be empty"),
        ("groups:\n  - name: g\n    rulez: []\n", "f.yml:3:5: field rulez not found in a rule group"),
        ("groups:\n  - name: g\n    interval: 5 minutes\n    rules: []\n", "f.yml:3:15: not a valid duration string: \"5 minutes\" (interval)"),
        ("groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: up\n        annotations:\n          summary: \"{{ $labels.x \"\n",
         "f.yml:4:9: group \"g\", rule 1, \"a\": annotation summary: template: unclosed action"),
        ("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: |\n          sum(\n            rate(up[5m]}\n          )\n",
         "f.yml:7:24: group \"g\", rule 1, \"a\": could not parse expression"),
    ]

    @Test("broken files: an error with file, line and column, and what is wrong")
    func brokenFiles() {
        for (text, expected) in Self.broken {
            #expect { try RuleFile.parse(text, file: "f.yml") } throws: { error in
                "\(error)".hasPrefix(expected) || { Issue.record("got \(error)\nwanted \(expected)"); return true }()
            }
        }
    }

    /// Debian's promtool (installed by scripts/setup.sh) must agree on which files are valid.
    @Test("promtool check rules agrees on every file above")
    func agreesWithPromtool() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else {
            Issue.record("promtool is not installed; scripts/setup.sh installs it (Debian's prometheus package)")
            return
        }
        let dir = NSTemporaryDirectory() + "/rules-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Debian's promtool is 2.42, before `query_offset`, `keep_firing_for` and group
        // `labels` (Prometheus 3): its copy of the example goes without them.
        let example242 = Self.example.split(separator: "\n")
            .filter { !$0.contains("query_offset") && !$0.contains("keep_firing_for") && !$0.contains("labels: {team") }
            .joined(separator: "\n")
        let cases = [(example242, true)] + Self.broken.map { ($0.0, false) }
        for (i, (text, valid)) in cases.enumerated() {
            let path = "\(dir)/\(i).yml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let promtool = try await runProcess("/usr/bin/promtool", ["check", "rules", path])
            #expect((promtool.status == 0) == valid, "promtool on case \(i):\n\(text)\n\(promtool.output)")
            let ours = (try? RuleFile.load(path)) != nil
            #expect(ours == valid, "ours on case \(i):\n\(text)")
        }
    }
}
