import Foundation
import Testing
@testable import Ingest
import TSDB

@Suite("Scrape targets")
struct ScrapeTargetTests {
    func job(_ yaml: String) throws -> PrometheusConfig.ScrapeJob {
        try PrometheusConfig.parse(yaml, file: "t.yml").scrapeConfigs[0]
    }

    @Test("static targets: job defaults, group labels, instance from the address, the scrape URL")
    func staticTargets() throws {
        let j = try job("""
            scrape_configs:
              - job_name: app
                scrape_interval: 5s
                scrape_timeout: 3s
                static_configs:
                  - targets: ["127.0.0.1:8080", "db:9187"]
                    labels: {service: checkout, tier: backend, node: n1, port: "8080"}
            """)
        let r = try TargetBuilder.targets(for: j, groups: TargetBuilder.staticGroups(j))
        #expect(r.active.count == 2 && r.dropped.isEmpty && r.errors.isEmpty)
        let t = r.active[0]
        #expect(t.publicLabels == Labels(["job": "app", "instance": "127.0.0.1:8080", "service": "checkout", "tier": "backend",
                                          "node": "n1", "port": "8080"]))
        #expect(t.labels["__scrape_interval__"] == "5s" && t.interval == 5_000 && t.timeout == 3_000)
        #expect(t.url == "http://127.0.0.1:8080/metrics")
        #expect(r.active[1].url == "http://db:9187/metrics")
    }

    @Test("the blackbox pattern: params, target rewritten into a parameter, instance from it")
    func blackbox() throws {
        let j = try job("""
            scrape_configs:
              - job_name: blackbox-http
                metrics_path: /probe
                params: {module: [http_2xx]}
                static_configs: [{targets: ["https://example.com/health"]}]
                relabel_configs:
                  - source_labels: [__address__]
                    target_label: __param_target
                  - source_labels: [__param_target]
                    target_label: instance
                  - target_label: __address__
                    replacement: 127.0.0.1:9115
            """)
        let r = try TargetBuilder.targets(for: j, groups: TargetBuilder.staticGroups(j))
        #expect(r.errors.isEmpty, "\(r.errors)")
        let t = try #require(r.active.first)
        #expect(t.publicLabels == Labels(["job": "blackbox-http", "instance": "https://example.com/health"]))
        #expect(t.url == "http://127.0.0.1:9115/probe?module=http_2xx&target=https://example.com/health")
        #expect(t.discoveredLabels["__address__"] == "https://example.com/health")
    }

    @Test("dropped targets, invalid addresses and intervals, duplicates")
    func droppedAndInvalid() throws {
        let j = try job("""
            scrape_configs:
              - job_name: j
                static_configs: [{targets: ["a:1", "b:2", "a:1", "c/d:3"]}]
                relabel_configs:
                  - source_labels: [__address__]
                    regex: "b:.*"
                    action: drop
            """)
        let r = try TargetBuilder.targets(for: j, groups: TargetBuilder.staticGroups(j))
        #expect(r.active.map { $0.labels["__address__"] } == ["a:1"])
        #expect(r.dropped.map { $0["__address__"] } == ["b:2"])
        #expect(r.errors == ["\"c/d:3\" is not a valid hostname (target {__address__=\"c/d:3\", __metrics_path__=\"/metrics\", "
                             + "__scheme__=\"http\", __scrape_interval__=\"1m\", __scrape_timeout__=\"10s\", job=\"j\"})"])
        let zero = try job("""
            scrape_configs:
              - job_name: z
                static_configs: [{targets: ["a:1"]}]
                relabel_configs: [{target_label: __scrape_timeout__, replacement: 2m}]
            """)
        #expect(try TargetBuilder.targets(for: zero, groups: TargetBuilder.staticGroups(zero)).errors.first?.hasPrefix("invalid scrape timeout \"2m\"") == true)
    }

    @Test("file_sd: JSON and YAML files, globs, __meta_filepath usable in relabelling and dropped after it")
    func fileSD() throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("filesd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod"}}]"#
            .write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        try "- targets: [\"10.0.0.3:9100\"]\n  labels: {env: dev}\n".write(toFile: dir + "/b.yml", atomically: true, encoding: .utf8)
        try "- targetz: []\n".write(toFile: dir + "/bad.txt", atomically: true, encoding: .utf8)
        let j = try job("""
            scrape_configs:
              - job_name: nodes
                file_sd_configs: [{files: ["\(dir)/*.json", "\(dir)/*.yml"]}]
                relabel_configs:
                  - source_labels: [__meta_filepath]
                    regex: ".*/(.*)\\\\..*"
                    target_label: source
            """)
        let paths = j.fileSDConfigs.flatMap(FileSD.paths)
        #expect(paths == [dir + "/a.json", dir + "/b.yml"])
        let groups = try paths.flatMap { try FileSD.read($0) }
        #expect(groups.count == 2 && groups[0].targets.count == 2)
        let r = try TargetBuilder.targets(for: j, groups: groups)
        #expect(r.active.map(\.publicLabels) == [
            Labels(["job": "nodes", "instance": "10.0.0.1:9100", "env": "prod", "source": "a"]),
            Labels(["job": "nodes", "instance": "10.0.0.2:9100", "env": "prod", "source": "a"]),
            Labels(["job": "nodes", "instance": "10.0.0.3:9100", "env": "dev", "source": "b"]),
        ])
        #expect(r.active[0].labels["__meta_filepath"].isEmpty)
        #expect {
            try FileSD.read(dir + "/bad.txt")
        } throws: { e in
            "\(e)" == "\(dir)/bad.txt:1:3: field targetz not found in a target group"
        }
    }
}
