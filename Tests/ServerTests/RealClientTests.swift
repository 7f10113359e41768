import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TSDBTestSupport

/// Interoperability with the real Prometheus tools from Debian (installed by
/// scripts/setup.sh): a Prometheus 2.42 scrapes a real node exporter and
/// remote-writes to `tsql serve`; promtool then asks both servers the same
/// queries and must get the same answers; a second Prometheus reads our data
/// through remote read; the Python `prometheus-api-client` asks both servers
/// the same things. Everything listens on 127.0.0.1.
@Suite("Real clients: Prometheus remote write and remote read, promtool", .serialized)
struct RealClientTests {
    static let tools = ["prometheus", "promtool", "prometheus-node-exporter"]

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        return nil
    }

    static var tsqlBinary: String? {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tsql").path,
            here.appendingPathComponent("../../.build/debug/tsql").standardized.path,
        ].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ path: String, _ args: [String]) async throws -> String { try await runProcess(path, args).output }

    /// Runs a tool to completion: its exit status and its stdout and stderr, interleaved.
    static func runStatus(_ path: String, _ args: [String]) async throws -> (status: Int32, output: String) {
        let result = try await runProcess(path, args)
        return (result.status, result.output)
    }

    static func waitUntilReady(_ url: String, seconds: Double = 30, log: String? = nil) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let u = URL(string: url), let (_, r) = try? await URLSession.shared.data(from: u),
               (r as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        let text = log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        let message: String = "\(url) did not become ready" + (log == nil ? "" : "; its log:\n\(text)")
        Issue.record(Comment(rawValue: message))
    }

    /// Parses promtool's `-o json` output into a canonical, comparable form.
    static func canonical(_ json: String) -> String {
        guard let data = json.data(using: .utf8), let value = try? JSONSerialization.jsonObject(with: data),
              let out = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "unparseable: " + json }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func prometheusRemoteWriteRemoteReadAndPromtoolAgree() async throws {
        let missing = Self.tools.filter { Self.which($0) == nil }
        guard missing.isEmpty, let tsql = Self.tsqlBinary else {
            Issue.record("SKIPPED: real-client test needs \(missing.joined(separator: ", ")) (scripts/setup.sh installs them) and a built tsql")
            return
        }
        let dir = NSTemporaryDirectory() + "/interop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = freeLocalPorts(4)
        let (exporterPort, ourPort, promPort, readerPort) = (ports[0], ports[1], ports[2], ports[3])
        let ours = "http://127.0.0.1:\(ourPort)", prom = "http://127.0.0.1:\(promPort)", reader = "http://127.0.0.1:\(readerPort)"

        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: node
                static_configs: [{targets: ["127.0.0.1:\(exporterPort)"]}]
            remote_write:
              - url: \(ours)/api/v1/write
                queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms}
                metadata_config: {send_interval: 1s}
            """.write(toFile: dir + "/writer.yml", atomically: true, encoding: .utf8)
        try """
            global:
              scrape_interval: 1m
            remote_read:
              - url: \(ours)/api/v1/read
                read_recent: true
            """.write(toFile: dir + "/reader.yml", atomically: true, encoding: .utf8)

        try await withChildProcesses { children in
        try children.start(Self.which("prometheus-node-exporter")!, ["--web.listen-address=127.0.0.1:\(exporterPort)"],
                           log: dir + "/exporter.log")
        try children.start(tsql, ["serve", "--data", dir + "/ours", "--web.listen-address", "127.0.0.1:\(ourPort)"],
                           log: dir + "/tsql.log")
        try await Self.waitUntilReady(ours + "/-/ready", log: dir + "/tsql.log")
        try children.start(Self.which("prometheus")!, [
            "--config.file=\(dir)/writer.yml", "--storage.tsdb.path=\(dir)/prom", "--web.listen-address=127.0.0.1:\(promPort)",
        ], log: dir + "/prometheus.log")
        try children.start(Self.which("prometheus")!, [
            "--config.file=\(dir)/reader.yml", "--storage.tsdb.path=\(dir)/reader", "--web.listen-address=127.0.0.1:\(readerPort)",
        ], log: dir + "/reader.log")
        try await Self.waitUntilReady(prom + "/-/ready")
        try await Self.waitUntilReady(reader + "/-/ready")

        // Let Prometheus scrape and remote-write for a while, then compare at a
        // time well behind the remote-write queue.
        try await Task.sleep(for: .seconds(15))
        let t = Int(Date().timeIntervalSince1970) - 4
        let promtool = Self.which("promtool")!
        // On a loaded machine the remote-write queue may lag behind: wait until
        // every series has reached us past `t` before comparing.
        let caughtUp = "min(timestamp(node_cpu_seconds_total)) > \(t) and min(timestamp(node_load1)) > \(t)"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !(try await Self.run(promtool, ["query", "instant", "-o", "json", ours, caughtUp])).contains("\"value\"") {
            try await Task.sleep(for: .milliseconds(500))
        }
        let queries = [
            "up", "node_load1", "count(node_cpu_seconds_total)", "sum by (mode) (node_cpu_seconds_total)",
            "scrape_samples_scraped", "node_memory_MemTotal_bytes",
        ]
        for q in queries {
            let theirs = try await Self.run(promtool, ["query", "instant", "-o", "json", "--time=\(t)", prom, q])
            let mine = try await Self.run(promtool, ["query", "instant", "-o", "json", "--time=\(t)", ours, q])
            #expect(Self.canonical(mine) == Self.canonical(theirs), "instant \(q)")
            #expect(theirs.contains("\"value\""), "Prometheus returned no data for \(q): \(theirs)")
        }
        for q in ["rate(node_cpu_seconds_total{mode=\"idle\"}[5s])", "node_load1", "up"] {
            let args = ["query", "range", "-o", "json", "--start=\(t - 10)", "--end=\(t)", "--step=1s"]
            let theirs = try await Self.run(promtool, args + [prom, q])
            let mine = try await Self.run(promtool, args + [ours, q])
            #expect(Self.canonical(mine) == Self.canonical(theirs), "range \(q)")
            #expect(theirs.contains("\"values\""), "Prometheus returned no data for \(q): \(theirs)")
        }
        let seriesArgs = ["query", "series", "--match=up", "--start=\(t - 10)", "--end=\(t)"]
        let series = try await Self.run(promtool, seriesArgs + [prom])
        #expect(series.contains("job=\"node\""), "\(series)")
        #expect(try await Self.run(promtool, seriesArgs + [ours]) == series)
        let promLabels = try await Self.run(promtool, ["query", "labels", prom, "job"])
        #expect(try await Self.run(promtool, ["query", "labels", ours, "job"]) == promLabels)

        // The shell's remote mode (`tsql --url`) prints the same over a real Prometheus as over us.
        for q in ["up", "sum by (mode) (node_cpu_seconds_total)", "node_memory_MemTotal_bytes", "sum(rate(x{a=\"b\"}}[5m]))"] {
            let args = ["--format", "csv", "-e", "\\time \(t)", "-e", q]
            let (theirStatus, theirs) = try await Self.runStatus(tsql, ["--url", prom] + args)
            let (myStatus, mine) = try await Self.runStatus(tsql, ["--url", ours] + args)
            // Parse errors are worded differently (deliberately); the caret lands on the same character.
            let compared = q.contains("}}") ? { (s: String) in s.split(separator: "\n").suffix(2) } : { (s: String) in s.split(separator: "\n").suffix(.max) }
            #expect(compared(mine) == compared(theirs) && myStatus == theirStatus, "tsql --url: \(q)\nPrometheus:\n\(theirs)\nours:\n\(mine)")
            #expect(theirs.contains(q.contains("}}") ? "^" : ","), "\(theirs)")
        }

        // The second Prometheus has no data of its own: what it answers comes through remote read from us.
        for q in ["node_load1", "count(node_cpu_seconds_total)"] {
            let direct = try await Self.run(promtool, ["query", "instant", "-o", "json", "--time=\(t)", prom, q])
            let viaRead = try await Self.run(promtool, ["query", "instant", "-o", "json", "--time=\(t)", reader, q])
            #expect(Self.canonical(viaRead) == Self.canonical(direct), "remote read \(q)")
            #expect(viaRead.contains("\"value\""), "\(viaRead)")
        }

        // The Python client (PyPI's prometheus-api-client, installed by scripts/setup.sh --test-clients).
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let python = repo.appendingPathComponent(".build-python/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("SKIPPED: the Python client check needs \(python) (scripts/setup.sh --test-clients makes it)")
            return
        }
        let probe = repo.appendingPathComponent("testdata/clients/prometheus_api_client_probe.py").path
        let (status, report) = try await Self.runStatus(python, [probe, ours, prom, "\(t)"])
        #expect(status == 0, "prometheus-api-client saw differences:\n\(report)")
        #expect(report.contains("ok get_metric_aggregation"), "\(report)")
        }
    }
}
