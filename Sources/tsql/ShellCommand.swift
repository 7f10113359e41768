#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import PromQL
import Shell
import TSDB

extension OutputFormat: ExpressibleByArgument {}

/// `tsql` (the default command): the interactive shell over a data
/// directory opened in this process, or over any Prometheus-compatible
/// server with `--url`. With `-e QUERY` or queries piped on standard input
/// it runs them and exits (non-zero if any failed, errors on stderr).
struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell", abstract: "The interactive PromQL shell (the default command).")

    @Option(name: [.customLong("data"), .customLong("storage.tsdb.path")], help: "Data directory to open (embedded mode).")
    var data = "./data"
    @Option(help: "Query this Prometheus-compatible server instead (e.g. http://127.0.0.1:9090).")
    var url: String?
    @Option(name: [.short, .customLong("execute")], help: "Run this query (or \\command) and exit; may be repeated.")
    var execute: [String] = []
    @Option(help: "table, json, csv or chart (default: table on a terminal, json otherwise).")
    var format: OutputFormat?
    @Flag(name: .customLong("no-color"), help: "No ANSI colours in charts.")
    var noColor = false

    func run() throws {
        let backend: any ShellBackend
        var db: DB?
        if let url {
            backend = try RemoteBackend(url: url)
        } else {
            var o = DBOptions()
            o.compactionInterval = nil  // a shell session does not run maintenance
            db = try DB.open(data, options: o)
            backend = EmbeddedBackend(db: db!)
        }
        defer { try? db?.close() }
        let runner = ShellRunner(backend: backend, format: format, color: !noColor)
        if !execute.isEmpty || isatty(0) == 0 {
            if try !runner.runBatch(execute.isEmpty ? nil : execute) { throw ExitCode(1) }
        } else {
            runner.runInteractive(hint: nil)
        }
    }
}

/// Drives a `ShellSession`: interactively with the line editor, or over
/// given inputs (batch mode).
struct ShellRunner {
    let session: ShellSession
    let interactiveFormat: Bool

    init(backend: any ShellBackend, format: OutputFormat?, color: Bool) {
        let terminal = isatty(1) != 0
        session = ShellSession(backend: backend, format: format ?? (terminal ? .table : .json))
        session.formatter.width = Self.terminalWidth()
        session.formatter.color = color && terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        interactiveFormat = terminal
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }

    /// Runs `inputs` (or what standard input holds, split into complete
    /// queries); returns whether all succeeded.
    func runBatch(_ inputs: [String]?) throws -> Bool {
        var queries = inputs ?? []
        if inputs == nil {
            var pending = ""
            while let line = readLine(strippingNewline: true) {
                pending += pending.isEmpty ? line : "\n" + line
                if pending.hasPrefix("\\") || !QueryScanner.needsMore(pending) {
                    queries.append(pending)
                    pending = ""
                }
            }
            if !pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { queries.append(pending) }
        }
        var ok = true
        for q in queries {
            let out = session.execute(q)
            if !out.text.isEmpty { print(out.text) }
            fflush(nil)  // all streams: a pipe reader sees each answer at once
            if let e = out.error {
                FileHandle.standardError.write(Data((e + "\n").utf8))
                ok = false
            }
            if out.quit { break }
        }
        return ok
    }

    /// The read-eval-print loop on a terminal, until Ctrl-D or \quit.
    func runInteractive(hint: String?) {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "."
        let editor = LineEditor(historyFile: home + "/.tsql_history") { [session] in session.completer.candidates($0) }
        print("tsql on \(session.backend.name) — \\help for commands, Tab completes, Ctrl-C cancels, Ctrl-D leaves.")
        if let hint { print(hint) }
        while true {
            let prompt = session.prompt
            let continuation = String(repeating: " ", count: max(0, prompt.count - 5)) + "...> "
            guard let input = editor.read(prompt: prompt, continuation: continuation, needsMore: QueryScanner.needsMore) else {
                print()
                return
            }
            let cancellation = QueryCancellation()
            let worker = UncheckedSession(session)
            let out = editor.waitCancellable({ worker.execute(input, cancellation) }, cancel: { cancellation.cancel() })
            if !out.text.isEmpty { print(out.text) }
            fflush(nil)  // all streams: a pipe reader sees each answer at once
            if let e = out.error { FileHandle.standardError.write(Data((e + "\n").utf8)) }
            if out.quit { return }
        }
    }
}

/// Lets the worker thread run the session while the main thread waits.
private struct UncheckedSession: @unchecked Sendable {
    // @unchecked: the main thread does nothing with the session until the
    // worker is done (it only waits for it and watches for Ctrl-C).
    let session: ShellSession
    init(_ s: ShellSession) { session = s }
    func execute(_ input: String, _ c: QueryCancellation) -> ShellSession.Output { session.execute(input, cancellation: c) }
}
