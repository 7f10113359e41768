import TSDB
import Yams

extension PrometheusConfig {
    /// `alerting:` — where alerts are sent and how their labels are rewritten first.
    public struct Alerting: Sendable, Equatable {
        public var alertRelabelConfigs: [RelabelConfig] = []
        public var alertmanagers: [Alertmanager] = []
    }

    /// One `alertmanagers` entry: a set of Alertmanagers reached the same way.
    public struct Alertmanager: Sendable, Equatable {
        public var scheme = "http"
        public var pathPrefix = "/"
        /// Only v2 exists since Alertmanager 0.27 (and Prometheus 3).
        public var apiVersion = "v2"
        public var timeout: Int64 = 10_000
        public var basicAuth: BasicAuth?
        public var authorization: Authorization?
        public var tls = TLS()
        public var staticConfigs: [StaticTargets] = []
        public var relabelConfigs: [RelabelConfig] = []

        /// The alerts endpoint of each target (`host:port`), after relabelling.
        public var alertsURLs: [String] {
            var prefix = pathPrefix
            while prefix.hasSuffix("/") { prefix.removeLast() }
            if !prefix.isEmpty && !prefix.hasPrefix("/") { prefix = "/" + prefix }
            return staticConfigs.flatMap { group in
                group.targets.compactMap { target -> String? in
                    var labels = Labels(group.labels + [Label("__address__", target), Label("__scheme__", scheme),
                                                        Label("__alerts_path__", prefix + "/api/v2/alerts")])
                    if !relabelConfigs.isEmpty {
                        // Validated when the configuration was parsed.
                        guard let relabelled = (try? Relabeler(relabelConfigs))?.apply(labels) else { return nil }
                        labels = relabelled
                    }
                    return "\(labels["__scheme__"])://\(labels["__address__"])\(labels["__alerts_path__"])"
                }
            }
        }
    }

    static func parseAlerting(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> Alerting {
        var a = Alerting()
        for (key, v) in try r.mapping(node, allowed: ["alert_relabel_configs", "alertmanagers"], context: "alerting") {
            switch key {
            case "alert_relabel_configs": a.alertRelabelConfigs = try relabelConfigs(v, r, key)
            default:
                for entry in try r.sequence(v, key) { a.alertmanagers.append(try parseAlertmanager(entry, r)) }
            }
        }
        return a
    }

    static func parseAlertmanager(_ node: Node, _ r: YAMLReader) throws(ConfigFileError) -> Alertmanager {
        var am = Alertmanager()
        let allowed: Set<String> = ["scheme", "path_prefix", "api_version", "timeout", "basic_auth", "authorization", "tls_config",
                                    "static_configs", "relabel_configs", "alert_relabel_configs", "follow_redirects",
                                    "enable_http2", "proxy_url", "no_proxy", "proxy_from_environment", "file_sd_configs"]
        for (key, v) in try r.mapping(node, allowed: allowed, context: "alertmanagers entry") {
            switch key {
            case "scheme":
                am.scheme = try r.string(v, key)
                guard am.scheme == "http" || am.scheme == "https" else {
                    throw r.error(v, "unknown scheme \"\(am.scheme)\": expected http or https")
                }
            case "path_prefix": am.pathPrefix = try r.string(v, key)
            case "api_version":
                am.apiVersion = try r.string(v, key)
                guard am.apiVersion == "v2" else {
                    throw r.error(v, "expected Alertmanager api version to be one of [v2] but got \(am.apiVersion)")
                }
            case "timeout": am.timeout = try r.duration(v, key)
            case "basic_auth": am.basicAuth = try basicAuth(v, r)
            case "authorization": am.authorization = try authorization(v, r)
            case "tls_config": am.tls = try tls(v, r)
            case "static_configs":
                for s in try r.sequence(v, key) { am.staticConfigs.append(try staticTargets(s, r)) }
            case "relabel_configs": am.relabelConfigs = try relabelConfigs(v, r, key)
            case "file_sd_configs":
                throw r.error(v, "file_sd_configs for Alertmanagers is not supported yet; list them in static_configs")
            default: break
            }
        }
        return am
    }
}
