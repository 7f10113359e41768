import Foundation
import Ingest
import Synchronization
import Yams

/// The server's `prometheus.yml` (`--config.file`): loaded at start, again
/// on `POST /-/reload` or SIGHUP, and shown by `/api/v1/status/config`.
/// A reload that fails keeps the previous configuration, as Prometheus does,
/// and is visible in `/api/v1/status/runtimeinfo` (`reloadConfigSuccess`).
public final class ConfigStore: Sendable {
    /// Prometheus' configuration when no file is given.
    static let defaultYAML = """
        global:
          scrape_interval: 1m
          scrape_timeout: 10s
          scrape_protocols:
          - OpenMetricsText1.0.0
          - OpenMetricsText0.0.1
          - PrometheusText1.0.0
          - PrometheusText0.0.4
          evaluation_interval: 1m
        runtime:
          gogc: 75

        """

    struct State {
        var yaml: String
        var parsed: PrometheusConfig
        var lastReloadSucceeded = true
        var lastSuccessfulLoad = Date()
    }

    public let path: String?
    private let state: Mutex<State>
    private let observers = Mutex<[@Sendable (PrometheusConfig) -> Void]>([])
    private let preparers = Mutex<[@Sendable (PrometheusConfig) throws -> @Sendable () -> Void]>([])

    /// Adds a step a reload must pass: `prepare` reads what the new
    /// configuration names (rule files) and throws if it is broken, which
    /// fails the whole reload; otherwise the closure it returns puts it in
    /// effect, after every step has passed.
    public func onReload(prepare: @escaping @Sendable (PrometheusConfig) throws -> @Sendable () -> Void) {
        preparers.withLock { $0.append(prepare) }
    }

    /// Calls `f` with every configuration a reload puts in effect (the scraper follows it).
    public func onReload(_ f: @escaping @Sendable (PrometheusConfig) -> Void) {
        observers.withLock { $0.append(f) }
    }

    /// Prometheus' default configuration, with no file behind it.
    public init() {
        path = nil
        state = Mutex(State(yaml: Self.defaultYAML, parsed: try! PrometheusConfig.parse(Self.defaultYAML, file: "default")))
    }

    /// Loads `path` (or the default configuration); a bad file fails the start.
    public init(path: String?) throws(ConfigError) {
        self.path = path
        let (yaml, parsed) = try path.map { p throws(ConfigError) in try Self.load(p) }
            ?? (Self.defaultYAML, try! PrometheusConfig.parse(Self.defaultYAML, file: "default"))
        state = Mutex(State(yaml: yaml, parsed: parsed))
    }

    /// The configuration in effect, as text.
    public var yaml: String { state.withLock { $0.yaml } }
    /// The configuration in effect, parsed.
    public var parsed: PrometheusConfig { state.withLock { $0.parsed } }
    public var lastReloadSucceeded: Bool { state.withLock { $0.lastReloadSucceeded } }
    public var lastSuccessfulLoad: Date { state.withLock { $0.lastSuccessfulLoad } }

    /// Re-reads the file; on error the previous configuration stays in effect.
    public func reload() throws(ConfigError) {
        guard let path else {
            state.withLock { $0.lastReloadSucceeded = true; $0.lastSuccessfulLoad = Date() }
            return
        }
        do {
            let (yaml, parsed) = try Self.load(path)
            let commits = try prepare(parsed)
            state.withLock { $0 = State(yaml: yaml, parsed: parsed) }
            for commit in commits { commit() }
            for f in observers.withLock({ $0 }) { f(parsed) }
        } catch {
            state.withLock { $0.lastReloadSucceeded = false }
            throw error
        }
    }

    /// Runs every reload step's check; the first failure fails the reload.
    private func prepare(_ parsed: PrometheusConfig) throws(ConfigError) -> [@Sendable () -> Void] {
        var commits: [@Sendable () -> Void] = []
        for step in preparers.withLock({ $0 }) {
            let commit: @Sendable () -> Void
            do { commit = try step(parsed) } catch { throw ConfigError("\(error)") }
            commits.append(commit)
        }
        return commits
    }

    /// Reads and checks a configuration file: readable, valid YAML, and a valid
    /// Prometheus configuration (`PrometheusConfig`: known keys, valid values).
    static func load(_ path: String) throws(ConfigError) -> (String, PrometheusConfig) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("\(path): cannot read the configuration file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("\(path): the configuration file is not UTF-8")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch let e as YamlError {
            throw ConfigError("\(path):\(Self.describe(e))")
        } catch {
            throw ConfigError("\(path): \(error)")
        }
        if let node, node.mapping == nil {
            throw ConfigError("\(path):1:1: the configuration must be a YAML mapping (global:, scrape_configs:, …)")
        }
        do { return (text, try PrometheusConfig.parse(text, file: path)) } catch {
            throw ConfigError(error.description)
        }
    }

    /// `line:column: problem` from a Yams error.
    static func describe(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            "\(mark.line):\(mark.column): \(problem)"
        default:
            " \(e)"
        }
    }
}

/// A configuration file that could not be loaded; the message names the file and place.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
