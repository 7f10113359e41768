import Foundation
import PromQL
import Synchronization

/// Tab completion that knows where the cursor is: meta-commands after `\`,
/// label names inside `{…}` and in `by (…)`/`on (…)`-style lists, label
/// values after `=`, `!=`, `=~`, `!~` and an opening quote, and otherwise
/// functions, aggregations, keywords and metric names. Names and values
/// come from the backend (cached for a few seconds, for remote servers).
public final class Completer: Sendable {
    let backend: any ShellBackend
    private let cache = Mutex<[String: (at: Date, values: [String])]>([:])
    static let keywords = ["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
                           "anchored", "bool", "fill(", "fill_left(", "fill_right(", "offset", "smoothed", "start()", "end()"]
    static let labelListKeywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]

    public init(backend: any ShellBackend) { self.backend = backend }

    /// What the word ending at the end of `text` (everything typed before
    /// the cursor, earlier lines of a query included) may become: whole
    /// replacements for that word, sorted.
    public func candidates(_ text: String) -> [String] {
        if text.hasPrefix("\\") && !text.contains(" ") {
            return MetaCommand.names.map { "\\" + $0 }.filter { $0.hasPrefix(text) }
        }
        if text.hasPrefix("\\") { return [] }
        let scan = QueryScanner(text)
        if let open = scan.openString {
            // A label value: `{label="pre` (the word is what follows the quote).
            guard scan.open.last?.bracket == "{", case .symbol(let op)? = scan.tokens.last, ["=", "!=", "=~", "!~"].contains(op),
                  scan.tokens.count >= 2, case .word(let label) = scan.tokens[scan.tokens.count - 2] else { return [] }
            let values = cached("values:\(label):\(metric(before: scan) ?? "")") {
                try backend.labelValues(label, metric(before: scan).map { ["{__name__=\"\($0)\"}"] } ?? [])
            }
            return values.filter { $0.hasPrefix(open.contents) }.map { $0 + String(open.quote) }
        }
        let prefix = String(text.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }.reversed())
        let context = QueryScanner(String(text.dropLast(prefix.count)))
        if let innermost = context.open.last {
            if innermost.bracket == "{" {
                let names = cached("names:\(metric(before: context) ?? "")") {
                    try backend.labelNames(metric(before: context).map { ["{__name__=\"\($0)\"}"] } ?? [])
                }
                return names.filter { $0 != "__name__" && $0.hasPrefix(prefix) }
            }
            if innermost.bracket == "(", innermost.tokensBefore > 0,
               case .word(let w) = context.tokens[innermost.tokensBefore - 1], Self.labelListKeywords.contains(w.lowercased()) {
                return cached("names:") { try backend.labelNames([]) }.filter { $0 != "__name__" && $0.hasPrefix(prefix) }
            }
            if innermost.bracket == "[" { return [] }  // a duration
        }
        guard !prefix.isEmpty else { return [] }
        var words = Set(Function.all.keys.map { $0 + "(" })
        words.formUnion(AggregateOp.allCases.map { $0.rawValue + "(" })
        words.formUnion(Self.keywords)
        words.formUnion(cached("values:__name__:") { try backend.labelValues("__name__", []) })
        return words.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The metric name written just before the innermost `{`, if any.
    private func metric(before scan: QueryScanner) -> String? {
        guard let brace = scan.open.last, brace.bracket == "{", brace.tokensBefore > 0,
              case .word(let name) = scan.tokens[brace.tokensBefore - 1] else { return nil }
        return name
    }

    private func cached(_ key: String, _ fetch: () throws -> [String]) -> [String] {
        if let hit = cache.withLock({ $0[key] }), Date().timeIntervalSince(hit.at) < 5 { return hit.values }
        let values = (try? fetch()) ?? []
        cache.withLock { $0[key] = (Date(), values) }
        return values
    }
}
