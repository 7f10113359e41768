import Foundation
import PromQL
@testable import Shell
import Testing
import TSDB
import TSDBTestSupport

/// `tsql --url`: the same session over HTTP gives what it gives embedded.
/// The server is the real `tsql serve`, started here on a copy of the fixture.
@Suite("Shell remote mode", .serialized)
struct RemoteBackendTests {
    @Test("every input prints the same over the HTTP API as over the embedded database")
    func remoteEqualsEmbedded() async throws {
        guard let binary = Fixture.tsqlBinary else {
            Issue.record("tsql binary not found next to the tests; run `swift build --product tsql` first (scripts/test.sh does)")
            return
        }
        let dir = Fixture.tempDirectory, served = dir + "-served"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: served)
        }
        try Fixture.makeDatabase(dir).close()
        try FileManager.default.copyItem(atPath: dir, toPath: served)

        let port = freeLocalPort()
        try await withChildProcesses { children in
            try children.start(binary, ["serve", "--no-shell", "--storage.tsdb.path", served, "--web.listen-address", "127.0.0.1:\(port)"])
            let remote = try RemoteBackend(url: "http://127.0.0.1:\(port)/")
            let deadline = Date().addingTimeInterval(30)
            while (try? remote.labelNames([])) == nil && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
            try compare(embeddedAt: dir, with: remote)
        }
    }

    func compare(embeddedAt dir: String, with remote: RemoteBackend) throws {
        var o = DBOptions()
        o.compactionInterval = nil
        let db = try DB.open(dir, options: o)
        defer { try? db.close() }
        let sessions = [ShellSession(backend: EmbeddedBackend(db: db)), ShellSession(backend: remote)]
        for s in sessions {
            s.now = { Fixture.now }
            s.formatter.width = 80
        }
        let inputs = [
            "up", "sum by (job) (rate(http_requests_total[5m]))", "scalar(sum(up))", "\"text\"", "nosuch_metric",
            "up{job=\"nope\"}", "sum(rate(x{a=\"b\"}}[5m]))", "\\labels", "\\labels up", "\\series http_requests_total",
            "\\format csv", "node_memory_free_bytes", "\\format json", "sum(up)", "\\format table",
            "\\range now-30m now 1m", "sum by (instance) (node_memory_free_bytes)", "\\format csv", "rate(http_requests_total[5m])",
            "\\format json", "count(up)",
        ]
        for input in inputs {
            let (embedded, overHTTP) = (sessions[0].execute(input), sessions[1].execute(input))
            #expect(embedded == overHTTP, "\(input)")
            #expect(embedded.error == nil || input.contains("}}"), "\(input): \(embedded.error ?? "")")
        }
        // Errors from the server keep their position: the caret lands under the same character.
        let error = sessions[1].execute("sum(rate(x{a=\"b\"}}[5m]))").error ?? ""
        #expect(error.hasSuffix("\n  sum(rate(x{a=\"b\"}}[5m]))\n                   ^"), "\(error)")
    }
}
