/// A forgiving scan of a (possibly unfinished) PromQL query, enough to tell
/// whether it is complete and what the cursor is in: bracket nesting,
/// an open string, the last token. Comments (`#` to the end of a line) and
/// string contents are skipped.
public struct QueryScanner {
    enum Token: Equatable {
        case word(String)  // identifier or keyword
        case number(String)
        case string(String)  // contents, without quotes
        case symbol(String)  // operators and punctuation
    }

    /// Open brackets, innermost last, with the tokens before each.
    var open: [(bracket: Character, tokensBefore: Int)] = []
    var tokens: [Token] = []
    /// The quote character of a string still open at the end, and its contents so far.
    var openString: (quote: Character, contents: String)?
    /// A bracket closed that was never opened (the query is broken, not unfinished).
    var unbalanced = false

    init(_ text: String) {
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "#" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
            } else if c == "\"" || c == "'" || c == "`" {
                var j = i + 1, contents = ""
                while j < chars.count && chars[j] != c {
                    if chars[j] == "\\" && c != "`" && j + 1 < chars.count { contents.append(chars[j + 1]); j += 2; continue }
                    contents.append(chars[j])
                    j += 1
                }
                if j >= chars.count {
                    openString = (c, contents)
                    return
                }
                tokens.append(.string(contents))
                i = j + 1
            } else if c.isLetter || c == "_" || c == ":" {
                var j = i
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == ":" || chars[j] == ".") { j += 1 }
                tokens.append(.word(String(chars[i..<j])))
                i = j
            } else if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
                var j = i
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == ".") { j += 1 }
                tokens.append(.number(String(chars[i..<j])))
                i = j
            } else if "({[".contains(c) {
                open.append((c, tokens.count))
                tokens.append(.symbol(String(c)))
                i += 1
            } else if ")}]".contains(c) {
                if open.isEmpty { unbalanced = true } else { open.removeLast() }
                tokens.append(.symbol(String(c)))
                i += 1
            } else if c.isWhitespace {
                i += 1
            } else {
                let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
                if ["==", "!=", "=~", "!~", ">=", "<="].contains(two) {
                    tokens.append(.symbol(two))
                    i += 2
                } else {
                    tokens.append(.symbol(String(c)))
                    i += 1
                }
            }
        }
    }

    static let binaryOperators: Set<String> = ["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", ",", "=", "=~", "!~", "@"]
    static let continuingKeywords: Set<String> = ["and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                                                  "group_right", "bool", "offset", "atan2"]

    /// `a + fill(0)` wants its right operand; a bare `fill` is a metric name.
    static let fillModifiers: Set<String> = ["fill", "fill_left", "fill_right"]

    /// Whether the text is an unfinished expression that continues on the
    /// next line: open brackets or string, or a trailing operator or keyword.
    public static func needsMore(_ text: String) -> Bool {
        let s = QueryScanner(text)
        if s.unbalanced { return false }
        if s.openString != nil || !s.open.isEmpty { return true }
        switch s.tokens.last {
        case .symbol(")")?:
            // `… on (job)`, `sum by (job)`: a label list still wants its operand.
            var depth = 0
            for i in s.tokens.indices.reversed() {
                if s.tokens[i] == .symbol(")") { depth += 1 }
                if s.tokens[i] == .symbol("(") { depth -= 1 }
                if depth == 0 {
                    guard i > 0, case .word(let w) = s.tokens[i - 1] else { return false }
                    let word = w.lowercased()
                    return (continuingKeywords.contains(word) && word != "bool" && word != "offset") || fillModifiers.contains(word)
                }
            }
            return false
        case .symbol(let op)?: return binaryOperators.contains(op)
        case .word(let w)?: return continuingKeywords.contains(w.lowercased()) && s.tokens.count > 1
        default: return false
        }
    }
}
