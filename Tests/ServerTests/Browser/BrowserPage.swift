import Foundation
import TSDBTestSupport

/// A key the tests press (with optional modifiers) in a browser page.
enum Key: Sendable {
    case enter, tab, arrowDown

    /// DevTools `Input.dispatchKeyEvent`'s key, code and Windows virtual key code.
    var devTools: (key: String, code: String, keyCode: Int) {
        switch self {
        case .enter: ("Enter", "Enter", 13)
        case .tab: ("Tab", "Tab", 9)
        case .arrowDown: ("ArrowDown", "ArrowDown", 40)
        }
    }

    /// WebDriver's code point for the key.
    var webDriver: String {
        switch self {
        case .enter: "\u{E007}"
        case .tab: "\u{E004}"
        case .arrowDown: "\u{E015}"
        }
    }
}

/// Modifier keys held while pressing a key or clicking.
struct Modifiers: OptionSet, Sendable {
    let rawValue: Int
    static let shift = Modifiers(rawValue: 1)
    static let control = Modifiers(rawValue: 2)
}

/// One tab of a real browser, remote-controlled: the same test script runs in
/// Chromium (DevTools protocol) and Firefox (WebDriver BiDi). Input goes
/// through the browser's own input pipeline (trusted events: focus, default
/// actions and key handling as for a person), not synthetic DOM events.
protocol BrowserPage: Sendable {
    /// The browser's name for messages and artefact file names.
    var name: String { get }
    /// Loads `url` and waits for the load event.
    func open(_ url: String) async throws
    /// Evaluates `expression` (may be a promise) in the page; returns its value through JSON.
    func evaluate(_ expression: String) async throws -> Any?
    /// Types `text` into the focused element.
    func type(_ text: String) async throws
    func press(_ key: Key, _ modifiers: Modifiers) async throws
    func moveMouse(x: Double, y: Double) async throws
    func click(x: Double, y: Double, _ modifiers: Modifiers) async throws
    /// A PNG of the viewport.
    func screenshot() async throws -> Data
    /// Closes the browser and waits for it to end.
    func close() async
}

extension BrowserPage {
    func press(_ key: Key) async throws { try await press(key, []) }

    /// Polls `condition` (a JavaScript expression) until it is true.
    func waitUntil(_ condition: String, seconds: Double = 15) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await evaluate("Boolean(\(condition))") as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BrowserError("\(name): still false after \(seconds) s: \(condition)")
    }

    func string(_ expression: String) async throws -> String {
        let value = try await evaluate(expression)
        guard let text = value as? String else { throw BrowserError("\(name): \(expression) is \(value ?? "undefined"), not a string") }
        return text
    }

    /// Clicks the middle of the first element matching `selector`.
    func click(_ selector: String, _ modifiers: Modifiers = []) async throws {
        let box = try await evaluate("""
            (() => { const r = document.querySelector(\(jsString(selector))).getBoundingClientRect();
                     return [r.left + r.width / 2, r.top + r.height / 2]; })()
            """) as? [Double]
        guard let box, box.count == 2 else { throw BrowserError("\(name): no element \(selector)") }
        try await click(x: box[0], y: box[1], modifiers)
    }

    /// `text` as a JavaScript string literal.
    func jsString(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
    }

    /// Keeps a screenshot as a test artefact.
    func saveScreenshot(_ file: String) async throws {
        try await screenshot().write(to: URL(fileURLWithPath: file))
    }
}

/// `(async () => JSON.stringify(await (expression)))()`: one shape of result for both protocols.
func jsonWrapped(_ expression: String) -> String {
    "(async () => JSON.stringify(await (\(expression))))()"
}

/// Parses the JSON text a wrapped expression produced (nil for `undefined`).
func jsonUnwrapped(_ text: String?) throws -> Any? {
    guard let text else { return nil }
    return try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
}

/// The first of `paths` that is an executable file (nil: the browser is not installed).
func installedExecutable(_ paths: [String]) -> String? {
    paths.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Starts the browser `executable` on a fresh `profile` directory holding
/// `profileFiles` (name → text), its output in `<profile>.log`, and
/// `connect`s to it; the browser is stopped again if that fails.
func launchBrowser<Page>(_ name: String, executable: String?, profile: String, profileFiles: [String: String] = [:],
                         arguments: [String], environment: [String: String],
                         connect: (_ process: ChildProcess, _ log: String) async throws -> Page) async throws -> Page {
    guard let executable else { throw BrowserError("\(name) is not installed") }
    try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
    for (file, text) in profileFiles { try text.write(toFile: profile + "/" + file, atomically: true, encoding: .utf8) }
    let log = profile + ".log"
    let process = try ChildProcess.spawn(executable, arguments, output: log, environment: environment)
    do {
        return try await connect(process, log)
    } catch {
        await process.stop()
        throw error
    }
}

/// Waits for a file a starting browser writes (its remote-control port) to be `complete`; returns its text.
func waitForFile(_ path: String, seconds: Double = 30, log: String, complete: (String) -> Bool) async throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), complete(text) { return text }
        try await Task.sleep(for: .milliseconds(100))
    }
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    throw BrowserError("the browser did not write \(path) in \(seconds) s; its output:\n\(output.suffix(2000))")
}
