import Foundation
import Testing
import TSDB
import TSDBTestSupport

/// Drives the real `tsql` binary in a real terminal (tmux: `send-keys`,
/// `capture-pane`), as a person would: a query, a Tab completion, a
/// multi-line query, `\range` with a chart, Ctrl-C on a long query (the
/// shell survives), history, and Ctrl-D.
@Suite("Shell in a terminal (tmux)", .serialized)
struct TerminalTests {
    /// One tmux server per test (its own socket, `-L`): a server that another
    /// test's session is shutting down can never take this test's session
    /// with it (seen once in CI: "no server running").
    struct Tmux {
        let session = "tsql-test-\(UUID().uuidString.prefix(8))"
        let tmux: String

        /// Runs tmux to completion and returns what it printed.
        @discardableResult
        func run(_ args: [String]) async throws -> String { try await runProcess(tmux, ["-L", session] + args).output }

        func send(_ keys: String...) async throws { try await run(["send-keys", "-t", session] + keys) }
        /// Types text literally (no key-name lookup: "up" is not the Up key).
        func type(_ text: String) async throws { try await run(["send-keys", "-t", session, "-l", text]) }
        func screen() async throws -> String { try await run(["capture-pane", "-t", session, "-p", "-S", "-500"]) }

        /// Ends the session from a `defer`: started, reaped in the background.
        func kill() {
            guard let child = try? ChildProcess.spawn(tmux, ["-L", session, "kill-server"]) else { return }
            Task { await child.wait() }
        }

        /// Waits until the screen shows `text` (`count` times); returns the screen.
        @discardableResult
        func wait(for text: String, count: Int = 1, seconds: Double = 20) async throws -> String {
            let deadline = Date().addingTimeInterval(seconds)
            var last = ""
            while Date() < deadline {
                last = try await screen()
                if last.components(separatedBy: text).count - 1 >= count { return last }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("timed out waiting for \(text.debugDescription); the screen:\n\(last)")
            throw CancellationError()
        }
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    @Test func interactiveSession() async throws {
        guard let binary = Fixture.tsqlBinary else {
            Issue.record("tsql binary not found next to the tests; run `swift build --product tsql` first (scripts/test.sh does)")
            return
        }
        guard let tmuxPath = Self.which("tmux") else {
            Issue.record("tmux is not installed; scripts/setup.sh installs it")
            return
        }
        let dir = Fixture.tempDirectory, home = dir + "-home"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: home)
        }
        try Fixture.makeDatabase(dir).close()
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)

        let t = Tmux(tmux: tmuxPath)
        try await t.run(["new-session", "-d", "-s", t.session, "-x", "100", "-y", "60",
                   "env HOME=\(home) TERM=xterm \(binary) --data \(dir); echo EXITED $?; sleep 60"])
        defer { t.kill() }
        try await t.wait(for: "tsql on \(dir)")

        // A query, at the fixture's time.
        try await t.type("\\time 2023-11-14T23:13:20Z"); try await t.send("Enter")
        try await t.wait(for: "instant queries at 2023-11-14T23:13:20Z")
        try await t.type("up"); try await t.send("Enter")
        try await t.wait(for: "(3 series at 2023-11-14T23:13:20Z)")

        // Tab completes a metric name.
        try await t.type("http_req"); try await t.send("Tab")
        try await t.wait(for: "tsql> http_requests_total")
        try await t.send("Enter")
        try await t.wait(for: " http_requests_total | a        | api |   720")

        // An unfinished query continues on a second line.
        try await t.type("sum("); try await t.send("Enter")
        try await t.wait(for: "tsql> sum(\n ...>")
        try await t.type("up)"); try await t.send("Enter")
        try await t.wait(for: "(1 series at 2023-11-14T23:13:20Z)")

        // Range mode draws a chart.
        try await t.type("\\range 2023-11-14T22:43:20Z 2023-11-14T23:13:20Z 1m"); try await t.send("Enter")
        try await t.type("rate(http_requests_total[5m])"); try await t.send("Enter")
        let chart = try await t.wait(for: "━━ {instance=\"c\", job=\"db\"}")
        #expect(chart.contains("┤") && chart.contains("└─") && chart.contains("23:13"))

        // Ctrl-C cancels a long query; the shell stays.
        try await t.type("\\range 2023-11-14T22:13:20Z 2023-11-14T23:13:20Z 1s"); try await t.send("Enter")
        try await t.type("quantile_over_time(0.5, rate(up[1m])[1h:10ms])"); try await t.send("Enter")
        try await Task.sleep(for: .milliseconds(1500))
        try await t.send("C-c")
        try await t.wait(for: "error: query was canceled")
        try await t.type("\\instant"); try await t.send("Enter")
        try await t.wait(for: "instant queries at the current time")

        // Ctrl-C on a half-typed line drops it.
        try await t.type("sum(rate(")
        try await t.send("C-c")
        try await t.type("\\timing on"); try await t.send("Enter")
        try await t.wait(for: "timing on")

        // Ctrl-D leaves; the history file holds what was typed (multi-line flattened).
        try await t.send("C-d")
        try await t.wait(for: "EXITED 0")
        let history = try String(contentsOfFile: home + "/.tsql_history", encoding: .utf8)
        #expect(history.contains("sum( up)") && history.contains("rate(http_requests_total[5m])"))
        #expect(!history.contains("sum(rate(\n"), "the cancelled line is not in the history")
    }

    /// The tsql binary, tmux and a fresh directory (the caller removes it) for
    /// a test of `tsql serve` with its shell; nil, with the reason recorded, without them.
    static func serveSetup() throws -> (binary: String, tmux: String, dir: String)? {
        guard let binary = Fixture.tsqlBinary, let tmux = which("tmux") else {
            Issue.record("needs the tsql binary and tmux (scripts/test.sh builds and installs them)")
            return nil
        }
        let dir = Fixture.tempDirectory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (binary, tmux, dir)
    }

    /// What scripts/run.sh starts: the server with the default configuration
    /// (scraping itself) and the shell over the same data, with a hint;
    /// leaving the shell stops the server.
    @Test func serveWithShell() async throws {
        guard let (binary, tmuxPath, dir) = try Self.serveSetup() else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A port nothing listens on now: a fixed or pid-derived one in the ephemeral range can be
        // taken by another test's connection.
        let port = freeLocalPort()
        let defaults = try String(contentsOf: Fixture.testdata.appendingPathComponent("../../scripts/default-prometheus.yml"), encoding: .utf8)
        #expect(defaults.contains("127.0.0.1:9090") && defaults.contains("scrape_interval: 5s"))
        try defaults.replacingOccurrences(of: "127.0.0.1:9090", with: "127.0.0.1:\(port)")
            .write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)

        let t = Tmux(tmux: tmuxPath)
        try await t.run(["new-session", "-d", "-s", t.session, "-x", "120", "-y", "60",
                   "env HOME=\(dir) \(binary) serve --config.file \(dir)/prometheus.yml --data \(dir)/data "
                   + "--web.listen-address 127.0.0.1:\(port); echo EXITED $?; sleep 60"])
        defer { t.kill() }
        try await t.wait(for: "rate(prometheus_http_requests_total[1m])")  // the hint
        // The first scrape of its own /metrics comes within the 5 s interval.
        let deadline = Date().addingTimeInterval(15)
        var screen = ""
        repeat {
            try await Task.sleep(for: .seconds(1))
            try await t.type("up"); try await t.send("Enter")
            screen = try await t.wait(for: "tsql> up", count: screen.components(separatedBy: "tsql> up").count)
        } while !screen.contains("| 127.0.0.1:\(port) | tsql |     1") && Date() < deadline
        #expect(screen.contains(" up       | 127.0.0.1:\(port) | tsql |     1"), "\(screen)")
        try await t.send("C-d")
        try await t.wait(for: "EXITED 0")
    }

    /// SIGTERM stops `tsql serve` with its shell open, as it stops the server
    /// alone: the shell ends as on Ctrl-D (an unfinished input is dropped)
    /// and the process exits 0.
    @Test func serveWithShellStopsOnSIGTERM() async throws {
        guard let (binary, tmuxPath, dir) = try Self.serveSetup() else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Tmux(tmux: tmuxPath)
        try await t.run(["new-session", "-d", "-s", t.session, "-x", "120", "-y", "40",
                         "env HOME=\(dir) \(binary) serve --data \(dir)/data --web.listen-address 127.0.0.1:\(freeLocalPort()); "
                         + "echo EXITED $?; sleep 60"])
        defer { t.kill() }
        try await t.wait(for: "process_resident_memory_bytes\ntsql>")  // the prompt, after the hint
        try await t.type("sum(1+"); try await t.send("Enter")
        try await t.wait(for: "...>")
        // The pane's shell runs tsql as its only child.
        let shellPid = try await t.run(["display-message", "-p", "-t", t.session, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(shellPid)/task/\(shellPid)/children", encoding: .utf8)
        let tsql = try #require(children.split(separator: " ").first.flatMap { pid_t($0) }, "no child of the pane's shell \(shellPid)")
        kill(tsql, SIGTERM)
        let screen = try await t.wait(for: "EXITED 0")
        #expect(!screen.contains("parse error"), "the unfinished input ran:\n\(screen)")
    }
}
