import TSDB

/// A promqltest script (`.test` file): `load`, `clear` and `eval` commands,
/// as Prometheus' `promql/promqltest` defines them. This is the reader; the
/// runner executes the commands against a database and the engine.
public struct TestScript: Sendable {
    public var file: String
    public var commands: [Command]

    public enum Command: Sendable {
        /// Series with points at 0, interval, 2·interval, … (milliseconds).
        case load(interval: Int64, series: [SeriesLine], line: Int)
        case clear(line: Int)
        case eval(Eval)
        /// `load_with_nhcb`: the float series, which are also loaded as native
        /// histograms with custom buckets (Prometheus' `convertnhcb`).
        case loadWithNHCB(interval: Int64, series: [SeriesLine], line: Int)
        /// A command we recognise but do not support yet (its evals fail, saying so).
        case unsupported(String, line: Int)
    }

    /// `metric{l="v"} 1 2+3x4 _ stale`
    public struct SeriesLine: Sendable {
        public var labels: Labels
        public var points: [SeriesPoint]
        public var line: Int
    }

    public enum EvalTime: Sendable, Equatable {
        /// Milliseconds.
        case instant(at: Int64)
        case range(start: Int64, end: Int64, step: Int64)
    }

    /// What an eval expects besides the result: failure, annotations, order.
    public struct Expectation: Sendable, Equatable {
        public enum Kind: String, Sendable { case fail, warn, info, noWarn = "no_warn", noInfo = "no_info", ordered, string, range }
        public var kind: Kind
        /// Exact message (`msg:`) or pattern (`regex:`), if given.
        public var message: String?
        public var isRegex: Bool
    }

    public struct Eval: Sendable {
        public var line: Int
        public var query: String
        public var time: EvalTime
        public var expectations: [Expectation]
        /// Expected series (labels and points); for scalar results one entry with empty labels.
        public var expected: [SeriesLine]
        /// `expect string "…"`
        public var expectedString: String?
        /// Whether a bare number line was given (a scalar result).
        public var expectsScalar: Bool
        /// `expect range vector from S to E step D`: an instant query returning
        /// a range vector whose samples sit at these times (milliseconds).
        public var expectedRangeVector: EvalTime?

        public var mustFail: Bool { expectations.contains { $0.kind == .fail } }
        public var ordered: Bool { expectations.contains { $0.kind == .ordered } }
    }

    /// Reads a script; errors name `file:line`.
    public static func parse(_ text: String, file: String) throws(PromQLError) -> TestScript {
        var commands: [Command] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        func fail(_ message: String, _ line: Int) -> PromQLError { PromQLError("\(file):\(line): \(message)") }
        /// A command's body ends at a blank line or at the next unindented command.
        func endsBody(_ raw: String) -> Bool {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return true }
            let indented = raw.first == " " || raw.first == "\t"
            return !indented && (t.hasPrefix("load") || t == "clear" || t.hasPrefix("eval"))
        }

        while i < lines.count {
            let raw = lines[i]
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            let lineNo = i + 1
            i += 1
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
            switch words[0] {
            case "clear":
                commands.append(.clear(line: lineNo))
            case "load", "load_with_nhcb":
                guard words.count == 2, let interval = parseTime(words[1]) else { throw fail("load needs an interval", lineNo) }
                var series: [SeriesLine] = []
                var startTimestamps = false
                while i < lines.count, !endsBody(lines[i]) {
                    let body = lines[i].trimmingCharacters(in: .whitespaces)
                    i += 1
                    if body.hasPrefix("#") { continue }
                    if let head = body.split(whereSeparator: { $0 == " " || $0 == "\t" }).first, head.hasSuffix("@st") {
                        startTimestamps = true  // start timestamps of samples (experimental): not supported yet
                        continue
                    }
                    series.append(try seriesLine(body, line: i, file: file))
                }
                if words[0] == "load_with_nhcb" {
                    commands.append(.loadWithNHCB(interval: interval, series: series, line: lineNo))
                } else if startTimestamps {
                    commands.append(.unsupported("load with start timestamps (@st)", line: lineNo))
                } else {
                    commands.append(.load(interval: interval, series: series, line: lineNo))
                }
            case let w where w.hasPrefix("eval"):
                var eval = try evalHeader(trimmed, line: lineNo, file: file)
                while i < lines.count, !endsBody(lines[i]) {
                    let body = lines[i].trimmingCharacters(in: .whitespaces)
                    i += 1
                    if body.hasPrefix("#") { continue }
                    if body.hasPrefix("expect ") || body == "expect" {
                        let arg = String(body.dropFirst("expect".count)).trimmingCharacters(in: .whitespaces)
                        if arg.hasPrefix("range vector ") {
                            let w = arg.split(separator: " ").map(String.init)
                            guard w.count == 8, w[2] == "from", w[4] == "to", w[6] == "step",
                                  let s = parseTime(w[3]), let e = parseTime(w[5]), let st = parseTime(w[7]) else {
                                throw fail("expected \"expect range vector from <start> to <end> step <step>\"", i)
                            }
                            eval.expectedRangeVector = .range(start: s, end: e, step: st)
                            continue
                        }
                        let e = try expectation(arg, line: i, file: file)
                        if e.kind == .string { eval.expectedString = e.message } else { eval.expectations.append(e) }
                        continue
                    }
                    if let first = body.split(separator: " ").first, SeriesNotation.number(first) != nil,
                       body.split(separator: " ").count == 1 {
                        eval.expectsScalar = true
                        eval.expected.append(SeriesLine(labels: .empty, points: try SeriesNotation.expand(body), line: i))
                        continue
                    }
                    eval.expected.append(try seriesLine(body, line: i, file: file))
                }
                commands.append(.eval(eval))
            default:
                throw fail("unknown command \"\(words[0])\"", lineNo)
            }
        }
        return TestScript(file: file, commands: commands)
    }

    /// `50m`, `1h30m`, `0`, `10s`, or a number of seconds, to milliseconds.
    static func parseTime(_ s: String) -> Int64? {
        if let ms = DurationFormat.parse(s) { return ms }
        if let secs = Double(s), secs.isFinite { return Int64((secs * 1000).rounded()) }
        return nil
    }

    static func evalHeader(_ text: String, line: Int, file: String) throws(PromQLError) -> Eval {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        func fail(_ m: String) -> PromQLError { PromQLError("\(file):\(line): \(m)") }
        guard words.count >= 4 else { throw fail("incomplete eval command") }
        var expectations: [Expectation] = []
        switch words[0] {
        case "eval": break
        case "eval_fail": expectations.append(Expectation(kind: .fail, message: nil, isRegex: false))
        case "eval_ordered": expectations.append(Expectation(kind: .ordered, message: nil, isRegex: false))
        case "eval_warn": expectations.append(Expectation(kind: .warn, message: nil, isRegex: false))
        case "eval_info": expectations.append(Expectation(kind: .info, message: nil, isRegex: false))
        default: throw fail("unknown command \"\(words[0])\"")
        }
        let time: EvalTime
        var queryStart: Int
        if words[1] == "instant" && words[2] == "at" {
            guard let t = parseTime(words[3]) else { throw fail("invalid time \"\(words[3])\"") }
            time = .instant(at: t)
            queryStart = 4
        } else if words[1] == "range" && words.count >= 8 && words[2] == "from" && words[4] == "to" && words[6] == "step" {
            guard let s = parseTime(words[3]), let e = parseTime(words[5]), let st = parseTime(words[7]) else {
                throw fail("invalid range \"\(words[3...7].joined(separator: " "))\"")
            }
            time = .range(start: s, end: e, step: st)
            queryStart = 8
        } else {
            throw fail("expected \"instant at <time>\" or \"range from <start> to <end> step <step>\"")
        }
        // The query is the rest of the original line (it may contain repeated spaces).
        var rest = Substring(text)
        for _ in 0..<queryStart {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            rest = rest.drop { $0 != " " && $0 != "\t" }
        }
        let query = rest.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { throw fail("eval has no query") }
        return Eval(line: line, query: query, time: time, expectations: expectations, expected: [], expectedString: nil,
                    expectsScalar: false, expectedRangeVector: nil)
    }

    /// `fail`, `warn msg: text`, `info regex: pattern`, `ordered`, `string "x"`, …
    static func expectation(_ text: String, line: Int, file: String) throws(PromQLError) -> Expectation {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard let kind = Expectation.Kind(rawValue: parts.first ?? "") else {
            throw PromQLError("\(file):\(line): unknown expectation \"\(text)\"")
        }
        if kind == .string {
            let arg = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            guard case .string(let s)? = try? Parser.parse(arg) else {
                throw PromQLError("\(file):\(line): expect string needs a quoted string, got \(arg)")
            }
            return Expectation(kind: .string, message: s, isRegex: false)
        }
        guard parts.count > 1 else { return Expectation(kind: kind, message: nil, isRegex: false) }
        let rest = parts[1]
        for (prefix, regex) in [("msg:", false), ("regex:", true)] where rest.hasPrefix(prefix) {
            var m = rest.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            if m.count >= 2, (m.hasPrefix("\"") && m.hasSuffix("\"")) || (m.hasPrefix("`") && m.hasSuffix("`")) {
                m = String(m.dropFirst().dropLast())
            }
            return Expectation(kind: kind, message: m, isRegex: regex)
        }
        throw PromQLError("\(file):\(line): expected \"msg:\" or \"regex:\" in expectation \"\(text)\"")
    }

    /// `metric{a="b"} 1 2 3`: the series part ends at its closing brace, or at
    /// the first blank when there are no braces.
    static func seriesLine(_ text: String, line: Int, file: String) throws(PromQLError) -> SeriesLine {
        var end = text.endIndex
        if let open = text.firstIndex(of: "{"), text[..<open].allSatisfy({ $0 != " " && $0 != "\t" }) {
            var inQuote: Character?
            var i = text.index(after: open)
            end = text.endIndex
            while i < text.endIndex {
                let c = text[i]
                if let q = inQuote {
                    if c == "\\" { i = text.index(after: i) } else if c == q { inQuote = nil }
                } else if c == "\"" || c == "'" || c == "`" {
                    inQuote = c
                } else if c == "}" {
                    end = text.index(after: i)
                    break
                }
                if i < text.endIndex { i = text.index(after: i) }
            }
        } else {
            end = text.firstIndex { $0 == " " || $0 == "\t" } ?? text.endIndex
        }
        let seriesText = String(text[..<end])
        let values = String(text[end...])
        let labels: Labels
        do {
            labels = try seriesLabels(seriesText)
        } catch {
            throw PromQLError("\(file):\(line): invalid series \"\(seriesText)\": \(error)")
        }
        do {
            return SeriesLine(labels: labels, points: try SeriesNotation.expand(values), line: line)
        } catch {
            throw PromQLError("\(file):\(line): \(error.message)")
        }
    }

    /// Labels of a series description: a selector of `=` matchers only (`{}` allowed).
    static func seriesLabels(_ text: String) throws(PromQLError) -> Labels {
        if text == "{}" { return .empty }
        var lexer = Lexer(text)
        let tokens = try lexer.tokenize()
        var pairs: [Label] = []
        var i = 0
        if tokens[i].kind == .identifier { pairs.append(Label(Labels.metricName, tokens[i].text)); i += 1 }
        if tokens[i].kind == .leftBrace {
            i += 1
            while tokens[i].kind != .rightBrace {
                guard tokens[i].kind == .identifier || tokens[i].kind == .string else {
                    throw PromQLError("unexpected \(tokens[i].display), expected label name", at: tokens[i].position)
                }
                let name = tokens[i].text
                i += 1
                if tokens[i].kind == .comma || tokens[i].kind == .rightBrace {
                    pairs.append(Label(Labels.metricName, name))  // {"quoted.name"}
                } else {
                    guard tokens[i].kind == .assign, tokens[i + 1].kind == .string else {
                        throw PromQLError("expected label=\"value\"", at: tokens[i].position)
                    }
                    pairs.append(Label(name, tokens[i + 1].text))
                    i += 2
                }
                if tokens[i].kind == .comma { i += 1 }
                if tokens[i].kind == .eof { throw PromQLError("unterminated label set") }
            }
            i += 1
        }
        guard tokens[i].kind == .eof else { throw PromQLError("unexpected \(tokens[i].display)", at: tokens[i].position) }
        return Labels(pairs)
    }
}

import Foundation
