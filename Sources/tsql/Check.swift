import ArgumentParser
import Foundation
import Ingest
import PromQL
import Rules
import Yams

/// `tsql check config FILE...`: validates Prometheus configurations and the
/// rule files they name, with promtool's output shape and exit codes.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check configuration and rule files.", subcommands: [CheckConfig.self, CheckRules.self])
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check prometheus.yml files (and the rule files they name), like promtool check config.")

    @Argument(help: "Configuration files.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            print("Checking \(file)")
            do {
                guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                    throw ValidationError("cannot read \(file)")
                }
                let config = try PrometheusConfig.parse(text, file: file)
                let base = (file as NSString).deletingLastPathComponent
                let ruleFiles = try config.ruleFiles.flatMap { pattern in try Self.expand(pattern, relativeTo: base) }
                print("  SUCCESS: \(ruleFiles.count) rule files found")
                print(" SUCCESS: \(file) is valid prometheus config file syntax")
                for rules in ruleFiles {
                    print("")
                    if !Self.reportRules(rules) { failed = true }
                }
            } catch {
                print("  FAILED: \(error)")
                failed = true
            }
            print("")
        }
        if failed { throw ExitCode(1) }
    }

    /// A rule_files entry: a path or a glob (in its last component), relative to the config file.
    static func expand(_ pattern: String, relativeTo base: String) throws -> [String] {
        let path = pattern.hasPrefix("/") ? pattern : (base.isEmpty ? pattern : base + "/" + pattern)
        let files = PathGlob.expand(path)
        if files == [path] && !FileManager.default.fileExists(atPath: path) { throw ValidationError("rule file \(path) does not exist") }
        return files
    }

    /// Checks one rule file and prints promtool's lines for it; whether it is valid.
    static func reportRules(_ path: String) -> Bool {
        print("Checking \(path)")
        do {
            let n = try RuleFile.load(path).groups.reduce(0) { $0 + $1.rules.count }
            print("  SUCCESS: \(n) rules found")
            return true
        } catch {
            print("  FAILED:\n\(error)")
            return false
        }
    }
}

/// `tsql check rules FILE...`: validates rule files like `promtool check rules`
/// (structure, PromQL of every expression, names), with file:line:column errors.
struct CheckRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Check rule files, like promtool check rules.")

    @Argument(help: "Rule files.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            if !CheckConfig.reportRules(file) { failed = true }
            print("")
        }
        if failed { throw ExitCode(1) }
    }
}
