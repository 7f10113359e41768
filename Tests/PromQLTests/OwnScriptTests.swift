import Foundation
import Testing
@testable import PromQL

/// The project's own promqltest scripts (testdata/promql/*.test): every eval must pass.
@Suite("Own PromQL scripts")
struct OwnScriptTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../testdata/promql").standardized.path

    static let files: [String] = (try? FileManager.default.contentsOfDirectory(atPath: directory))?
        .filter { $0.hasSuffix(".test") }.sorted() ?? []

    @Test func filesArePresent() { #expect(Self.files.count >= 2) }

    @Test("every eval passes", arguments: files)
    func script(file: String) throws {
        let script = try TestScript.parse(try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8), file: file)
        let outcomes = try ScriptRunner().run(script)
        #expect(outcomes.count > 5)
        for o in outcomes {
            switch o.status {
            case .passed: break
            default: Issue.record("\(file):\(o.line): \(o.query): \(o.status)")
            }
        }
    }
}
