import Foundation
import Testing
import TSDBTestSupport

/// `tsql serve` as a process: start-up failures end it at once with an error
/// that names the cause, before it touches the data directory.
@Suite("tsql serve")
struct ServeCommandTests {
    @Test func takenAddressFailsAtOnceNamingIt() async throws {
        guard let tsql = RealClientTests.tsqlBinary else {
            Issue.record("SKIPPED: needs a built tsql (scripts/test.sh builds it)")
            return
        }
        let dir = NSTemporaryDirectory() + "/serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (holder, port) = listeningLocalSocket()
        defer { close(holder) }

        let child = try ChildProcess.spawn(tsql, ["serve", "--no-shell", "--data", dir + "/data", "--web.listen-address", "127.0.0.1:\(port)"],
                                           output: dir + "/log")
        let status = await child.wait(timeout: .seconds(30))
        if status == nil { await child.stop(signal: SIGKILL) }
        let log = (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? ""
        #expect(status == 1, "tsql serve on a taken address should exit 1, ended with \(String(describing: status)):\n\(log)")
        #expect(log.contains("cannot listen on 127.0.0.1:\(port): Address already in use"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/data"), "the data directory was created although the server could not start")
    }
}
