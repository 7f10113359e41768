import Foundation
import TSDBTestSupport

/// A headless Chromium tab driven over the DevTools protocol
/// (`--remote-debugging-port=0`; the port is read from DevToolsActivePort in the profile).
struct ChromiumPage: BrowserPage {
    let name = "chromium"
    private let process: ChildProcess
    private let connection: DevToolsConnection
    private let session: String

    static var executable: String? { installedExecutable(["/usr/bin/chromium", "/usr/bin/chromium-browser"]) }

    /// Starts Chromium with a fresh `profile` directory; `environment` adds variables (e.g. `TZ`).
    static func launch(profile: String, width: Int = 1280, height: Int = 900,
                       environment: [String: String] = [:]) async throws -> ChromiumPage {
        try await launchBrowser("chromium", executable: executable, profile: profile, arguments: [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
            "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=\(width),\(height)", "about:blank",
        ], environment: environment) { process, log in
            // First line: the port; second: the browser endpoint's path.
            let lines = try await waitForFile(profile + "/DevToolsActivePort", log: log) {
                $0.split(separator: "\n").count == 2
            }.split(separator: "\n")
            let connection = try await DevToolsConnection.open("ws://127.0.0.1:\(lines[0])\(lines[1])")
            let targets = try await connection.send(["method": "Target.getTargets"])
            let infos = ((targets["result"] as? [String: Any])?["targetInfos"] as? [[String: Any]]) ?? []
            guard let target = infos.first(where: { $0["type"] as? String == "page" })?["targetId"] as? String else {
                throw BrowserError("chromium has no page target: \(targets)")
            }
            let attached = try await connection.send(["method": "Target.attachToTarget",
                                                      "params": ["targetId": target, "flatten": true]])
            guard let session = (attached["result"] as? [String: Any])?["sessionId"] as? String else {
                throw BrowserError("cannot attach to chromium's page: \(attached)")
            }
            let page = ChromiumPage(process: process, connection: connection, session: session)
            _ = try await page.call("Emulation.setDeviceMetricsOverride",
                                    ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
            return page
        }
    }

    private init(process: ChildProcess, connection: DevToolsConnection, session: String) {
        self.process = process
        self.connection = connection
        self.session = session
    }

    /// Sends a command to the page's session; returns its `result` or throws its `error`.
    @discardableResult
    private func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        let answer = try await connection.send(["method": method, "params": params, "sessionId": session])
        if let error = answer["error"] as? [String: Any] {
            throw BrowserError("chromium: \(method) failed: \(error["message"] ?? error)")
        }
        return answer["result"] as? [String: Any] ?? [:]
    }

    func open(_ url: String) async throws {
        // The mark is gone once the new document replaced the old one (the page may rewrite its URL at once).
        _ = try await evaluate("window.driverMark = true")
        let result = try await call("Page.navigate", ["url": url])
        if let error = result["errorText"] as? String { throw BrowserError("chromium cannot open \(url): \(error)") }
        try await waitUntil("window.driverMark === undefined && document.readyState === 'complete'")
    }

    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("Runtime.evaluate", ["expression": jsonWrapped(expression),
                                                        "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let description = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? exception
            throw BrowserError("chromium: \(expression) threw \(description)")
        }
        return try jsonUnwrapped((result["result"] as? [String: Any])?["value"] as? String)
    }

    func type(_ text: String) async throws {
        try await call("Input.insertText", ["text": text])
    }

    /// DevTools modifier bits: Alt 1, Ctrl 2, Meta 4, Shift 8.
    private func bits(_ modifiers: Modifiers) -> Int {
        (modifiers.contains(.control) ? 2 : 0) | (modifiers.contains(.shift) ? 8 : 0)
    }

    func press(_ key: Key, _ modifiers: Modifiers) async throws {
        let (name, code, keyCode) = key.devTools
        var down: [String: Any] = ["type": "keyDown", "key": name, "code": code, "windowsVirtualKeyCode": keyCode,
                                   "modifiers": bits(modifiers)]
        if key == .enter { down["text"] = "\r" }  // so that an unhandled Enter inserts a line break, as typed
        try await call("Input.dispatchKeyEvent", down)
        try await call("Input.dispatchKeyEvent", ["type": "keyUp", "key": name, "code": code,
                                                  "windowsVirtualKeyCode": keyCode, "modifiers": bits(modifiers)])
    }

    func moveMouse(x: Double, y: Double) async throws {
        try await call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x, "y": y])
    }

    func click(x: Double, y: Double, _ modifiers: Modifiers) async throws {
        for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
            try await call("Input.dispatchMouseEvent", ["type": type, "x": x, "y": y, "button": "left",
                                                        "clickCount": type == "mouseMoved" ? 0 : 1,
                                                        "modifiers": bits(modifiers)])
        }
    }

    /// Makes the page see `prefers-color-scheme: <scheme>` ("light" or "dark").
    func emulateColorScheme(_ scheme: String) async throws {
        try await call("Emulation.setEmulatedMedia", ["features": [["name": "prefers-color-scheme", "value": scheme]]])
    }

    func screenshot() async throws -> Data {
        let result = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw BrowserError("chromium returned no screenshot")
        }
        return png
    }

    func close() async {
        _ = try? await connection.send(["method": "Browser.close"], timeout: .seconds(5))
        connection.close()
        await process.stop()
    }
}
