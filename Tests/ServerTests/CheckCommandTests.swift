import Foundation
import Testing

/// `tsql check config` next to Debian's promtool on the same files: same verdicts, same report shape.
@Suite("tsql check config")
struct CheckCommandTests {
    @Test func verdictsMatchPromtool() async throws {
        guard let tsql = RealClientTests.tsqlBinary else {
            Issue.record("SKIPPED: needs a built tsql (scripts/test.sh builds it)")
            return
        }
        let dir = NSTemporaryDirectory() + "/check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: up == 0\n"
            .write(toFile: dir + "/rules/a.yml", atomically: true, encoding: .utf8)
        let config = dir + "/prometheus.yml"
        try "global:\n  scrape_interval: 15s\nrule_files:\n  - rules/*.yml\nscrape_configs:\n  - job_name: app\n    scrape_interval: 5s\n    scrape_timeout: 3s\n    static_configs:\n      - targets: [\"127.0.0.1:8080\"]\n        labels: {service: s, tier: t, node: n, port: \"8080\"}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let (ok, okOutput) = try await RealClientTests.runStatus(tsql, ["check", "config", config])
        #expect(ok == 0, "\(okOutput)")
        #expect(okOutput.contains("  SUCCESS: 1 rule files found\n SUCCESS: \(config) is valid prometheus config file syntax"), "\(okOutput)")
        #expect(okOutput.contains("rules/a.yml\n  SUCCESS: 2 rules found"), "\(okOutput)")
        try "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(\n".write(toFile: dir + "/rules/b.yml", atomically: true, encoding: .utf8)
        let (badRules, badRulesOutput) = try await RealClientTests.runStatus(tsql, ["check", "config", config])
        #expect(badRules == 1 && badRulesOutput.contains("rules/b.yml:5:19: group \"g\", rule 1, \"x\": could not parse expression"), "\(badRulesOutput)")
        // `tsql check rules` on the rule files directly: one valid, one not.
        let (rulesStatus, rulesOutput) = try await RealClientTests.runStatus(tsql, ["check", "rules", dir + "/rules/a.yml", dir + "/rules/b.yml"])
        #expect(rulesStatus == 1, "\(rulesOutput)")
        #expect(rulesOutput.contains("Checking \(dir)/rules/a.yml\n  SUCCESS: 2 rules found\n\nChecking \(dir)/rules/b.yml\n  FAILED:\n\(dir)/rules/b.yml:5:19: "),
                "\(rulesOutput)")
        #expect(try await RealClientTests.runStatus(tsql, ["check", "rules", dir + "/rules/a.yml"]).status == 0)
        try FileManager.default.removeItem(atPath: dir + "/rules/b.yml")
        let badConfig = dir + "/bad.yml"
        try "scrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n".write(toFile: badConfig, atomically: true, encoding: .utf8)
        let (bad, badOutput) = try await RealClientTests.runStatus(tsql, ["check", "config", badConfig])
        #expect(bad == 1 && badOutput.contains("\(badConfig):3:5: field scrape_intervall not found in scrape_configs entry"), "\(badOutput)")
        if let promtool = RealClientTests.which("promtool") {
            #expect(try await RealClientTests.runStatus(promtool, ["check", "config", config]).status == 0)
            #expect(try await RealClientTests.runStatus(promtool, ["check", "config", badConfig]).status == 1)
        }
    }
}
