import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TSDBTestSupport
@testable import Server

/// The web UI: its routes and embedded files in process, then the pages in
/// real headless browsers (Debian's `chromium` and `firefox-esr`, installed by
/// scripts/setup.sh --test-clients) against `tsql serve` with imported data, a
/// scraped target and rules: rendered DOM and screenshots of every page, and
/// (WebUITests+Interactions.swift) keyboard and mouse interaction in both
/// browsers. Screenshots are kept in .build/test-artifacts/webui/.
@Suite("Web UI", .serialized)
struct WebUITests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let assetsDir = packageRoot.appendingPathComponent("Sources/Server/WebUI/assets").path

    @Test func routesServeTheEmbeddedPagesWithAStrictContentPolicy() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .found)
                #expect(r.headers[.location] == "/graph")
            }
            for path in APIServer.webPages {
                try await client.execute(uri: path + "?g0.expr=up&g0.tab=0", method: .get) { r in
                    #expect(r.status == .ok, "\(path)")
                    #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(r.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                    #expect(String(buffer: r.body).contains(#"<script src="/static/app.js" defer></script>"#))
                }
            }
            var etag = ""
            try await client.execute(uri: "/static/graph.js", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(String(buffer: r.body).contains("g0.expr"))
                etag = r.headers[.eTag] ?? ""
            }
            #expect(etag.count > 2)
            try await client.execute(uri: "/static/graph.js", method: .get, headers: [.ifNoneMatch: etag]) { r in
                #expect(r.status == .notModified)
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/static/nosuch.js", method: .get) { r in
                #expect(r.status == .notFound)
            }
        }
    }

    /// WebAssets.swift is generated from the files: it must be regenerated after every edit.
    @Test func embeddedFilesMatchTheAssetsDirectory() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.assetsDir).sorted()
        #expect(names == WebAssets.files.keys.sorted(), "run python3 scripts/gen_webui.py")
        for name in names {
            let text = try String(contentsOfFile: Self.assetsDir + "/" + name, encoding: .utf8)
            #expect(WebAssets.files[name]?.text == text, "\(name) changed: run python3 scripts/gen_webui.py")
        }
    }

    /// Data reaches the pages only as text: no script builds markup from strings.
    @Test func scriptsNeverBuildMarkupFromStrings() {
        for (name, file) in WebAssets.files where name.hasSuffix(".js") {
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!file.text.contains(sink), "\(name) uses \(sink)")
            }
        }
    }

    /// A page after its scripts ran and its API calls answered, as Chromium serialises the DOM.
    static func dom(_ url: String, profile: String) async throws -> String {
        try await runProcess(ChromiumPage.executable!, [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--virtual-time-budget=10000",
            "--window-size=1280,900", "--dump-dom", url,
        ]).output
    }

    /// Where screenshots are kept (created on first use).
    static var artifacts: String {
        let dir = packageRoot.appendingPathComponent(".build/test-artifacts/webui").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func screenshot(_ url: String, _ name: String, profile: String, width: Int = 1280) async throws {
        let file = "\(artifacts)/\(name).png"
        try? FileManager.default.removeItem(atPath: file)
        _ = try await runProcess(ChromiumPage.executable!, [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile)",
            "--virtual-time-budget=10000", "--window-size=\(width),1000", "--screenshot=\(file)", url,
        ])
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        #expect(size > 5_000, "screenshot of \(url) is missing or empty")
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// Polls `url` until its body contains `needle`.
    static func waitFor(_ url: String, containing needle: String, seconds: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let u = URL(string: url), let (data, _) = try? await URLSession.shared.data(from: u),
               String(decoding: data, as: UTF8.self).contains(needle) { return }
            try await Task.sleep(for: .milliseconds(300))
        }
        Issue.record("\(url) never contained \(needle)")
    }

    /// Runs `body` with the base URL of `tsql serve` holding the demo data: three
    /// `webui_demo` series over 2026-01-01 00:00–01:00 UTC at 15 s (values
    /// i·100 + step; one series' label value is markup), a scraped target (the
    /// server itself) that is up, a recording rule and a firing alert whose
    /// annotation is markup.
    static func withDemoServer(_ body: (_ base: String, _ dir: TempDir) async throws -> Void) async throws {
        guard let tsql = builtTSQL() else {
            Issue.record("SKIPPED: the browser tests need a built tsql")
            return
        }
        let dir = TempDir()
        let port = freeLocalPort()
        let base = "http://127.0.0.1:\(port)"
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            rule_files: [rules.yml]
            scrape_configs:
              - job_name: tsql-self
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]
            """.write(toFile: dir.sub("prometheus.yml"), atomically: true, encoding: .utf8)
        try """
            groups:
              - name: webui
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                  - alert: WebUITestAlert
                    expr: vector(1)
                    labels: {severity: page}
                    annotations: {summary: "<b>bold</b> stays text"}
            """.write(toFile: dir.sub("rules.yml"), atomically: true, encoding: .utf8)
        // Three series over an hour at 15 s, one with a label value that is markup.
        let start = 1_767_225_600  // 2026-01-01T00:00:00Z
        var exposition = ""
        let names = ["a", "b", "<script>alert(1)</script>"]
        for (i, name) in names.enumerated() {
            for step in 0...240 {
                exposition += "webui_demo{instance=\"\(name)\"} \(i * 100 + step) \((start + step * 15) * 1000)\n"
            }
        }

        try await withChildProcesses { children in
            try children.start(tsql, ["serve", "--data", dir.sub("data"), "--config.file", dir.sub("prometheus.yml"),
                                      "--web.listen-address", "127.0.0.1:\(port)"], log: dir.sub("tsql.log"))
            try await RealClientTests.waitUntilReady(base + "/-/ready", log: dir.sub("tsql.log"))
            var request = URLRequest(url: URL(string: base + "/api/v1/import/prometheus")!)
            request.httpMethod = "POST"
            request.httpBody = Data(exposition.utf8)
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 204)
            try await Self.waitFor(base + "/api/v1/targets", containing: #""health":"up""#)
            try await Self.waitFor(base + "/api/v1/alerts", containing: #""state":"firing""#)
            try await body(base, dir)
        }
    }

    @Test func pagesRenderInHeadlessChromium() async throws {
        guard ChromiumPage.executable != nil else {
            Issue.record("SKIPPED: the browser test needs chromium (scripts/setup.sh --test-clients installs it)")
            return
        }
        try await Self.withDemoServer { base, dir in
            let port = URL(string: base)!.port!
            let profile = dir.sub("chromium")
            let end = "2026-01-01%2001:00:00"

            // Graph: one line per series with every point, a legend naming them, markup shown as text.
            let graphURL = "\(base)/graph?g0.expr=webui_demo&g0.tab=0&g0.range_input=1h&g0.end_input=\(end)"
            let graph = try await Self.dom(graphURL, profile: profile)
            #expect(Self.count(#"class="series-line""#, in: graph) == 3, "\(graph.prefix(3000))")
            #expect(Self.count(#"data-points="258""#, in: graph) == 3)  // 1 h / 14 s steps, as Prometheus' UI picks them
            #expect(graph.contains(#"webui_demo{instance="a"}"#))
            #expect(graph.contains("webui_demo{instance=\"&lt;script&gt;alert(1)&lt;/script&gt;\"}"))
            #expect(!graph.contains("<script>alert(1)"))
            #expect(graph.contains("Result series: 3"))
            try await Self.screenshot(graphURL, "graph", profile: profile)
            try await Self.screenshot(graphURL, "graph-phone", profile: profile, width: 412)

            // Table: the three series' values at the end of the hour.
            let tableURL = "\(base)/graph?g0.expr=webui_demo&g0.tab=1&g0.moment_input=\(end)&g1.expr=job:up:sum&g1.tab=1"
            let table = try await Self.dom(tableURL, profile: profile)
            #expect(Self.count(#"<td class="series">webui_demo{"#, in: table) == 3)
            for value in ["240", "340", "440"] { #expect(table.contains(#"<td class="value">\#(value)</td>"#), "\(value)") }
            #expect(table.contains(#"job:up:sum{job="tsql-self"}"#), "second panel")
            try await Self.screenshot(tableURL, "table", profile: profile)

            // An error names the position in the query.
            let errorURL = "\(base)/graph?g0.expr=sum(webui_demo&g0.tab=1"
            let error = try await Self.dom(errorURL, profile: profile)
            #expect(error.contains(#"class="error""#) && error.contains("unexpected end of input at 1:15"), "\(error.prefix(3000))")
            #expect(error.contains(#"<pre class="position">sum(webui_demo"#))
            try await Self.screenshot(errorURL, "error", profile: profile)

            let targets = try await Self.dom(base + "/targets", profile: profile)
            #expect(targets.contains(#"<tr data-health="up">"#), "\(targets.prefix(3000))")
            #expect(targets.contains("http://127.0.0.1:\(port)/metrics"))
            #expect(targets.contains("tsql-self (1/1 up)"))
            try await Self.screenshot(base + "/targets", "targets", profile: profile)
            try await Self.screenshot(base + "/targets", "targets-phone", profile: profile, width: 412)

            let alerts = try await Self.dom(base + "/alerts", profile: profile)
            #expect(alerts.contains(#"data-rule="WebUITestAlert""#) && alerts.contains(#"<tr data-state="firing">"#))
            #expect(alerts.contains("&lt;b&gt;bold&lt;/b&gt; stays text") && !alerts.contains("<b>bold</b>"))
            try await Self.screenshot(base + "/alerts", "alerts", profile: profile)

            let rules = try await Self.dom(base + "/rules", profile: profile)
            #expect(rules.contains("record: job:up:sum") && rules.contains(#"<span class="state ok">ok</span>"#))
            try await Self.screenshot(base + "/rules", "rules", profile: profile)

            let status = try await Self.dom(base + "/status", profile: profile)
            // Build facts, and the head's top lists (the scraped series; the import went to blocks).
            #expect(status.contains("Build information") && status.contains("<dt>version</dt>") && status.contains("<dt>storageRetention</dt>"))
            #expect(status.contains("Top metric names by series count") && Self.count(#"<td class="series">"#, in: status) >= 4)
            try await Self.screenshot(base + "/status", "status", profile: profile)

            let config = try await Self.dom(base + "/config", profile: profile)
            #expect(config.contains("job_name: tsql-self"))
            try await Self.screenshot(base + "/config", "config", profile: profile)
        }
    }
}
