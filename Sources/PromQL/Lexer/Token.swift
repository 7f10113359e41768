/// A position in the query text: byte offset plus 1-based line and column
/// (columns count characters), for error messages such as `at 1:17`.
public struct Position: Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var line: Int
    public var column: Int

    public var description: String { "\(line):\(column)" }
}

/// One lexical token of a PromQL query.
struct Token: Equatable {
    enum Kind: Equatable {
        case identifier  // metric, label or function name, keyword
        case number
        case duration
        case string
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
        case comma, colon, at
        case assign  // =
        case equal, notEqual, regexMatch, regexNoMatch  // == != =~ !~
        case less, lessEqual, greater, greaterEqual
        case trimUpper, trimLower  // </ >/
        case plus, minus, star, slash, percent, caret
        case eof
    }

    var kind: Kind
    /// The source text of the token (strings: the decoded value).
    var text: String
    var position: Position
    /// Offset just past the token.
    var end: Int
    /// A string literal's bytes when they are not valid UTF-8 (`"a\xc5z"`):
    /// `text` then has U+FFFD in their place, and names built from it are invalid.
    var invalidUTF8: [UInt8]? = nil

    /// How the token is shown in "unexpected …" messages.
    var display: String {
        switch kind {
        case .eof: "end of input"
        case .string: "string \"\(text)\""
        case .number: "number \"\(text)\""
        case .duration: "duration \"\(text)\""
        case .identifier: "identifier \"\(text)\""
        default: "\"\(text)\""
        }
    }
}
