import TSDB
import Yams

/// A problem in a configuration file: `file:line:column: message`.
public struct ConfigFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Reads typed values out of a YAML node tree, strictly: every key of a
/// mapping must be known (as Go's yaml.UnmarshalStrict, which Prometheus
/// uses), every value must have the expected type, and each error names
/// the line and column it is about.
public struct YAMLReader {
    public let file: String

    public init(file: String) { self.file = file }

    public func error(_ node: Node?, _ message: String) -> ConfigFileError {
        ConfigFileError(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message)
    }

    /// The entries of a mapping; unknown keys are an error naming `context`.
    public func mapping(_ node: Node, allowed: Set<String>, context: String) throws(ConfigFileError) -> [(key: String, node: Node)] {
        if case .scalar(let s) = node, s.string == "" || s.string == "null" || s.string == "~" { return [] }
        guard let m = node.mapping else { throw error(node, "expected a mapping for \(context)") }
        var out: [(String, Node)] = []
        var seen = Set<String>()
        for (k, v) in m {
            guard let key = k.string else { throw error(k, "expected a string key in \(context)") }
            guard allowed.contains(key) else { throw error(k, "field \(key) not found in \(context)") }
            guard seen.insert(key).inserted else { throw error(k, "field \(key) already set in \(context)") }
            out.append((key, v))
        }
        return out
    }

    public func sequence(_ node: Node, _ what: String) throws(ConfigFileError) -> [Node] {
        if case .scalar(let s) = node, s.string == "" || s.string == "null" { return [] }
        guard let s = node.sequence else { throw error(node, "expected a list for \(what)") }
        return Array(s)
    }

    public func string(_ node: Node, _ what: String) throws(ConfigFileError) -> String {
        guard case .scalar(let s) = node else { throw error(node, "expected a string for \(what)") }
        return s.string
    }

    public func strings(_ node: Node, _ what: String) throws(ConfigFileError) -> [String] {
        var out: [String] = []
        for n in try sequence(node, what) { out.append(try string(n, what)) }
        return out
    }

    public func bool(_ node: Node, _ what: String) throws(ConfigFileError) -> Bool {
        guard case .scalar = node, let b = node.bool else { throw error(node, "expected true or false for \(what)") }
        return b
    }

    public func int(_ node: Node, _ what: String) throws(ConfigFileError) -> Int {
        guard case .scalar = node, let n = node.int, n >= 0 else { throw error(node, "expected a non-negative integer for \(what)") }
        return n
    }

    /// A Prometheus duration (`15s`, `1m30s`), in milliseconds.
    public func duration(_ node: Node, _ what: String) throws(ConfigFileError) -> Int64 {
        let s = try string(node, what)
        guard let ms = DurationFormat.parse(s) else { throw error(node, "not a valid duration string: \"\(s)\" (\(what))") }
        return ms
    }

    /// A size with Prometheus' units (`10MB`, powers of two); 0 for "0" or "".
    public func size(_ node: Node, _ what: String) throws(ConfigFileError) -> Int64 {
        let s = try string(node, what)
        if s.isEmpty || s == "0" { return 0 }
        guard let bytes = ByteSizeFormat.parse(s) else {
            throw error(node, "not a valid size: \"\(s)\" (\(what); units B, KB, MB, GB, TB, PB, EB)")
        }
        return bytes
    }

    /// A mapping of label names to values.
    public func labels(_ node: Node, _ what: String) throws(ConfigFileError) -> [Label] {
        if case .scalar(let s) = node, s.string == "" || s.string == "null" { return [] }
        guard let m = node.mapping else { throw error(node, "expected a mapping of label names to values for \(what)") }
        var out: [Label] = []
        for (k, v) in m {
            guard let name = k.string, !name.isEmpty else { throw error(k, "invalid label name in \(what)") }
            out.append(Label(name, try string(v, "the value of label \(name)")))
        }
        return out
    }
}
