/// Splits a PromQL query into tokens. Numbers (decimal, exponent, hex, `Inf`,
/// `NaN`, `_` separators), durations (`1h30m`, `500ms`), strings (double,
/// single and backtick quotes with Go escapes), identifiers (metric names may
/// contain `:`), operators, and `#` comments to the end of the line.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    private var utf8Offset = 0

    init(_ input: String) { scalars = Array(input.unicodeScalars) }

    private var position: Position { Position(offset: utf8Offset, line: line, column: column) }
    private func peek(_ k: Int = 0) -> Unicode.Scalar? { index + k < scalars.count ? scalars[index + k] : nil }

    private mutating func advance() {
        let c = scalars[index]
        index += 1
        utf8Offset += String(c).utf8.count
        if c == "\n" { line += 1; column = 1 } else { column += 1 }
    }

    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c == ":" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }
    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) }
    /// Letters, digits and `_`: what may not directly follow a number or duration (`:` may: `[5m:1m]`).
    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool { c != ":" && isIdentifierPart(c) }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static func isHexDigit(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F")
    }
    static let durationUnits: Set<String> = ["ms", "s", "m", "h", "d", "w", "y"]

    /// All tokens, ending with `.eof`.
    mutating func tokenize() throws(PromQLError) -> [Token] {
        var out: [Token] = []
        while true {
            let t = try next()
            out.append(t)
            if t.kind == .eof { return out }
        }
    }

    mutating func next() throws(PromQLError) -> Token {
        skipSpaceAndComments()
        let start = position
        guard let c = peek() else { return Token(kind: .eof, text: "", position: start, end: utf8Offset) }
        func single(_ kind: Token.Kind) -> Token {
            advance()
            return Token(kind: kind, text: String(c), position: start, end: utf8Offset)
        }
        func double(_ kind: Token.Kind, _ text: String) -> Token {
            advance(); advance()
            return Token(kind: kind, text: text, position: start, end: utf8Offset)
        }
        switch c {
        case "(": return single(.leftParen)
        case ")": return single(.rightParen)
        case "{": return single(.leftBrace)
        case "}": return single(.rightBrace)
        case "[": return single(.leftBracket)
        case "]": return single(.rightBracket)
        case ",": return single(.comma)
        case ":": return single(.colon)  // (so metric names cannot start with ':' here)
        case "@": return single(.at)
        case "+": return single(.plus)
        case "-": return single(.minus)
        case "*": return single(.star)
        case "/": return single(.slash)
        case "%": return single(.percent)
        case "^": return single(.caret)
        case "=":
            if peek(1) == "=" { return double(.equal, "==") }
            if peek(1) == "~" { return double(.regexMatch, "=~") }
            return single(.assign)
        case "!":
            if peek(1) == "=" { return double(.notEqual, "!=") }
            if peek(1) == "~" { return double(.regexNoMatch, "!~") }
            throw PromQLError("unexpected character \"!\"", at: start)
        case "<":
            if peek(1) == "/" { return double(.trimUpper, "</") }
            return peek(1) == "=" ? double(.lessEqual, "<=") : single(.less)
        case ">":
            if peek(1) == "/" { return double(.trimLower, ">/") }
            return peek(1) == "=" ? double(.greaterEqual, ">=") : single(.greater)
        case "\"", "'", "`": return try string(quote: c, start: start)
        default:
            if Lexer.isDigit(c) || (c == "." && peek(1).map(Lexer.isDigit) == true) { return try number(start) }
            if Lexer.isIdentifierStart(c) { return identifier(start) }
            throw PromQLError("unexpected character \"\(c)\"", at: start)
        }
    }

    private mutating func skipSpaceAndComments() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                advance()
            } else if c == "#" {
                while let d = peek(), d != "\n" { advance() }
            } else {
                return
            }
        }
    }

    private mutating func identifier(_ start: Position) -> Token {
        var text = ""
        while let c = peek(), Lexer.isIdentifierPart(c) {
            text.unicodeScalars.append(c)
            advance()
        }
        let lower = text.lowercased()
        if lower == "inf" || lower == "nan" {
            return Token(kind: .number, text: text, position: start, end: utf8Offset)
        }
        return Token(kind: .identifier, text: text, position: start, end: utf8Offset)
    }

    /// A number, or a duration when digits are followed by a unit.
    private mutating func number(_ start: Position) throws(PromQLError) -> Token {
        var text = ""
        func take() { text.unicodeScalars.append(peek()!); advance() }
        if peek() == "0", let x = peek(1), x == "x" || x == "X" {
            take(); take()
            while let c = peek(), Lexer.isHexDigit(c) || c == "_" { take() }
            return Token(kind: .number, text: text, position: start, end: utf8Offset)
        }
        while let c = peek(), Lexer.isDigit(c) || c == "_" { take() }
        // Duration: integer followed by units, possibly repeated (1h30m).
        if let u = peek(), Lexer.durationUnits.contains(String(u)) || u == "m", !text.contains(".") {
            let save = (index, line, column, utf8Offset)
            var dur = text
            var ok = false
            while true {
                var unit = ""
                while let c = peek(), c >= "a" && c <= "z" { unit.unicodeScalars.append(c); advance() }
                if !Lexer.durationUnits.contains(unit) { break }
                dur += unit
                ok = true
                guard let c = peek(), Lexer.isDigit(c) else { break }
                while let c = peek(), Lexer.isDigit(c) { dur.unicodeScalars.append(c); advance() }
            }
            if ok, peek().map({ !Lexer.isWordCharacter($0) }) ?? true {
                return Token(kind: .duration, text: dur, position: start, end: utf8Offset)
            }
            (index, line, column, utf8Offset) = save
        }
        if peek() == "." { take(); while let c = peek(), Lexer.isDigit(c) || c == "_" { take() } }
        if let e = peek(), e == "e" || e == "E",
           let n = peek(1), Lexer.isDigit(n) || ((n == "+" || n == "-") && peek(2).map(Lexer.isDigit) == true) {
            take(); take()
            while let c = peek(), Lexer.isDigit(c) { take() }
        }
        if let c = peek(), Lexer.isWordCharacter(c) {
            throw PromQLError("bad number or duration syntax: \"\(text)\(c)\"", at: start)
        }
        return Token(kind: .number, text: text, position: start, end: utf8Offset)
    }

    private mutating func string(quote: Unicode.Scalar, start: Position) throws(PromQLError) -> Token {
        advance()
        // Bytes, as in Go: `\xff` and octal escapes are single bytes, so
        // "\xc3\xbf" is "ÿ"; invalid UTF-8 becomes U+FFFD (see `Lexer.invalidUTF8`).
        var bytes: [UInt8] = []
        func append(_ s: Unicode.Scalar) { bytes += String(s).utf8 }
        while true {
            guard let c = peek() else { throw PromQLError("unterminated quoted string", at: start) }
            if c == quote {
                advance()
                let valid = String(validating: bytes, as: UTF8.self)
                return Token(kind: .string, text: valid ?? String(decoding: bytes, as: UTF8.self), position: start, end: utf8Offset,
                             invalidUTF8: valid == nil ? bytes : nil)
            }
            if quote != "`" && c == "\n" { throw PromQLError("unterminated quoted string", at: start) }
            if quote != "`" && c == "\\" {
                let escapePos = position
                advance()
                guard let e = peek() else { throw PromQLError("unterminated quoted string", at: start) }
                advance()
                switch e {
                case "a": bytes.append(0x07)
                case "b": bytes.append(0x08)
                case "f": bytes.append(0x0C)
                case "n": bytes.append(0x0A)
                case "r": bytes.append(0x0D)
                case "t": bytes.append(0x09)
                case "v": bytes.append(0x0B)
                case "\\": bytes.append(0x5C)
                case "\"", "'": 
                    guard e == quote else { throw PromQLError("unknown escape sequence \"\\\(e)\"", at: escapePos) }
                    append(e)
                case "x", "u", "U":
                    let n = e == "x" ? 2 : e == "u" ? 4 : 8
                    var code: UInt32 = 0
                    for _ in 0..<n {
                        guard let h = peek(), Lexer.isHexDigit(h) else {
                            throw PromQLError("invalid escape sequence \"\\\(e)\": expected \(n) hex digits", at: escapePos)
                        }
                        code = code * 16 + UInt32(String(h), radix: 16)!
                        advance()
                    }
                    if e == "x" {
                        bytes.append(UInt8(code))
                        continue
                    }
                    guard let s = Unicode.Scalar(code) else {
                        throw PromQLError("escape sequence is an invalid Unicode code point", at: escapePos)
                    }
                    append(s)
                case "0"..."7":
                    var code = UInt32(String(e))!
                    for _ in 0..<2 {
                        guard let o = peek(), o >= "0" && o <= "7" else {
                            throw PromQLError("invalid octal escape: expected 3 octal digits", at: escapePos)
                        }
                        code = code * 8 + UInt32(String(o))!
                        advance()
                    }
                    guard code <= 255 else { throw PromQLError("octal escape value > 255", at: escapePos) }
                    bytes.append(UInt8(code))
                default:
                    throw PromQLError("unknown escape sequence \"\\\(e)\"", at: escapePos)
                }
                continue
            }
            append(c)
            advance()
        }
    }
}
