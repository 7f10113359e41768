import ArgumentParser
import Foundation
import Ingest
import PromQL
import Yams

/// `tsql check config FILE...`: validates Prometheus configurations and the
/// rule files they name, with promtool's output shape and exit codes.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check configuration files.", subcommands: [CheckConfig.self])
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
                    print("\nChecking \(rules)")
                    do {
                        let n = try Self.checkRules(rules)
                        print("  SUCCESS: \(n) rules found")
                    } catch {
                        print("  FAILED:\n     \(error)")
                        failed = true
                    }
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

    /// Checks a rule file's structure and that every expression parses; returns the number of rules.
    static func checkRules(_ path: String) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(path): cannot read the file")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw ValidationError("\(path): \(error)") }
        func fail(_ node: Node?, _ message: String) -> ValidationError {
            ValidationError("\(path): \(node?.mark?.line ?? 1):\(node?.mark?.column ?? 1): \(message)")
        }
        guard let groups = root?.mapping?["groups"]?.sequence else { throw fail(root, "expected a \"groups\" list") }
        var count = 0
        var names = Set<String>()
        for group in groups {
            guard let name = group.mapping?["name"]?.string, !name.isEmpty else { throw fail(group, "rule group has no name") }
            guard names.insert(name).inserted else { throw fail(group, "groupname: \"\(name)\" is repeated in the same file") }
            for (n, rule) in (group.mapping?["rules"]?.sequence.map(Array.init) ?? []).enumerated() {
                let record = rule.mapping?["record"]?.string, alert = rule.mapping?["alert"]?.string
                let context = "group \"\(name)\", rule \(n + 1), \"\(record ?? alert ?? "")\""
                guard (record == nil) != (alert == nil) else { throw fail(rule, "\(context): one of 'record' or 'alert' must be set") }
                guard let exprNode = rule.mapping?["expr"], let expr = exprNode.string, !expr.isEmpty else {
                    throw fail(rule, "\(context): field 'expr' must be set in rule")
                }
                do { _ = try Parser.parse(expr) } catch { throw fail(exprNode, "\(context): could not parse expression: \(error)") }
                count += 1
            }
        }
        return count
    }
}
