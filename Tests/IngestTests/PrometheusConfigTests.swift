import Testing
@testable import Ingest
import TSDB

@Suite("prometheus.yml")
struct PrometheusConfigTests {
    static let seedStyle = """
        global:
          scrape_interval: 15s
          evaluation_interval: 30s
          external_labels:
            cluster: eu-1
        rule_files:
          - rules/*.yml
        scrape_configs:
          - job_name: app
            scrape_interval: 5s
            scrape_timeout: 3s
            static_configs:
              - targets: ["127.0.0.1:8080", "127.0.0.1:8081"]
                labels: {service: checkout, tier: backend, node: n1, port: "8080"}
          - job_name: blackbox-http
            metrics_path: /probe
            params:
              module: [http_2xx]
            static_configs:
              - targets: [https://example.com]
            relabel_configs:
              - source_labels: [__address__]
                target_label: __param_target
              - source_labels: [__param_target]
                target_label: instance
              - target_label: __address__
                replacement: 127.0.0.1:9115
            metric_relabel_configs:
              - source_labels: [__name__]
                regex: go_.*
                action: drop
          - job_name: files
            basic_auth: {username: u, password: p}
            file_sd_configs:
              - files: [targets/*.json]
                refresh_interval: 1m
        remote_write:
          - url: http://127.0.0.1:9201/write
            queue_config: {batch_send_deadline: 5s}
        alerting:
          alertmanagers:
            - static_configs: [{targets: ["127.0.0.1:9093"]}]
        """

    @Test("the seeds' style of configuration, with Prometheus' defaults filled in")
    func seedStyle() throws {
        let c = try PrometheusConfig.parse(Self.seedStyle, file: "prometheus.yml")
        #expect(c.global.scrapeInterval == 15_000 && c.global.scrapeTimeout == 10_000 && c.global.evaluationInterval == 30_000)
        #expect(c.global.externalLabels == [Label("cluster", "eu-1")])
        #expect(c.ruleFiles == ["rules/*.yml"])
        #expect(c.scrapeConfigs.map(\.jobName) == ["app", "blackbox-http", "files"])
        let app = c.scrapeConfigs[0]
        #expect(app.scrapeInterval == 5_000 && app.scrapeTimeout == 3_000 && app.metricsPath == "/metrics" && app.scheme == "http")
        #expect(app.staticConfigs[0].targets == ["127.0.0.1:8080", "127.0.0.1:8081"])
        #expect(Set(app.staticConfigs[0].labels.map(\.name)) == ["service", "tier", "node", "port"])
        #expect(app.honorTimestamps && !app.honorLabels)
        #expect(app.scrapeProtocols == PrometheusConfig.defaultScrapeProtocols)
        let bb = c.scrapeConfigs[1]
        #expect(bb.scrapeInterval == 15_000 && bb.scrapeTimeout == 10_000)  // from global
        #expect(bb.params == ["module": ["http_2xx"]] && bb.metricsPath == "/probe")
        #expect(bb.relabelConfigs.count == 3 && bb.metricRelabelConfigs[0].action == .drop)
        let relabeled = try Relabeler(bb.relabelConfigs).apply(Labels(["__address__": "https://example.com", "job": "blackbox-http"]))
        #expect(relabeled?["__address__"] == "127.0.0.1:9115" && relabeled?["instance"] == "https://example.com")
        #expect(c.scrapeConfigs[2].basicAuth == PrometheusConfig.BasicAuth(username: "u", password: "p", passwordFile: ""))
        #expect(c.scrapeConfigs[2].fileSDConfigs[0].refreshInterval == 60_000)
    }

    @Test("errors name file, line and column", arguments: [
        ("global:\n  scrape_intervall: 15s\n", "c.yml:2:3: field scrape_intervall not found in global"),
        ("global:\n  scrape_interval: 15x\n", "c.yml:2:20: not a valid duration string: \"15x\" (scrape_interval)"),
        ("scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n",
         "c.yml:4:21: scrape timeout greater than scrape interval for scrape config with job name \"a\""),
        ("scrape_configs:\n  - job_name: a\n  - job_name: a\n", "c.yml:3:5: found multiple scrape configs with job name \"a\""),
        ("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: explode\n",
         "c.yml:4:17: unknown relabel action \"explode\""),
        ("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: hashmod\n        target_label: x\n",
         "c.yml:4:9: relabel configuration for hashmod requires non-zero modulus"),
        ("scrape_configs:\n  - job_name: a\n    scheme: ftp\n", "c.yml:3:13: unknown scheme \"ftp\": expected http or https"),
        ("scrape_configs:\n  - scrape_interval: 5s\n", "c.yml:2:5: job_name is empty"),
        ("bogus: 1\n", "c.yml:1:1: field bogus not found in the configuration"),
        ("global:\n  external_labels: [a]\n", "c.yml:2:20: expected a mapping of label names to values for external_labels"),
    ])
    func errors(yaml: String, message: String) {
        #expect {
            try PrometheusConfig.parse(yaml, file: "c.yml")
        } throws: { e in
            "\(e)" == message
        }
    }
}
