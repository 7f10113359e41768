import Foundation
import Testing
import TSDBTestSupport

/// The browsers the interaction test drives, when installed
/// (scripts/setup.sh --test-clients installs both).
enum BrowserKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case chromium, firefox

    var testDescription: String { rawValue }

    var isInstalled: Bool {
        switch self {
        case .chromium: ChromiumPage.executable != nil
        case .firefox: FirefoxPage.executable != nil
        }
    }

    /// Starts the browser in India's time zone (UTC+05:30 all year), so that the
    /// "Local time" switch has a visible, DST-free effect.
    func launch(profile: String) async throws -> any BrowserPage {
        let environment = ["TZ": "Asia/Kolkata"]
        switch self {
        case .chromium: return try await ChromiumPage.launch(profile: profile, environment: environment)
        case .firefox: return try await FirefoxPage.launch(profile: profile, environment: environment)
        }
    }
}

extension WebUITests {
    /// What a person does in the expression browser, done with the browser's
    /// own keyboard and mouse input in Chromium and in Firefox: completion,
    /// Enter / Shift+Enter / Ctrl+Enter, the Graph tab's legend, hover
    /// tooltip, range buttons and stacking; then the other pages render.
    @Test(arguments: BrowserKind.allCases)
    func expressionBrowserInteractions(_ kind: BrowserKind) async throws {
        guard kind.isInstalled else {
            Issue.record("SKIPPED: \(kind) is not installed (scripts/setup.sh --test-clients installs it)")
            return
        }
        try await Self.withDemoServer { base, dir in
            let page = try await kind.launch(profile: dir.sub(kind.rawValue))
            do {
                try await Self.exercise(page, base: base)
                await page.close()
            } catch {
                try? await page.saveScreenshot("\(Self.artifacts)/failed-\(kind).png")
                await page.close()
                throw error
            }
        }
    }

    static func exercise(_ page: any BrowserPage, base: String) async throws {
        let end = "2026-01-01%2001:00:00"
        let shot = { (name: String) in try await page.saveScreenshot("\(artifacts)/\(page.name)-\(name).png") }

        // An empty table panel evaluated at the end of the demo hour; the query box has the focus.
        try await page.open("\(base)/graph?g0.expr=&g0.tab=1&g0.moment_input=\(end)")
        // First paint is reported, not asserted (speed is for benchmarks, not tests).
        let firstPaint = "performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint')"
        try? await page.waitUntil(firstPaint, seconds: 5)
        let paint = try await page.evaluate("\(firstPaint)?.startTime")
        print("web UI in \(page.name): first contentful paint \(paint.map { "\($0)" } ?? "not reported") ms after navigation")
        try await page.waitUntil("document.activeElement === document.querySelector('textarea')")
        try await page.waitUntil("Graph.metricNames.includes('webui_demo')")

        // Completion: the metric name is offered for the word being typed; ArrowDown and Tab accept it.
        try await page.type("sum(webui_d")
        try await page.waitUntil("!document.querySelector('.completions').hidden")
        let first = try await page.string("document.querySelector('.completions li').firstChild.textContent")
        #expect(first == "webui_demo", "\(page.name)")
        try await page.press(.arrowDown)
        try await page.press(.tab)
        #expect(try await page.string("document.querySelector('textarea').value") == "sum(webui_demo", "\(page.name)")
        #expect(try await page.evaluate("document.querySelector('.completions').hidden") as? Bool == true)

        // Enter executes: the table shows the sum at the evaluation time, the URL keeps the query.
        try await page.type(")")
        try await page.press(.enter)
        try await page.waitUntil("document.querySelector('table.result td.value')?.textContent === '1020'")
        #expect(try await page.string("document.querySelector('textarea').value") == "sum(webui_demo)")
        #expect(try await page.string("location.search").contains("g0.expr=sum%28webui_demo%29"), "\(page.name)")
        #expect(try await page.string("document.querySelector('.stats').textContent").contains("Result series: 1"))

        // Shift+Enter starts a new line without executing; Ctrl+Enter executes the two lines.
        try await page.press(.enter, .shift)
        #expect(try await page.string("document.querySelector('textarea').value") == "sum(webui_demo)\n", "\(page.name)")
        try await page.type("* 2")
        #expect(try await page.string("document.querySelector('table.result td.value').textContent") == "1020")
        try await page.press(.enter, .control)
        try await page.waitUntil("document.querySelector('table.result td.value')?.textContent === '2040'")

        // The Graph tab: one line per series, named in the legend.
        try await page.open("\(base)/graph?g0.expr=webui_demo&g0.tab=0&g0.range_input=1h&g0.end_input=\(end)")
        try await page.waitUntil("document.querySelectorAll('path.series-line').length === 3")
        let drawn = "[...document.querySelectorAll('path.series-line')].map(p => p.dataset.series)"
        #expect(try await page.evaluate("document.querySelectorAll('.legend li').length") as? Int == 3)

        // The legend lists the series in the result's order (label values sorted bytewise: "<" before "a").
        // Clicking an entry hides its series; shift-click shows only one, and again shows all.
        let script = #"webui_demo{instance="<script>alert(1)</script>"}"#, a = #"webui_demo{instance="a"}"#, b = #"webui_demo{instance="b"}"#
        #expect(try await page.evaluate("[...document.querySelectorAll('.legend li')].map(li => li.textContent)") as? [String] == [script, a, b])
        try await page.click(".legend li:nth-child(1)")
        try await page.waitUntil("document.querySelectorAll('path.series-line').length === 2")
        let twoDrawn = try await page.evaluate(drawn) as? [String]
        #expect(twoDrawn == [a, b], "\(page.name)")
        #expect(try await page.evaluate("document.querySelector('.legend li:nth-child(1)').classList.contains('hidden')") as? Bool == true)
        try await page.click(".legend li:nth-child(3)", .shift)
        try await page.waitUntil("document.querySelectorAll('path.series-line').length === 1")
        let oneDrawn = try await page.evaluate(drawn) as? [String]
        #expect(oneDrawn == [b], "\(page.name)")
        #expect(try await page.string("getSelection().toString()") == "", "shift-click selects no text")
        try await page.click(".legend li:nth-child(3)", .shift)
        try await page.waitUntil("document.querySelectorAll('path.series-line').length === 3")

        // Hovering at 00:29:10 near the top of the plot shows the highest series' exact value there
        // (100·2 + 116 samples in), its name as text, and a cursor line.
        let point = try await page.evaluate("""
            (() => { const svg = document.querySelector('.chart svg'), box = svg.getBoundingClientRect();
                     const width = svg.viewBox.baseVal.width, scale = box.width / width;
                     const plotW = width - Chart.margin.left - Chart.margin.right, x = Chart.margin.left + 1750 / 3600 * plotW;
                     return [box.left + x * scale, box.top + (Chart.margin.top + 2) * scale]; })()
            """) as? [Double] ?? []
        try #require(point.count == 2)
        try await page.moveMouse(x: point[0], y: point[1])
        try await page.waitUntil("!document.querySelector('.tooltip').hidden")
        let tooltip = try await page.evaluate("[...document.querySelector('.tooltip').children].map(c => c.textContent)") as? [String]
        #expect(tooltip == ["2026-01-01 00:29:10 UTC", "316", script], "\(page.name)")
        #expect(try await page.evaluate("document.querySelector('line.cursor').getAttribute('visibility')") as? String == "visible")
        #expect(try await page.evaluate("document.querySelectorAll('script').length") as? Int == 5, "no markup from data ran")
        try await shot("graph-hover")
        try await expectOnlyPublicAPICalls(page)
        try await page.moveMouse(x: 5, y: 5)
        try await page.waitUntil("document.querySelector('.tooltip').hidden")

        // "+" takes the next longer preset (3 h, auto step 43 s, as Prometheus' 10800 / 250); "−" goes back.
        try await page.click("button[title='Longer range']")
        try await page.waitUntil("location.search.includes('g0.range_input=3h')")
        try await page.waitUntil("document.querySelector('.stats').textContent.includes('resolution 43s')")
        try await page.click("button[title='Shorter range']")
        try await page.waitUntil("location.search.includes('g0.range_input=1h')")

        // Stacked: the axis now reaches the sum of the three series (1020 → a 1.2k top tick).
        let topTick = "[...document.querySelectorAll('.axis text[text-anchor=end]')].map(t => t.textContent).pop()"
        #expect(try await page.string(topTick) == "500")
        try await page.click(".toolbar input[type=checkbox]")
        try await page.waitUntil("location.search.includes('g0.stacked=1')")
        try await page.waitUntil("\(topTick) === '1.2k'")
        #expect(try await page.evaluate("document.querySelectorAll('path.series-area').length") as? Int == 3, "filled areas")
        try await shot("graph-stacked")

        // "Local time" shows and reads times in the browser's zone (UTC+05:30 here); the URL stays in UTC.
        try await page.click("#local-time")
        try await page.waitUntil("document.querySelectorAll('path.series-line').length === 3")
        #expect(try await page.string("document.querySelector('input[aria-label^=\"End time\"]').value") == "2026-01-01 06:30:00")
        #expect(try await page.string("document.querySelector('input[aria-label^=\"End time\"]').getAttribute('aria-label')") == "End time (UTC+05:30)")
        let timeLabels = "[...document.querySelectorAll('.axis text[text-anchor=middle]')].map(t => t.textContent)"
        #expect(try await page.evaluate(timeLabels) as? [String] == ["05:30", "05:40", "05:50", "06:00", "06:10", "06:20", "06:30"], "\(page.name)")
        try await page.moveMouse(x: point[0], y: point[1])
        try await page.waitUntil("!document.querySelector('.tooltip').hidden")
        #expect(try await page.string("document.querySelector('.tooltip').firstChild.textContent") == "2026-01-01 05:59:10 UTC+05:30")
        try await shot("graph-local-time")
        try await page.click("input[aria-label^='End time']")
        _ = try await page.evaluate("document.querySelector('input[aria-label^=\"End time\"]').select()")
        try await page.type("2026-01-01 06:00:00")
        try await page.press(.tab)  // leaving the field commits it
        try await page.waitUntil("location.search.includes('g0.end_input=2026-01-01+00%3A30%3A00')")
        try await page.click("#local-time")
        try await page.waitUntil("document.querySelector('input[aria-label^=\"End time\"]')?.value === '2026-01-01 00:30:00'")

        // Errors name the position with a caret; /targets lists the scraped target as up.
        try await page.open("\(base)/graph?g0.expr=sum(webui_demo&g0.tab=1")
        try await page.waitUntil("document.querySelector('.error pre.position')")
        #expect(try await page.string("document.querySelector('.error pre.position').textContent") == "sum(webui_demo\n              ^")
        try await page.open("\(base)/targets")
        try await page.waitUntil("document.querySelector('tr[data-health=up]')")
        try await shot("targets")
        try await page.open("\(base)/alerts")
        try await page.waitUntil("document.querySelector('tr[data-state=firing]')")
        try await shot("alerts")
        try await expectOnlyPublicAPICalls(page)

        // The dark theme follows the system setting (emulated where the protocol can).
        if let chromium = page as? ChromiumPage {
            let background = "getComputedStyle(document.body).backgroundColor"
            #expect(try await page.string(background) == "rgb(255, 255, 255)")
            try await chromium.emulateColorScheme("dark")
            #expect(try await page.string(background) == "rgb(13, 17, 23)")
            try await shot("alerts-dark")
        }
    }

    /// Every request the page made went to /static/ (its own files) or the public /api/v1/ API.
    static func expectOnlyPublicAPICalls(_ page: any BrowserPage) async throws {
        let paths = try await page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)") as? [String] ?? []
        #expect(paths.contains { $0.hasPrefix("/api/v1/") }, "\(page.name): \(paths)")
        #expect(paths.allSatisfy { $0.hasPrefix("/api/v1/") || $0.hasPrefix("/static/") }, "\(page.name): \(paths)")
    }
}
