import Foundation
import TSDBTestSupport

/// A headless Firefox tab driven over WebDriver BiDi
/// (`--remote-debugging-port=0`; the port is read from WebDriverBiDiServer.json in the profile).
struct FirefoxPage: BrowserPage {
    let name = "firefox"
    private let process: ChildProcess
    private let connection: DevToolsConnection
    private let context: String

    static var executable: String? { installedExecutable(["/usr/bin/firefox-esr", "/usr/bin/firefox"]) }

    /// Starts Firefox with a fresh `profile` directory; `environment` adds variables (e.g. `TZ`).
    static func launch(profile: String, width: Int = 1280, height: Int = 900,
                       environment: [String: String] = [:]) async throws -> FirefoxPage {
        // No first-run pages, update checks or telemetry: the machine may be offline.
        let prefs = """
            user_pref("browser.shell.checkDefaultBrowser", false);
            user_pref("browser.startup.homepage_override.mstone", "ignore");
            user_pref("datareporting.policy.dataSubmissionEnabled", false);
            user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
            user_pref("app.update.disabledForTesting", true);
            user_pref("browser.aboutwelcome.enabled", false);
            """
        return try await launchBrowser("firefox", executable: executable, profile: profile, profileFiles: ["user.js": prefs], arguments: [
            // The WebSocket client sends `Origin: ws://127.0.0.1`; Firefox refuses origins it was not told to allow.
            "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "--remote-allow-origins=ws://127.0.0.1",
            "--window-size=\(width),\(height)", "about:blank",
        ], environment: environment) { process, log in
            let server = try await waitForFile(profile + "/WebDriverBiDiServer.json", log: log) { $0.hasSuffix("}") }
            guard let json = try JSONSerialization.jsonObject(with: Data(server.utf8)) as? [String: Any],
                  let port = json["ws_port"] as? Int else { throw BrowserError("unexpected WebDriverBiDiServer.json: \(server)") }
            let connection = try await DevToolsConnection.open("ws://127.0.0.1:\(port)/session")
            _ = try await FirefoxPage.call(connection, "session.new", ["capabilities": [String: Any]()])
            // A window of our own: the one Firefox starts with never gets the focus when headless
            // (document.hasFocus() stays false; no focus, blur or change events fire in it).
            let created = try await FirefoxPage.call(connection, "browsingContext.create", ["type": "window"])
            guard let context = created["context"] as? String else {
                throw BrowserError("firefox opened no window: \(created)")
            }
            let page = FirefoxPage(process: process, connection: connection, context: context)
            try await page.call("browsingContext.setViewport", ["context": context,
                                                               "viewport": ["width": width, "height": height]])
            return page
        }
    }

    private init(process: ChildProcess, connection: DevToolsConnection, context: String) {
        self.process = process
        self.connection = connection
        self.context = context
    }

    /// Sends a BiDi command; returns its `result` or throws its error.
    private static func call(_ connection: DevToolsConnection, _ method: String,
                             _ params: [String: Any]) async throws -> [String: Any] {
        let answer = try await connection.send(["method": method, "params": params])
        if answer["type"] as? String == "error" {
            throw BrowserError("firefox: \(method) failed: \(answer["error"] ?? "") \(answer["message"] ?? "")")
        }
        return answer["result"] as? [String: Any] ?? [:]
    }

    @discardableResult
    private func call(_ method: String, _ params: [String: Any]) async throws -> [String: Any] {
        try await FirefoxPage.call(connection, method, params)
    }

    func open(_ url: String) async throws {
        try await call("browsingContext.navigate", ["context": context, "url": url, "wait": "complete"])
    }

    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("script.evaluate", ["expression": jsonWrapped(expression), "awaitPromise": true,
                                                       "target": ["context": context]])
        if result["type"] as? String == "exception" {
            let details = result["exceptionDetails"] as? [String: Any]
            throw BrowserError("firefox: \(expression) threw \(details?["text"] ?? result)")
        }
        return try jsonUnwrapped((result["result"] as? [String: Any])?["value"] as? String)
    }

    /// Runs WebDriver input sources (key, pointer) tick by tick.
    private func perform(_ sources: [[String: Any]]) async throws {
        try await call("input.performActions", ["context": context, "actions": sources])
    }

    private func keyActions(_ modifiers: Modifiers, around inner: [[String: Any]]) -> [[String: Any]] {
        let held = (modifiers.contains(.shift) ? ["\u{E008}"] : []) + (modifiers.contains(.control) ? ["\u{E009}"] : [])
        return held.map { ["type": "keyDown", "value": $0] } + inner + held.reversed().map { ["type": "keyUp", "value": $0] }
    }

    func type(_ text: String) async throws {
        let keys = text.map { c -> [[String: Any]] in [["type": "keyDown", "value": String(c)], ["type": "keyUp", "value": String(c)]] }
        try await perform([["type": "key", "id": "keyboard", "actions": keys.flatMap { $0 }]])
    }

    func press(_ key: Key, _ modifiers: Modifiers) async throws {
        let actions = keyActions(modifiers, around: [["type": "keyDown", "value": key.webDriver],
                                                      ["type": "keyUp", "value": key.webDriver]])
        try await perform([["type": "key", "id": "keyboard", "actions": actions]])
    }

    private func pointer(_ actions: [[String: Any]]) -> [String: Any] {
        ["type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"], "actions": actions]
    }

    func moveMouse(x: Double, y: Double) async throws {
        try await perform([pointer([["type": "pointerMove", "x": Int(x.rounded()), "y": Int(y.rounded()), "origin": "viewport"]])])
    }

    func click(x: Double, y: Double, _ modifiers: Modifiers) async throws {
        let clickActions: [[String: Any]] = [
            ["type": "pointerMove", "x": Int(x.rounded()), "y": Int(y.rounded()), "origin": "viewport"],
            ["type": "pointerDown", "button": 0], ["type": "pointerUp", "button": 0],
        ]
        if modifiers.isEmpty {
            try await perform([pointer(clickActions)])
            return
        }
        // Both sources advance one tick per action: the modifier is down before the click and released after it.
        let keys = keyActions(modifiers, around: clickActions.map { _ in ["type": "pause"] })
        let held = keys.count - clickActions.count
        let pauses = [[String: Any]](repeating: ["type": "pause"], count: held / 2)
        try await perform([["type": "key", "id": "keyboard", "actions": keys],
                           pointer(pauses + clickActions + pauses)])
    }

    func screenshot() async throws -> Data {
        let result = try await call("browsingContext.captureScreenshot", ["context": context])
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw BrowserError("firefox returned no screenshot")
        }
        return png
    }

    func close() async {
        _ = try? await connection.send(["method": "browser.close", "params": [String: Any]()], timeout: .seconds(5))
        connection.close()
        await process.stop()
    }
}
