import Foundation
import TSDB
import Yams

/// A group of discovered targets sharing labels: one `static_configs`
/// entry, or one entry of a `file_sd_configs` file.
public struct TargetGroup: Sendable, Equatable {
    public var targets: [String]
    public var labels: [Label]
    /// Where the group came from (`__meta_filepath` for files).
    public var source: String

    public init(targets: [String], labels: [Label], source: String) {
        self.targets = targets
        self.labels = labels
        self.source = source
    }
}

/// One target to scrape, with its labels after relabelling.
public struct ScrapeTarget: Sendable, Equatable {
    /// All labels after relabelling, `__address__`, `__scheme__`, … included.
    public var labels: Labels
    /// The labels before relabelling (`discoveredLabels` in `/api/v1/targets`).
    public var discoveredLabels: Labels
    public var interval: Int64
    public var timeout: Int64

    /// The labels every scraped series gets: those not starting with `__`.
    public var publicLabels: Labels { labels.filter { !$0.name.hasPrefix("__") } }

    /// `scheme://address/path?params`, params from the `__param_*` labels.
    public var url: String {
        var components = URLComponents()
        components.scheme = labels["__scheme__"]
        let address = labels["__address__"]
        if let colon = address.lastIndex(of: ":"), !address.hasSuffix("]"), let port = Int(address[address.index(after: colon)...]) {
            components.host = String(address[..<colon])
            components.port = port
        } else {
            components.host = address
        }
        components.path = labels["__metrics_path__"]
        let params = labels.pairs.filter { $0.name.hasPrefix("__param_") }
        if !params.isEmpty {
            components.queryItems = params.map { URLQueryItem(name: String($0.name.dropFirst("__param_".count)), value: $0.value) }
        }
        return components.string ?? ""
    }
}

/// Prometheus' `PopulateLabels`: target labels from the discovered groups,
/// the job's defaults, relabelling, checks, and `instance` defaulting to the
/// address. Returns the active targets and the discovered labels of the
/// dropped ones (for `/api/v1/targets`), and errors for invalid targets.
public enum TargetBuilder {
    public struct Result: Sendable {
        public var active: [ScrapeTarget] = []
        public var dropped: [Labels] = []
        public var errors: [String] = []
    }

    public static func targets(for job: PrometheusConfig.ScrapeJob, groups: [TargetGroup]) throws -> Result {
        let relabeler = try Relabeler(job.relabelConfigs)
        var result = Result()
        var seen = Set<Labels>()
        for group in groups {
            for address in group.targets {
                var l: [String: String] = ["__address__": address]
                for p in group.labels where l[p.name] == nil { l[p.name] = p.value }
                let defaults = [("job", job.jobName), ("__scrape_interval__", DurationFormat.format(job.scrapeInterval)),
                                ("__scrape_timeout__", DurationFormat.format(job.scrapeTimeout)),
                                ("__metrics_path__", job.metricsPath), ("__scheme__", job.scheme)]
                for (name, value) in defaults where (l[name] ?? "").isEmpty { l[name] = value }
                for (name, values) in job.params.sorted(by: { $0.key < $1.key }) where !values.isEmpty && (l["__param_" + name] ?? "").isEmpty {
                    l["__param_" + name] = values[0]
                }
                let discovered = Labels(l)
                guard var relabelled = relabeler.apply(discovered) else {
                    result.dropped.append(discovered)
                    continue
                }
                let address = relabelled["__address__"]
                guard !address.isEmpty else {
                    result.errors.append("no address for target \(discovered)")
                    continue
                }
                if address.contains("/") {
                    result.errors.append("\"\(address)\" is not a valid hostname (target \(discovered))")
                    continue
                }
                guard let interval = DurationFormat.parse(relabelled["__scrape_interval__"]), interval > 0 else {
                    result.errors.append("invalid scrape interval \"\(relabelled["__scrape_interval__"])\" for target \(discovered)")
                    continue
                }
                guard let timeout = DurationFormat.parse(relabelled["__scrape_timeout__"]), timeout > 0, timeout <= interval else {
                    result.errors.append("invalid scrape timeout \"\(relabelled["__scrape_timeout__"])\" for target \(discovered)")
                    continue
                }
                // Meta labels go after relabelling; instance defaults to the address.
                var pairs = relabelled.pairs.filter { !$0.name.hasPrefix("__meta_") }
                if relabelled["instance"].isEmpty { pairs.append(Label("instance", address)) }
                relabelled = Labels(pairs)
                // Identical targets after relabelling are scraped once.
                guard seen.insert(relabelled).inserted else { continue }
                result.active.append(ScrapeTarget(labels: relabelled, discoveredLabels: discovered, interval: interval, timeout: timeout))
            }
        }
        return result
    }

    /// The groups of a job's `static_configs`.
    public static func staticGroups(_ job: PrometheusConfig.ScrapeJob) -> [TargetGroup] {
        job.staticConfigs.enumerated().map { TargetGroup(targets: $1.targets, labels: $1.labels, source: "\($0)") }
    }
}

/// Reads `file_sd_configs` files: a JSON or YAML list of `{targets, labels}`;
/// every group gets `__meta_filepath`.
public enum FileSD {
    public static func read(_ path: String) throws(ConfigFileError) -> [TargetGroup] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(file: path, line: 1, column: 1, message: "cannot read the file")
        }
        let r = YAMLReader(file: path)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {  // JSON is YAML
            throw ConfigFileError(file: path, line: 1, column: 1, message: "\(error)")
        }
        guard let root else { return [] }
        var groups: [TargetGroup] = []
        for entry in try r.sequence(root, "the target groups") {
            var g = TargetGroup(targets: [], labels: [Label("__meta_filepath", path)], source: path)
            for (key, v) in try r.mapping(entry, allowed: ["targets", "labels"], context: "a target group") {
                if key == "targets" { g.targets = try r.strings(v, key) } else { g.labels += try r.labels(v, key) }
            }
            groups.append(g)
        }
        return groups
    }

    /// The files a `file_sd_configs` entry names (globs in the last path component).
    public static func paths(_ config: PrometheusConfig.FileSD) -> [String] { config.files.flatMap(PathGlob.expand) }
}
