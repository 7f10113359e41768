import ArgumentParser
import Rules

/// `tsql test rules FILE...`: rule unit tests in `promtool test rules` format.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Unit-test rule files.", subcommands: [TestRules.self])
}

struct TestRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Run rule unit tests (the promtool test rules file format).")

    @Argument(help: "Test files.")
    var files: [String]

    func run() throws {
        var failed = false
        for path in files {
            do {
                let outcome = RuleTestRunner.run(try RuleTestFile.load(path))
                print(outcome.report)
                if !outcome.passed { failed = true }
            } catch {
                print("Unit Testing:  \(path)\n  FAILED:\n    \(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
