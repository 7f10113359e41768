import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TSDBTestSupport

/// `tsql serve` re-reads its rule files on `POST /-/reload` and on SIGHUP: a
/// broken file fails the reload with file:line:column and the PromQL error,
/// the old rules keep running; a fixed file takes effect.
@Suite("Rule reload", .serialized)
struct RuleReloadTests {
    @Test func brokenRuleFileKeepsTheOldRules() async throws {
        guard let tsql = RealClientTests.tsqlBinary else {
            Issue.record("SKIPPED: needs the tsql binary (scripts/test.sh builds it)")
            return
        }
        let dir = NSTemporaryDirectory() + "/rule-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freeLocalPort()
        let url = "http://127.0.0.1:\(port)"
        try "global: {evaluation_interval: 1s}\nrule_files: [\"rules/*.yml\"]\n".write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        func writeRules(_ body: String) throws { try body.write(toFile: dir + "/rules/r.yml", atomically: true, encoding: .utf8) }
        try writeRules("groups:\n  - name: g\n    rules:\n      - record: first\n        expr: vector(1)\n")

        try await withChildProcesses { children in
            let server = try children.start(tsql, ["serve", "--no-shell", "--config.file", dir + "/prometheus.yml", "--data", dir + "/data",
                                                   "--web.listen-address", "127.0.0.1:\(port)", "--web.enable-lifecycle"], log: dir + "/tsql.log")
            try await RealClientTests.waitUntilReady(url + "/-/ready", log: dir + "/tsql.log")
            #expect(try await Self.ruleNames(url) == ["first"])

            try writeRules("groups:\n  - name: g\n    rules:\n      - record: second\n        expr: sum(rate(x[5m])\n")
            let (body, status) = try await Self.reload(url)
            #expect(status == 500)
            #expect(body.contains("rules/r.yml:5:30: group \"g\", rule 1, \"second\": could not parse expression"), "\(body)")
            #expect(try await Self.ruleNames(url) == ["first"], "the old rules keep running")

            try writeRules("groups:\n  - name: g\n    rules:\n      - record: second\n        expr: vector(2)\n")
            #expect(try await Self.reload(url).status == 200)
            #expect(try await Self.ruleNames(url) == ["second"])

            // SIGHUP does the same.
            try writeRules("groups:\n  - name: g\n    rules:\n      - record: third\n        expr: vector(3)\n")
            kill(server.pid, SIGHUP)
            let deadline = Date().addingTimeInterval(10)
            while try await Self.ruleNames(url) != ["third"] && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await Self.ruleNames(url) == ["third"])
            // And the new rule is evaluated and stored.
            try await Task.sleep(for: .seconds(2))
            let (data, _) = try await URLSession.shared.data(from: URL(string: url + "/api/v1/query?query=third")!)
            #expect(String(decoding: data, as: UTF8.self).contains(#""__name__":"third""#))
        }
    }

    static func ruleNames(_ url: String) async throws -> [String] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url + "/api/v1/rules")!)
        let groups = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["data"] as? [String: Any])?["groups"] as? [[String: Any]]
        return (groups ?? []).flatMap { ($0["rules"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
    }

    static func reload(_ url: String) async throws -> (body: String, status: Int) {
        var request = URLRequest(url: URL(string: url + "/-/reload")!)
        request.httpMethod = "POST"
        let (data, response) = try await URLSession.shared.data(for: request)
        return (String(decoding: data, as: UTF8.self), (response as? HTTPURLResponse)?.statusCode ?? 0)
    }
}
