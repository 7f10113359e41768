import Synchronization

/// A compiled, fully anchored regular expression with fast paths for the
/// shapes that dominate real dashboards. Prometheus semantics: the pattern is
/// RE2-like, anchored at both ends, and `.` matches newlines.
///
/// The fast paths are exact: each is taken only when the pattern provably
/// means that simple predicate; anything else goes to the general engine.
public enum StringMatcher: Sendable {
    case anything  // .*
    case nonEmpty  // .+
    case literal(String)  // foo, foo\.bar
    case oneOf(Set<String>)  // a|b|c, (a|b|c)
    case prefix(String)  // foo.*
    case suffix(String)  // .*foo
    case contains(String)  // .*foo.*
    case general(CompiledRegex)

    public init(pattern: String) throws {
        if let fast = StringMatcher.fastPath(pattern) {
            self = fast
        } else {
            self = .general(try CompiledRegex.cached(pattern))
        }
    }

    /// Compiles `pattern` with the general engine only (for testing fast paths).
    public init(generalPattern pattern: String) throws {
        self = .general(try CompiledRegex(pattern))
    }

    public func matches(_ s: String) -> Bool {
        switch self {
        case .anything: true
        case .nonEmpty: !s.isEmpty
        case .literal(let l): s == l
        case .oneOf(let set): set.contains(s)
        case .prefix(let p): s.utf8.starts(with: p.utf8)
        case .suffix(let p): s.utf8.reversed().starts(with: p.utf8.reversed())
        case .contains(let p): p.isEmpty || s.contains(p)
        case .general(let r): r.matches(s)
        }
    }

    /// The literal strings this matcher accepts, if it accepts only finitely
    /// many (lets the index look postings up directly instead of scanning values).
    public var finiteSet: [String]? {
        switch self {
        case .literal(let l): [l]
        case .oneOf(let s): s.sorted()
        default: nil
        }
    }

    static let meta: Set<Character> = ["\\", ".", "+", "*", "?", "(", ")", "|", "[", "]", "{", "}", "^", "$"]

    /// Unescapes a pattern that is a plain literal (only `\` before punctuation
    /// is allowed); nil if it contains any regex operator.
    static func literal(_ p: Substring) -> String? {
        var out = ""
        var escaped = false
        for c in p {
            if escaped {
                guard c.isPunctuation || c.isSymbol || c == " " else { return nil }  // \d, \w … are classes
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if meta.contains(c) {
                return nil
            } else {
                out.append(c)
            }
        }
        return escaped ? nil : out
    }

    static func fastPath(_ pattern: String) -> StringMatcher? {
        var p = Substring(pattern)
        if p == ".*" { return .anything }
        if p == ".+" { return .nonEmpty }
        if let l = literal(p) { return .literal(l) }
        if p.hasPrefix(".*") && p.hasSuffix(".*") && p.count >= 4, let l = literal(p.dropFirst(2).dropLast(2)) {
            return .contains(l)
        }
        if p.hasSuffix(".*"), let l = literal(p.dropLast(2)) { return .prefix(l) }
        if p.hasPrefix(".*"), let l = literal(p.dropFirst(2)) { return .suffix(l) }
        // (a|b|c) or a|b|c with literal alternatives and no nested groups.
        if p.hasPrefix("("), p.hasSuffix(")"), !p.hasPrefix("(?") {
            p = p.dropFirst().dropLast()
            if p.contains("(") || p.contains(")") { return nil }
        }
        let parts = p.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return nil }
        var set = Set<String>()
        for part in parts {
            guard let l = literal(part) else { return nil }
            set.insert(l)
        }
        return .oneOf(set)
    }
}

/// The general regex engine behind `StringMatcher`: Swift Regex, anchored by
/// whole-string matching, with `.` matching newlines.
public struct CompiledRegex: Sendable {
    public let pattern: String
    // Regex<AnyRegexOutput> is an immutable compiled program; matching does not
    // mutate it, so sharing it across threads is safe.
    nonisolated(unsafe) let regex: Regex<AnyRegexOutput>

    /// Compiled programs by pattern. Dashboards send the same few regexes with
    /// every refresh, and compiling one took longer than matching it against an
    /// index's label values (a tenth of an instant query with two regex selectors).
    private static let cache = Mutex<[String: CompiledRegex]>([:])
    static let cacheLimit = 512

    /// `pattern` compiled, from the cache when it was compiled before (the cache
    /// starts over when it holds `cacheLimit` patterns).
    public static func cached(_ pattern: String) throws -> CompiledRegex {
        if let hit = cache.withLock({ $0[pattern] }) { return hit }
        let compiled = try CompiledRegex(pattern)
        cache.withLock { programs in
            if programs.count >= cacheLimit { programs.removeAll(keepingCapacity: true) }
            programs[pattern] = compiled
        }
        return compiled
    }

    public init(_ pattern: String) throws {
        self.pattern = pattern
        do {
            regex = try Regex(pattern).dotMatchesNewlines()
        } catch {
            throw TSDBError(.invalidMatcher, "invalid regular expression \"\(pattern)\": \(error)")
        }
    }

    public func matches(_ s: String) -> Bool {
        (try? regex.wholeMatch(in: s)) != nil
    }
}
