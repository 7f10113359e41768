import TSDB
import Yams

/// A `prometheus.yml`, as much of it as this server acts on, with Prometheus'
/// structure, defaults and validation: `global`, `rule_files`,
/// `scrape_configs` (static and file-based targets, relabelling, auth,
/// limits). Sections acted on elsewhere or not yet (`alerting`,
/// `remote_write`, `remote_read`, `storage`, `tracing`, `runtime`, `otlp`)
/// must be mappings or lists but are not interpreted here.
public struct PrometheusConfig: Sendable {
    public struct Global: Sendable {
        public var scrapeInterval: Int64 = 60_000
        public var scrapeTimeout: Int64 = 10_000
        public var evaluationInterval: Int64 = 60_000
        /// Rules evaluate this much in the past (ms) unless their group says otherwise.
        public var ruleQueryOffset: Int64 = 0
        public var externalLabels: [Label] = []
        public var sampleLimit = 0
        public var labelLimit = 0
        public var bodySizeLimit: Int64 = 0
        public var scrapeProtocols = PrometheusConfig.defaultScrapeProtocols
    }

    public struct BasicAuth: Sendable, Equatable {
        public var username = ""
        public var password = ""
        public var passwordFile = ""
    }

    public struct Authorization: Sendable, Equatable {
        public var type = "Bearer"
        public var credentials = ""
        public var credentialsFile = ""
    }

    public struct TLS: Sendable, Equatable {
        public var caFile = ""
        public var certFile = ""
        public var keyFile = ""
        public var serverName = ""
        public var insecureSkipVerify = false
    }

    /// `static_configs` entry.
    public struct StaticTargets: Sendable, Equatable {
        public var targets: [String] = []
        public var labels: [Label] = []
    }

    /// `file_sd_configs` entry.
    public struct FileSD: Sendable, Equatable {
        public var files: [String] = []
        public var refreshInterval: Int64 = 300_000
    }

    /// One `scrape_configs` entry.
    public struct ScrapeJob: Sendable, Equatable {
        public var jobName = ""
        public var scrapeInterval: Int64 = 0
        public var scrapeTimeout: Int64 = 0
        public var metricsPath = "/metrics"
        public var scheme = "http"
        public var params: [String: [String]] = [:]
        public var honorLabels = false
        public var honorTimestamps = true
        public var basicAuth: BasicAuth?
        public var authorization: Authorization?
        public var tls = TLS()
        public var staticConfigs: [StaticTargets] = []
        public var fileSDConfigs: [FileSD] = []
        public var relabelConfigs: [RelabelConfig] = []
        public var metricRelabelConfigs: [RelabelConfig] = []
        public var sampleLimit = 0
        public var labelLimit = 0
        public var bodySizeLimit: Int64 = 0
        public var scrapeProtocols: [String] = []
    }

    public static let defaultScrapeProtocols = ["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4"]
    static let knownProtocols: Set<String> = ["PrometheusProto", "OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0",
                                              "PrometheusText0.0.4"]

    public var global = Global()
    public var ruleFiles: [String] = []
    public var alerting = Alerting()
    public var scrapeConfigs: [ScrapeJob] = []

    public init() {}

    /// Parses and validates a configuration; `file` names it in errors.
    public static func parse(_ yaml: String, file: String) throws(ConfigFileError) -> PrometheusConfig {
        let r = YAMLReader(file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw ConfigFileError(file: file, line: 1, column: 1, message: "\(error)")
        }
        var config = PrometheusConfig()
        guard let root else { return config }
        var jobNodes: [Node] = []
        let top: Set<String> = ["global", "rule_files", "scrape_configs", "scrape_config_files", "alerting", "remote_write",
                                "remote_read", "storage", "tracing", "runtime", "otlp"]
        for (key, node) in try r.mapping(root, allowed: top, context: "the configuration") {
            switch key {
            case "global": config.global = try parseGlobal(node, r)
            case "rule_files": config.ruleFiles = try r.strings(node, "rule_files")
            case "scrape_configs":
                jobNodes = try r.sequence(node, "scrape_configs")
            case "scrape_config_files": _ = try r.strings(node, "scrape_config_files")
            case "alerting": config.alerting = try parseAlerting(node, r)
            default:  // interpreted elsewhere (or not yet): only the shape is checked
                guard node.mapping != nil || node.sequence != nil || node.scalar?.string == "" || node.scalar?.string == "null" else {
                    throw r.error(node, "expected a mapping or a list for \(key)")
                }
            }
        }
        // Jobs after `global` is known (their defaults come from it), names unique.
        var names = Set<String>()
        for entry in jobNodes {
            let job = try parseJob(entry, config.global, r)
            guard names.insert(job.jobName).inserted else {
                throw r.error(entry, "found multiple scrape configs with job name \"\(job.jobName)\"")
            }
            config.scrapeConfigs.append(job)
        }
        return config
    }

    static func parseGlobal(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> Global {
        var g = Global()
        let allowed: Set<String> = ["scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels", "sample_limit",
                                    "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit",
                                    "body_size_limit", "keep_dropped_targets", "scrape_protocols", "query_log_file",
                                    "scrape_failure_log_file", "rule_query_offset", "metric_name_validation_scheme",
                                    "metric_name_escaping_scheme", "convert_classic_histograms_to_nhcb",
                                    "always_scrape_classic_histograms", "scrape_native_histograms"]
        var timeoutNode: Node?
        for (key, v) in try r.mapping(node, allowed: allowed, context: "global") {
            switch key {
            case "scrape_interval": g.scrapeInterval = try r.duration(v, key)
            case "scrape_timeout":
                g.scrapeTimeout = try r.duration(v, key)
                timeoutNode = v
            case "evaluation_interval": g.evaluationInterval = try r.duration(v, key)
            case "rule_query_offset": g.ruleQueryOffset = try r.duration(v, key)
            case "external_labels": g.externalLabels = try r.labels(v, key)
            case "sample_limit": g.sampleLimit = try r.int(v, key)
            case "label_limit": g.labelLimit = try r.int(v, key)
            case "body_size_limit": g.bodySizeLimit = try r.size(v, key)
            case "scrape_protocols": g.scrapeProtocols = try protocols(v, r)
            default: break
            }
        }
        if timeoutNode == nil && g.scrapeTimeout > g.scrapeInterval { g.scrapeTimeout = g.scrapeInterval }
        if g.scrapeTimeout > g.scrapeInterval {
            throw r.error(timeoutNode, "global scrape timeout greater than scrape interval")
        }
        return g
    }

    static func protocols(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> [String] {
        let list = try r.strings(node, "scrape_protocols")
        for (p, n) in zip(list, try r.sequence(node, "scrape_protocols")) where !knownProtocols.contains(p) {
            throw r.error(n, "unknown scrape protocol \(p), supported: \(knownProtocols.sorted().joined(separator: ", "))")
        }
        return list
    }

    static func parseJob(_ node: Node, _ global: Global, _ r: YAMLReader) throws(ConfigFileError) -> ScrapeJob {
        var job = ScrapeJob()
        let allowed: Set<String> = ["job_name", "scrape_interval", "scrape_timeout", "metrics_path", "scheme", "params", "honor_labels",
                                    "honor_timestamps", "track_timestamps_staleness", "basic_auth", "authorization", "bearer_token",
                                    "bearer_token_file", "tls_config", "proxy_url", "no_proxy", "proxy_from_environment",
                                    "follow_redirects", "enable_http2", "static_configs", "file_sd_configs", "relabel_configs",
                                    "metric_relabel_configs", "sample_limit", "label_limit", "label_name_length_limit",
                                    "label_value_length_limit", "target_limit", "body_size_limit", "keep_dropped_targets",
                                    "scrape_protocols", "fallback_scrape_protocol", "enable_compression", "scrape_failure_log_file",
                                    "metric_name_validation_scheme", "metric_name_escaping_scheme", "scrape_classic_histograms",
                                    "always_scrape_classic_histograms", "convert_classic_histograms_to_nhcb", "native_histogram_bucket_limit",
                                    "native_histogram_min_bucket_factor", "scrape_native_histograms"]
        var intervalSet = false, timeoutNode: Node?
        for (key, v) in try r.mapping(node, allowed: allowed, context: "scrape_configs entry") {
            switch key {
            case "job_name": job.jobName = try r.string(v, key)
            case "scrape_interval":
                job.scrapeInterval = try r.duration(v, key)
                intervalSet = true
            case "scrape_timeout":
                job.scrapeTimeout = try r.duration(v, key)
                timeoutNode = v
            case "metrics_path": job.metricsPath = try r.string(v, key)
            case "scheme":
                job.scheme = try r.string(v, key)
                guard job.scheme == "http" || job.scheme == "https" else {
                    throw r.error(v, "unknown scheme \"\(job.scheme)\": expected http or https")
                }
            case "params":
                guard let m = v.mapping else { throw r.error(v, "expected a mapping of parameter names to lists of values for params") }
                for (k, values) in m { job.params[k.string ?? ""] = try r.strings(values, "params.\(k.string ?? "")") }
            case "honor_labels": job.honorLabels = try r.bool(v, key)
            case "honor_timestamps": job.honorTimestamps = try r.bool(v, key)
            case "basic_auth": job.basicAuth = try basicAuth(v, r)
            case "authorization": job.authorization = try authorization(v, r)
            case "bearer_token": job.authorization = Authorization(type: "Bearer", credentials: try r.string(v, key), credentialsFile: "")
            case "bearer_token_file": job.authorization = Authorization(type: "Bearer", credentials: "", credentialsFile: try r.string(v, key))
            case "tls_config": job.tls = try tls(v, r)
            case "static_configs":
                for s in try r.sequence(v, key) { job.staticConfigs.append(try staticTargets(s, r)) }
            case "file_sd_configs":
                for s in try r.sequence(v, key) { job.fileSDConfigs.append(try fileSD(s, r)) }
            case "relabel_configs": job.relabelConfigs = try relabelConfigs(v, r, key)
            case "metric_relabel_configs": job.metricRelabelConfigs = try relabelConfigs(v, r, key)
            case "sample_limit": job.sampleLimit = try r.int(v, key)
            case "label_limit": job.labelLimit = try r.int(v, key)
            case "body_size_limit": job.bodySizeLimit = try r.size(v, key)
            case "scrape_protocols": job.scrapeProtocols = try protocols(v, r)
            default: break
            }
        }
        guard !job.jobName.isEmpty else { throw r.error(node, "job_name is empty") }
        if !intervalSet { job.scrapeInterval = global.scrapeInterval }
        if timeoutNode == nil { job.scrapeTimeout = min(global.scrapeTimeout, job.scrapeInterval) }
        if job.scrapeTimeout > job.scrapeInterval {
            throw r.error(timeoutNode ?? node, "scrape timeout greater than scrape interval for scrape config with job name \"\(job.jobName)\"")
        }
        if job.sampleLimit == 0 { job.sampleLimit = global.sampleLimit }
        if job.labelLimit == 0 { job.labelLimit = global.labelLimit }
        if job.bodySizeLimit == 0 { job.bodySizeLimit = global.bodySizeLimit }
        if job.scrapeProtocols.isEmpty { job.scrapeProtocols = global.scrapeProtocols }
        if job.basicAuth != nil && job.authorization != nil {
            throw r.error(node, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured")
        }
        return job
    }

    static func basicAuth(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> BasicAuth {
        var b = BasicAuth()
        for (key, v) in try r.mapping(node, allowed: ["username", "username_file", "password", "password_file"], context: "basic_auth") {
            switch key {
            case "username": b.username = try r.string(v, key)
            case "password": b.password = try r.string(v, key)
            case "password_file": b.passwordFile = try r.string(v, key)
            default: break
            }
        }
        return b
    }

    static func authorization(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> Authorization {
        var a = Authorization()
        for (key, v) in try r.mapping(node, allowed: ["type", "credentials", "credentials_file"], context: "authorization") {
            switch key {
            case "type": a.type = try r.string(v, key)
            case "credentials": a.credentials = try r.string(v, key)
            default: a.credentialsFile = try r.string(v, key)
            }
        }
        return a
    }

    static func tls(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> TLS {
        var t = TLS()
        let allowed: Set<String> = ["ca", "ca_file", "cert", "cert_file", "key", "key_file", "server_name", "insecure_skip_verify",
                                    "min_version", "max_version"]
        for (key, v) in try r.mapping(node, allowed: allowed, context: "tls_config") {
            switch key {
            case "ca_file": t.caFile = try r.string(v, key)
            case "cert_file": t.certFile = try r.string(v, key)
            case "key_file": t.keyFile = try r.string(v, key)
            case "server_name": t.serverName = try r.string(v, key)
            case "insecure_skip_verify": t.insecureSkipVerify = try r.bool(v, key)
            default: _ = try r.string(v, key)
            }
        }
        return t
    }

    static func staticTargets(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> StaticTargets {
        var s = StaticTargets()
        for (key, v) in try r.mapping(node, allowed: ["targets", "labels"], context: "static_configs entry") {
            if key == "targets" { s.targets = try r.strings(v, key) } else { s.labels = try r.labels(v, key) }
        }
        return s
    }

    static func fileSD(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> FileSD {
        var f = FileSD()
        for (key, v) in try r.mapping(node, allowed: ["files", "refresh_interval"], context: "file_sd_configs entry") {
            if key == "files" { f.files = try r.strings(v, key) } else { f.refreshInterval = try r.duration(v, key) }
        }
        return f
    }

    static func relabelConfigs(_ node: Node, _ r: YAMLReader, _ what: String) throws(ConfigFileError) -> [RelabelConfig] {
        var out: [RelabelConfig] = []
        let allowed: Set<String> = ["source_labels", "separator", "target_label", "regex", "modulus", "replacement", "action"]
        for entry in try r.sequence(node, what) {
            var c = RelabelConfig()
            for (key, v) in try r.mapping(entry, allowed: allowed, context: "\(what) entry") {
                switch key {
                case "source_labels": c.sourceLabels = try r.strings(v, key)
                case "separator": c.separator = try r.string(v, key)
                case "target_label": c.targetLabel = try r.string(v, key)
                case "regex": c.regex = try r.string(v, key)
                case "modulus": c.modulus = UInt64(try r.int(v, key))
                case "replacement": c.replacement = try r.string(v, key)
                default:
                    let name = try r.string(v, key)
                    guard let action = RelabelConfig.Action(rawValue: name.lowercased()) else {
                        throw r.error(v, "unknown relabel action \"\(name)\"")
                    }
                    c.action = action
                }
            }
            do { try c.validate() } catch { throw r.error(entry, error.description) }
            out.append(c)
        }
        return out
    }
}
