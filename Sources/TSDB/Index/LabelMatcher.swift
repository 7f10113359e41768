/// A condition on one label of a series, as in `{job=~"api|web"}`.
/// Semantics are Prometheus': a missing label has the value "", so
/// `{foo=""}` selects series without `foo` and `!=`/`!~` select series that
/// lack the label; regexes are fully anchored.
public struct LabelMatcher: Sendable, CustomStringConvertible {
    public enum MatchType: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public let type: MatchType
    public let name: String
    public let value: String
    let matcher: StringMatcher

    public init(_ type: MatchType, _ name: String, _ value: String) throws {
        self.type = type
        self.name = name
        self.value = value
        switch type {
        case .equal, .notEqual: matcher = .literal(value)
        case .regexMatch, .regexNoMatch: matcher = try StringMatcher(pattern: value)
        }
    }

    /// Shorthand for `=` matchers, which cannot fail.
    public static func equal(_ name: String, _ value: String) -> LabelMatcher {
        LabelMatcher(uncheckedType: .equal, name, value, .literal(value))
    }

    init(uncheckedType type: MatchType, _ name: String, _ value: String, _ matcher: StringMatcher) {
        self.type = type
        self.name = name
        self.value = value
        self.matcher = matcher
    }

    /// Whether a label value (""" for an absent label) satisfies the matcher.
    public func matches(_ v: String) -> Bool {
        switch type {
        case .equal, .regexMatch: matcher.matches(v)
        case .notEqual, .regexNoMatch: !matcher.matches(v)
        }
    }

    public var matchesEmpty: Bool { matches("") }

    /// The matcher selecting exactly the values this one rejects.
    public var inverse: LabelMatcher {
        let t: MatchType = switch type {
        case .equal: .notEqual
        case .notEqual: .equal
        case .regexMatch: .regexNoMatch
        case .regexNoMatch: .regexMatch
        }
        return LabelMatcher(uncheckedType: t, name, value, matcher)
    }

    /// Whether `matches` is true only for finitely many values, listed.
    var positiveSet: [String]? {
        switch type {
        case .equal, .regexMatch: matcher.finiteSet
        default: nil
        }
    }

    public var description: String {
        "\(name)\(type.rawValue)\"\(Labels.escape(value))\""
    }
}

extension Labels {
    /// Whether this series satisfies all matchers.
    public func matches(_ matchers: [LabelMatcher]) -> Bool {
        matchers.allSatisfy { $0.matches(self[$0.name]) }
    }
}
