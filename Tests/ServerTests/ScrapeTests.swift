import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdTLS
import Ingest
import NIOSSL
import Server
import Synchronization
import Testing
import TSDBTestSupport
import TSDB

/// Scraping over real HTTP: an in-test target whose series change between
/// scrapes, that fails, times out, answers garbage or too much; Debian's
/// node exporter; and the manager with `/api/v1/targets`.
@Suite("Scraping", .serialized)
struct ScrapeTests {
    enum Mode: Sendable {
        case body(String, contentType: String)
        case status(Int)
        case slow(String)
    }

    /// What the in-test target answers, changed by the test between scrapes.
    final class Behaviour: Sendable {
        private let mode: Mutex<Mode>
        init(_ m: Mode) { mode = Mutex(m) }
        var current: Mode { mode.withLock { $0 } }
        func set(_ m: Mode) { mode.withLock { $0 = m } }
    }

    /// Runs `body` with a target on 127.0.0.1 serving `/metrics` as `mode` says.
    func withTarget(_ mode: Behaviour, _ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            switch mode.current {
            case .body(let text, let type):
                return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
            case .status(let code):
                return Response(status: .init(code: code))
            case .slow(let text):
                try await Task.sleep(for: .seconds(13))
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        // Routes that want credentials, for basic_auth and authorization.
        for (path, expected) in [("/basic", "Basic dTpw"), ("/bearer", "Bearer s3cret")] {
            router.get(RouterPath(path)) { request, _ -> Response in
                guard request.headers[.authorization] == expected else { return Response(status: .unauthorized) }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "authed 1\n")))
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client.port!) }
    }

    /// A job scraping the test target. The timeout is generous: the whole suite
    /// runs in parallel on two cores, and a first scrape once took over 3 s in CI.
    func job(_ port: Int, extra: String = "") throws -> (PrometheusConfig.ScrapeJob, ScrapeTarget) {
        let job = try PrometheusConfig.parse("""
            scrape_configs:
              - job_name: t
                scrape_interval: 10s
                scrape_timeout: 10s
            \(extra)
                static_configs: [{targets: ["127.0.0.1:\(port)"], labels: {tier: test}}]
            """, file: "t.yml").scrapeConfigs[0]
        return (job, try #require(try TargetBuilder.targets(for: job, groups: TargetBuilder.staticGroups(job)).active.first))
    }

    func openDB() throws -> (DB, String) {
        let dir = NSTemporaryDirectory() + "/scrape-http-\(UUID().uuidString)"
        return (try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }()), dir)
    }

    /// A scrape at least 2 ms after the previous one: two in the same
    /// millisecond would write `up` twice at one timestamp (a duplicate).
    func spaced(_ loop: ScrapeLoop) async -> ScrapeReport {
        try? await Task.sleep(for: .milliseconds(2))
        return await loop.scrapeOnce()
    }

    @Test("series that change, failures, timeouts, garbage and oversized bodies")
    func changingAndFailingTarget() async throws {
        let mode = Behaviour(.body("# TYPE a gauge\na 1\nb{x=\"1\"} 2\n", contentType: "text/plain; version=0.0.4"))
        let (db, dir) = try openDB()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        try await withTarget(mode) { port in
            let (job, target) = try self.job(port, extra: "    body_size_limit: 1KB")
            let loop = try ScrapeLoop(target: target, job: job, db: db)
            let first = await spaced(loop)
            #expect(first.up && first.scraped == 2, "\(first)")
            #expect(await loop.status.health == "up")
            let b = try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "b")])
            #expect(b.first?.labels == Labels(["__name__": "b", "x": "1", "job": "t", "instance": "127.0.0.1:\(port)", "tier": "test"]))

            // OpenMetrics, negotiated by the Content-Type; b is gone: stale.
            mode.set(.body("# TYPE a gauge\na 5\n# EOF\n", contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8"))
            #expect(await spaced(loop).up)
            let bSamples = try #require(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "b")]).first?.samples())
            #expect(bSamples.count == 2 && StaleNaN.isStale(bSamples[1].v))

            mode.set(.status(500))
            let failed = await spaced(loop)
            #expect(!failed.up && failed.error == "server returned HTTP status 500 Internal Server Error", "\(failed)")
            mode.set(.slow("a 1\n"))
            let slow = await spaced(loop)
            #expect(slow.error == "context deadline exceeded (timeout 10s)", "\(slow)")
            mode.set(.body("a{ 1\n", contentType: "text/plain"))
            #expect(await spaced(loop).error == "1:4: expected a label name, got \"1\"")
            mode.set(.body(String(repeating: "big_metric 1\n", count: 200), contentType: "text/plain"))
            #expect(await spaced(loop).error == "body size limit exceeded")
            #expect(await loop.status.health == "down")
            let up = try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "up")]).first?.samples().map(\.v)
            #expect(up == [1, 1, 0, 0, 0, 0])
        }
    }

    @Test("basic_auth and authorization credentials are sent (also from files)")
    func credentials() async throws {
        let (db, dir) = try openDB()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        try "s3cret\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try await withTarget(Behaviour(.status(404))) { port in
            for (extra, up) in [("    metrics_path: /basic\n    basic_auth: {username: u, password: p}", true),
                                ("    metrics_path: /basic\n    basic_auth: {username: u, password: wrong}", false),
                                ("    metrics_path: /bearer\n    authorization: {credentials_file: \"\(dir)/token\"}", true),
                                ("    metrics_path: /bearer", false)] {
                let (job, target) = try self.job(port, extra: extra)
                let report = await (try ScrapeLoop(target: target, job: job, db: db)).scrapeOnce()
                #expect(report.up == up, "\(extra): \(report)")
            }
        }
    }

    @Test("the manager scrapes on the interval and /api/v1/targets reports it")
    func managerAndTargetsAPI() async throws {
        let mode = Behaviour(.body("m 1\n", contentType: "text/plain"))
        let (db, dir) = try openDB()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        try await withTarget(mode) { port in
            let config = try PrometheusConfig.parse("""
                scrape_configs:
                  - job_name: t
                    scrape_interval: 1s
                    scrape_timeout: 500ms
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                    relabel_configs:
                      - source_labels: [__address__]
                        regex: "nomatch"
                        action: drop
                  - job_name: gone
                    static_configs: [{targets: ["x:1"]}]
                    relabel_configs: [{action: drop, source_labels: [__address__], regex: "x:1"}]
                """, file: "t.yml")
            let scraper = ScrapeManager(db: db)
            await scraper.apply(config)
            try await Task.sleep(for: .milliseconds(2_600))
            let server = APIServer(db: db)
            server.slot.scraper = scraper
            let app = Application(router: server.router())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/targets", method: .get) { r in
                    let s = String(buffer: r.body)
                    #expect(s.contains(#""labels":{"instance":"127.0.0.1:\#(port)","job":"t"}"#), "\(s)")
                    #expect(s.contains(#""health":"up""#) && s.contains(#""scrapeUrl":"http://127.0.0.1:\#(port)/metrics""#), "\(s)")
                    #expect(s.contains(#""droppedTargets":[{"discoveredLabels":{"__address__":"x:1""#), "\(s)")
                    #expect(s.contains(#""droppedTargetCounts":{"gone":1,"t":0}"#), "\(s)")
                }
            }
            let samples = try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "m")]).first?.samples() ?? []
            #expect(samples.count >= 2, "\(samples)")  // at least two scrapes in 2.6 s at a 1 s interval
            // The same configuration again (a reload that changes nothing here): the loop keeps running, nothing goes stale.
            await scraper.apply(config)
            try await Task.sleep(for: .milliseconds(1_100))
            let kept = try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "m")]).first?.samples() ?? []
            #expect(kept.count > samples.count && !kept.contains { StaleNaN.isStale($0.v) }, "\(kept)")
            // A new config without the job: its series go stale.
            await scraper.apply(try PrometheusConfig.parse("scrape_configs: []\n", file: "t.yml"))
            let after = try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "m")]).first?.samples() ?? []
            #expect(after.last.map { StaleNaN.isStale($0.v) } == true)
            await scraper.stopAll()
        }
    }

    @Test("reloads apply new configurations (a broken one keeps the old); file_sd files are re-read")
    func reloadAndFileSD() async throws {
        let mode = Behaviour(.body("m 1\n", contentType: "text/plain"))
        let (db, dir) = try openDB()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        try await withTarget(mode) { port in
            let path = dir + "/prometheus.yml", sd = dir + "/targets.json"
            try "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"127.0.0.1:\(port)\"]}]\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            let config = try ConfigStore(path: path)
            let scraper = ScrapeManager(db: db)
            await scraper.apply(config.parsed)
            config.onReload { parsed in Task { await scraper.apply(parsed) } }
            #expect(await scraper.targets().active.map(\.job) == ["a"])

            try #"[{"targets": ["127.0.0.1:\#(port)"], "labels": {"env": "x"}}]"#.write(toFile: sd, atomically: true, encoding: .utf8)
            try "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"127.0.0.1:\(port)\"]}]\n  - job_name: files\n    file_sd_configs: [{files: [\"\(sd)\"], refresh_interval: 1s}]\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            try config.reload()
            try await Task.sleep(for: .milliseconds(300))
            var active = await scraper.targets().active
            #expect(active.map(\.job) == ["a", "files"] && active[1].target.publicLabels["env"] == "x")

            // The file changes: picked up at the next refresh.
            try #"[{"targets": ["127.0.0.1:\#(port)"], "labels": {"env": "y"}}]"#.write(toFile: sd, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(1_600))
            active = await scraper.targets().active
            #expect(active.count == 2 && active[1].target.publicLabels["env"] == "y", "\(active.map(\.target.publicLabels))")

            // A broken configuration is refused; the running one stays.
            try "scrape_configs:\n  - job_name: a\n    scrape_intervall: 1s\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ConfigError.self) { try config.reload() }
            try await Task.sleep(for: .milliseconds(200))
            #expect(await scraper.targets().active.map(\.job) == ["a", "files"])
            await scraper.stopAll()
        }
    }

    @Test("https targets: a CA file or insecure_skip_verify, and a clear error without either")
    func https() async throws {
        let dir = NSTemporaryDirectory() + "/tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = try await runProcess("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem",
            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        #expect(openssl.status == 0, "\(openssl.output)")
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(dir + "/cert.pem").map { .certificate($0) },
            privateKey: .file(dir + "/key.pem"))
        let router = Router()
        router.get("/metrics") { _, _ in "secure_metric 1\n" }
        let app = Application(router: router, server: try .tls(tlsConfiguration: tls),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let (db, dbDir) = try openDB()
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dbDir) }
        try await app.test(.live) { client in
            let port = client.port!
            for (tlsConfig, expectUp) in [("tls_config: {ca_file: \"\(dir)/cert.pem\"}", true),
                                          ("tls_config: {insecure_skip_verify: true}", true),
                                          ("tls_config: {}", false)] {
                let (job, target) = try self.job(port, extra: "    scheme: https\n    \(tlsConfig)")
                #expect(target.url == "https://127.0.0.1:\(port)/metrics")
                let report = await (try ScrapeLoop(target: target, job: job, db: db)).scrapeOnce()
                #expect(report.up == expectUp, "\(tlsConfig): \(report)")
                if !expectUp { #expect(report.error?.contains("certificate") == true || report.error?.contains("handshake") == true, "\(report)") }
            }
        }
    }

    @Test("Debian's prometheus-node-exporter")
    func nodeExporter() async throws {
        guard let exporter = RealClientTests.which("prometheus-node-exporter") else {
            Issue.record("SKIPPED: prometheus-node-exporter is not installed (scripts/setup.sh installs it)")
            return
        }
        let port = freeLocalPort()
        try await withChildProcesses { children in
            try children.start(exporter, ["--web.listen-address=127.0.0.1:\(port)"], log: NSTemporaryDirectory() + "/ne-\(port).log")
            try await RealClientTests.waitUntilReady("http://127.0.0.1:\(port)/metrics")
            let (db, dir) = try openDB()
            defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
            let (job, target) = try self.job(port)
            let loop = try ScrapeLoop(target: target, job: job, db: db)
            let report = await loop.scrapeOnce()
            #expect(report.up && report.scraped > 100, "\(report)")
            let load = try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "node_load1")])
            #expect(load.first?.labels["job"] == "t" && load.first?.labels["tier"] == "test")
        }
    }
}
