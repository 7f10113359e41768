import PromQL
import TSDB

/// Where the shell's queries go: a data directory opened in this process
/// (`EmbeddedBackend`) or any Prometheus-compatible server (`RemoteBackend`).
/// Calls block until answered; `cancellation` stops a running query.
public protocol ShellBackend: AnyObject, Sendable {
    /// Shown in the banner and by `\stats`: the directory or the URL.
    var name: String { get }
    func query(_ query: String, at t: Int64, cancellation: QueryCancellation) throws(ShellError) -> QueryAnswer
    func queryRange(_ query: String, start: Int64, end: Int64, step: Int64,
                    cancellation: QueryCancellation) throws(ShellError) -> QueryAnswer
    /// Label names of the series matching `matchers` (selectors; all series if empty).
    func labelNames(_ matchers: [String]) throws(ShellError) -> [String]
    func labelValues(_ name: String, _ matchers: [String]) throws(ShellError) -> [String]
    func series(_ matchers: [String]) throws(ShellError) -> [Labels]
    /// What `/api/v1/status/tsdb` says, as lines of text.
    func stats() throws(ShellError) -> [String]
    /// Imports an exposition file; returns a one-line summary.
    func importFile(_ path: String) throws(ShellError) -> String
}

/// A query's result with what came with it.
public struct QueryAnswer: Sendable {
    public var result: QueryResult
    public var warnings: [String] = []
    public var infos: [String] = []
    /// Samples the query touched, when the backend knows.
    public var samples: Int?

    public init(result: QueryResult, warnings: [String] = [], infos: [String] = [], samples: Int? = nil) {
        self.result = result
        self.warnings = warnings
        self.infos = infos
        self.samples = samples
    }
}

/// An error to show the user: the message, and for query errors the
/// position in the query (line and column, from 1) to put a caret under.
public struct ShellError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var line: Int?
    public var column: Int?

    public init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { message }
}
