import TSDB

/// One relabelling step of `relabel_configs` / `metric_relabel_configs`,
/// with Prometheus' defaults and semantics (model/relabel/relabel.go): the
/// source label values are joined with `separator`, matched against the
/// fully anchored `regex`, and the action decides what happens.
public struct RelabelConfig: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase
    }

    public var sourceLabels: [String] = []
    public var separator = ";"
    public var targetLabel = ""
    /// The pattern as written (anchored when compiled).
    public var regex = "(.*)"
    public var modulus: UInt64 = 0
    public var replacement = "$1"
    public var action: Action = .replace

    public init() {}

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Checks the combination of fields as Prometheus does, with its messages.
    public func validate() throws(Invalid) {
        let needsTarget: Set<Action> = [.replace, .hashmod, .lowercase, .uppercase, .keepequal, .dropequal]
        if action == .hashmod && modulus == 0 {
            throw Invalid(description: "relabel configuration for hashmod requires non-zero modulus")
        }
        if needsTarget.contains(action) && targetLabel.isEmpty {
            throw Invalid(description: "relabel configuration for \(action.rawValue) action requires 'target_label' value")
        }
        if (action == .keepequal || action == .dropequal) && (regex != "(.*)" || modulus != 0 || separator != ";" || replacement != "$1") {
            throw Invalid(description: "\(action.rawValue) action requires only 'source_labels' and `target_label`, and no other fields")
        }
        if (action == .labeldrop || action == .labelkeep)
            && (!sourceLabels.isEmpty || !targetLabel.isEmpty || modulus != 0 || separator != ";" || replacement != "$1") {
            throw Invalid(description: "\(action.rawValue) action requires only 'regex', and no other fields")
        }
        do { _ = try Relabeler.compile(regex) } catch {
            throw Invalid(description: "\"\(regex)\" is not a valid regular expression: \(error)")
        }
    }

    /// Prometheus 3 validates label names as UTF-8 (its default scheme):
    /// any non-empty string is a name.
    static func isLabelName(_ s: String) -> Bool { !s.isEmpty }
}

/// Applies a list of relabelling steps to label sets.
public struct Relabeler: @unchecked Sendable {
    // @unchecked: the compiled regexes are immutable after init and only matched.
    struct Step {
        var config: RelabelConfig
        var regex: Regex<AnyRegexOutput>
    }

    let steps: [Step]

    public init(_ configs: [RelabelConfig]) throws(RelabelConfig.Invalid) {
        var steps: [Step] = []
        for c in configs {
            try c.validate()
            steps.append(Step(config: c, regex: try! Self.compile(c.regex)))
        }
        self.steps = steps
    }

    static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try Regex("^(?:" + pattern + ")$")
    }

    /// The relabelled labels, or nil when a step dropped the target or series.
    public func apply(_ labels: Labels) -> Labels? {
        var current: [String: String] = [:]
        for p in labels.pairs { current[p.name] = p.value }
        for step in steps {
            if !Self.apply(step, to: &current) { return nil }
        }
        return Labels(current)
    }

    /// One step; false means "drop".
    static func apply(_ step: Step, to labels: inout [String: String]) -> Bool {
        let c = step.config
        let value = c.sourceLabels.map { labels[$0] ?? "" }.joined(separator: c.separator)
        switch c.action {
        case .drop:
            if matches(step.regex, value) { return false }
        case .keep:
            if !matches(step.regex, value) { return false }
        case .dropequal:
            if (labels[c.targetLabel] ?? "") == value { return false }
        case .keepequal:
            if (labels[c.targetLabel] ?? "") != value { return false }
        case .replace:
            guard let match = try? step.regex.wholeMatch(in: value) else { break }
            let target = expand(c.targetLabel, match)
            guard RelabelConfig.isLabelName(target) else { break }
            let result = expand(c.replacement, match)
            labels[target] = result.isEmpty ? nil : result
        case .lowercase:
            labels[c.targetLabel] = value.lowercased()
        case .uppercase:
            labels[c.targetLabel] = value.uppercased()
        case .hashmod:
            let digest = MD5.digest(Array(value.utf8))
            var last8: UInt64 = 0
            for b in digest[8..<16] { last8 = last8 << 8 | UInt64(b) }
            labels[c.targetLabel] = String(last8 % c.modulus)
        case .labelmap:
            for (name, v) in labels {
                guard let match = try? step.regex.wholeMatch(in: name) else { continue }
                labels[expand(c.replacement, match)] = v
            }
        case .labeldrop:
            for name in labels.keys where matches(step.regex, name) { labels[name] = nil }
        case .labelkeep:
            for name in labels.keys where !matches(step.regex, name) { labels[name] = nil }
        }
        return true
    }

    static func matches(_ regex: Regex<AnyRegexOutput>, _ s: String) -> Bool {
        (try? regex.wholeMatch(in: s)) != nil
    }

    /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; a `$`
    /// reference takes the longest run of letters, digits and `_` (so `$1x`
    /// means the group named `1x`, which does not exist: empty).
    static func expand(_ template: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        var out = ""
        var rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            guard let next = rest.first else { out += "$"; break }
            if next == "$" {
                out += "$"
                rest = rest.dropFirst()
                continue
            }
            var name: Substring
            if next == "{" {
                guard let close = rest.firstIndex(of: "}") else { out += "$"; continue }
                name = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") || !$0.isASCII } ?? rest.endIndex
                name = rest[..<end]
                rest = rest[end...]
                if name.isEmpty { out += "$"; continue }
            }
            out += group(String(name), match)
        }
        return out + rest
    }

    static func group(_ name: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        if let n = Int(name) {
            // Group 0 is the whole match; the anchoring wrapper `(?:…)` captures nothing.
            guard n >= 0, n < match.output.count, let sub = match.output[n].substring else { return "" }
            return String(sub)
        }
        guard let sub = match.output[name]?.substring else { return "" }
        return String(sub)
    }
}
