import Foundation
import PromQL
import TSDB

/// The shell's interpreter, without any terminal: takes one complete input
/// (a query, possibly of several lines, or a backslash command), runs it
/// against the backend in the current mode, and returns the text to print.
/// `tsql` puts readline around it; tests call it directly.
public final class ShellSession {
    /// Instant queries at a time (nil: now), or range queries.
    public enum Mode: Equatable, Sendable {
        case instant(time: String?)
        case range(start: String, end: String, step: Int64)
    }

    /// What to print: `text` on standard output, `error` on standard error.
    public struct Output: Equatable, Sendable {
        public var text = ""
        public var error: String?
        public var quit = false
    }

    public let backend: any ShellBackend
    public let completer: Completer
    public var formatter: ResultFormatter
    public var mode = Mode.instant(time: nil)
    public var timing = false
    /// The clock, in milliseconds (tests fix it).
    public var now: () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    public init(backend: any ShellBackend, format: OutputFormat = .table) {
        self.backend = backend
        self.completer = Completer(backend: backend)
        self.formatter = ResultFormatter(format: format)
    }

    /// The prompt for the first line of an input, showing the mode.
    public var prompt: String {
        switch mode {
        case .instant: "tsql> "
        case .range: "tsql[range]> "
        }
    }

    public func execute(_ input: String, cancellation: QueryCancellation = QueryCancellation()) -> Output {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return Output() }
        if text.hasPrefix("\\") { return command(text) }
        return run(text, cancellation: cancellation)
    }

    // MARK: Queries

    func run(_ query: String, cancellation: QueryCancellation) -> Output {
        let started = ContinuousClock.now
        let answer: QueryAnswer
        let at: Int64
        do throws(ShellError) {
            switch mode {
            case .instant(let time):
                at = try resolve(time ?? "now")
                answer = try backend.query(query, at: at, cancellation: cancellation)
            case .range(let start, let end, let step):
                at = try resolve(end)
                answer = try backend.queryRange(query, start: try resolve(start), end: at, step: step, cancellation: cancellation)
            }
        } catch {
            return Output(error: Self.describe(error, in: query))
        }
        let took = ContinuousClock.now - started
        // Parsed once more here (the backend may be remote) for the chart's unit and the "no data" reasons.
        let expr = try? Parser.parse(query)
        var f = formatter
        f.unit = expr.map(Self.unit(of:)) ?? .plain
        var lines: [String] = []
        if Self.isEmpty(answer.result) && formatter.format != .json {
            lines.append(expr.map { explainEmpty($0, at: at) } ?? "no data")
        } else {
            lines.append(f.render(answer))
        }
        lines += answer.warnings.map { "warning: \($0)" } + answer.infos.map { "info: \($0)" }
        if timing {
            let ms = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
            lines.append("Time: \(String(format: "%.3f", ms)) ms" + (answer.samples.map { ", \($0) samples" } ?? ""))
        }
        return Output(text: lines.joined(separator: "\n"))
    }

    func resolve(_ time: String) throws(ShellError) -> Int64 {
        guard let t = TimeFormat.parse(time, now: now()) else { throw ShellError("cannot parse time \"\(time)\"") }
        return t
    }

    static func isEmpty(_ r: QueryResult) -> Bool {
        switch r {
        case .vector(let xs): xs.isEmpty
        case .matrix(let xs): xs.isEmpty
        case .scalar, .string: false
        }
    }

    /// "no data", and why where it can tell: no such metric, matchers that
    /// exclude every series, or series without samples in the window.
    func explainEmpty(_ expr: Expr, at t: Int64) -> String {
        var reasons: [String] = []
        expr.forEachSelector { vs in
            guard reasons.isEmpty else { return }
            if let name = vs.name ?? vs.matchers.first(where: { $0.name == Labels.metricName && $0.type == .equal })?.value,
               (try? backend.series(["{__name__=\(GoFormat.quote(name))}"]))?.isEmpty == true {
                reasons.append("no series named \(GoFormat.quote(name))")
                return
            }
            var plain = vs
            plain.offset = nil
            plain.at = nil
            guard let matching = try? backend.series([plain.description]) else { return }
            if matching.isEmpty {
                reasons.append("no series matches \(plain)")
                return
            }
            guard case .vectorSelector = expr else {
                reasons.append("\(matching.count) series match \(plain), but the expression around it gave no value "
                    + "(range functions like rate() need two samples in their window)")
                return
            }
            let when: String
            switch mode {
            case .instant: when = "in the lookback window before \(TimeFormat.rfc3339(t))"
            case .range: when = "in the range"
            }
            let shifted = vs.offset != nil || vs.at != nil ? " (shifted by its offset or @)" : ""
            reasons.append("\(matching.count) series match \(plain), but none has a sample \(when)\(shifted)")
        }
        return reasons.isEmpty ? "no data" : "no data: " + reasons[0]
    }

    /// The unit of the first metric the query reads, for chart axes.
    static func unit(of expr: Expr) -> ValueFormat.Unit {
        var unit = ValueFormat.Unit.plain
        var seen = false
        expr.forEachSelector { vs in
            guard !seen, let name = vs.name else { return }
            seen = true
            unit = ValueFormat.Unit(metricName: name)
        }
        return unit
    }

    /// The error, with the query and a caret under the failing position.
    static func describe(_ error: ShellError, in query: String) -> String {
        var text = "error: \(error.message)"
        if let line = error.line, let column = error.column {
            let lines = query.split(separator: "\n", omittingEmptySubsequences: false)
            if line >= 1 && line <= lines.count {
                let source = String(lines[line - 1])
                text += "\n  " + source + "\n  " + String(repeating: " ", count: max(0, min(column - 1, source.count))) + "^"
            }
        }
        return text
    }

    // MARK: Backslash commands

    func command(_ text: String) -> Output {
        let parts = text.dropFirst().split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        let args = argument.split(separator: " ").map(String.init)
        do throws(ShellError) {
            switch name {
            case "help", "?", "h":
                let width = MetaCommand.help.map(\.usage.count).max()!
                return Output(text: (MetaCommand.help.map { $0.usage.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.what }
                    + ["", "Anything else is a PromQL query; an unfinished one continues on the next line.",
                       "Tab completes functions, metrics, labels and values; Ctrl-C cancels a query; Ctrl-D leaves."])
                    .joined(separator: "\n"))
            case "quit", "q", "exit":
                return Output(quit: true)
            case "time":
                if argument.isEmpty || argument == "now" {
                    mode = .instant(time: nil)
                    return Output(text: "instant queries at the current time")
                }
                let t = try resolve(argument)
                mode = .instant(time: argument)
                return Output(text: "instant queries at \(TimeFormat.rfc3339(t))")
            case "instant":
                mode = .instant(time: nil)
                return Output(text: "instant queries at the current time")
            case "range":
                guard args.count == 3 else { throw ShellError("usage: \\range START END STEP   e.g. \\range now-1h now 1m") }
                let (start, end) = (try resolve(args[0]), try resolve(args[1]))
                guard let step = DurationFormat.parse(args[2]) ?? Double(args[2]).map({ Int64($0 * 1000) }), step > 0 else {
                    throw ShellError("cannot parse step \"\(args[2])\" (e.g. 15s, 1m)")
                }
                guard end >= start else { throw ShellError("the end (\(args[1])) is before the start (\(args[0]))") }
                mode = .range(start: args[0], end: args[1], step: step)
                if formatter.format == .table { formatter.format = .chart }
                return Output(text: "range queries from \(TimeFormat.rfc3339(start)) to \(TimeFormat.rfc3339(end)), step \(DurationFormat.format(step)); "
                    + "format \(formatter.format.rawValue)")
            case "format":
                guard let f = OutputFormat(rawValue: argument) else { throw ShellError("usage: \\format table|json|csv|chart") }
                formatter.format = f
                return Output(text: "format \(f.rawValue)")
            case "timing":
                switch argument {
                case "on": timing = true
                case "off": timing = false
                case "": timing.toggle()
                default: throw ShellError("usage: \\timing on|off")
                }
                return Output(text: "timing \(timing ? "on" : "off")")
            case "labels":
                let names = try backend.labelNames(argument.isEmpty ? [] : [argument])
                return Output(text: names.isEmpty ? "no labels" : names.joined(separator: "\n"))
            case "series":
                guard !argument.isEmpty else { throw ShellError("usage: \\series SELECTOR   e.g. \\series up{job=\"api\"}") }
                let series = try backend.series([argument])
                return Output(text: series.isEmpty ? "no series" : (series.map { ChartRenderer.legend($0) } + ["(\(series.count) series)"]).joined(separator: "\n"))
            case "stats":
                return Output(text: try backend.stats().joined(separator: "\n"))
            case "explain":
                guard !argument.isEmpty else { throw ShellError("usage: \\explain QUERY") }
                do {
                    return Output(text: try Parser.parse(argument).pretty())
                } catch {
                    throw ShellError(error.message + (error.expected.map { ", expected \($0)" } ?? ""),
                                     line: error.position?.line, column: error.position?.column)
                }
            case "import":
                guard !argument.isEmpty else { throw ShellError("usage: \\import FILE") }
                return Output(text: try backend.importFile(argument))
            default:
                let hint = MetaCommand.closest(to: name).map { "; did you mean \\\($0)?" } ?? ""
                return Output(error: "unknown command \\\(name)\(hint) (\\help lists them)")
            }
        } catch {
            return Output(error: Self.describe(error, in: name == "explain" ? argument : text))
        }
    }
}
