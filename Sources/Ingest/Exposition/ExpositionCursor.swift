/// A position in one line of an exposition, with the scanning primitives
/// (names, quoted strings, numbers) the parser and `ExpositionSample.labels()` share.
struct ExpositionCursor {
    let text: UnsafeRawBufferPointer
    var position = 0
    let line: Int

    init(_ text: UnsafeRawBufferPointer, line: Int) {
        self.text = text
        self.line = line
    }

    var atEnd: Bool { position >= text.count }
    var peek: UInt8 { position < text.count ? text[position] : 0 }
    mutating func advance() { position += 1 }

    func error(_ message: String) -> ExpositionError {
        ExpositionError(line: line, column: position + 1, message: message + (atEnd ? "" : ", got \(Self.describe(text[position]))"))
    }

    static func describe(_ b: UInt8) -> String {
        switch b {
        case UInt8(ascii: " "): "a space"
        case UInt8(ascii: "\t"): "a tab"
        case 0x21...0x7e: "\"\(Character(Unicode.Scalar(b)))\""
        default: "byte 0x" + String(b, radix: 16)
        }
    }

    mutating func skipBlanks() {
        while position < text.count && (text[position] == UInt8(ascii: " ") || text[position] == UInt8(ascii: "\t")) { position += 1 }
    }

    /// Letters only (comment keywords).
    mutating func word() -> String {
        let start = position
        while position < text.count, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(text[position]) { position += 1 }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    /// The rest of the line, trailing blanks removed.
    mutating func rest() -> String {
        var end = text.count
        while end > position && (text[end - 1] == UInt8(ascii: " ") || text[end - 1] == UInt8(ascii: "\t")) { end -= 1 }
        defer { position = text.count }
        return String(decoding: text[position..<end], as: UTF8.self)
    }

    static func isNameStart(_ b: UInt8, colon: Bool) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || (colon && b == 58)
    }

    static func isNameChar(_ b: UInt8, colon: Bool) -> Bool { isNameStart(b, colon: colon) || (b >= 48 && b <= 57) }

    /// A metric (`allowColon`) or label name, checked.
    mutating func checkedName(allowColon: Bool) throws(ExpositionError) -> [UInt8] {
        let start = position
        try skipName(allowColon: allowColon)
        return Array(text[start..<position])
    }

    /// Checks and skips a name without copying it.
    mutating func skipName(allowColon: Bool) throws(ExpositionError) {
        guard !atEnd, Self.isNameStart(peek, colon: allowColon) else {
            throw error(allowColon ? "expected a metric name" : "expected a label name")
        }
        position += 1
        while position < text.count && Self.isNameChar(text[position], colon: allowColon) { position += 1 }
    }

    /// A name known to be valid.
    mutating func bareName(allowColon: Bool) -> [UInt8] {
        let start = position
        while position < text.count && Self.isNameChar(text[position], colon: allowColon) { position += 1 }
        return Array(text[start..<position])
    }

    /// A double-quoted string with `\\`, `\"`, `\n` escapes, checked and unescaped.
    mutating func checkedQuoted() throws(ExpositionError) -> [UInt8] {
        let open = position
        try skipQuoted()
        position = open
        return quoted()
    }

    /// Checks and skips a quoted string without copying it.
    mutating func skipQuoted() throws(ExpositionError) {
        guard peek == UInt8(ascii: "\"") else { throw error("expected a quoted string") }
        let open = position
        advance()
        while position < text.count {
            switch text[position] {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                guard position + 1 < text.count else {
                    position += 1  // a backslash at the end of the line: unterminated
                    continue
                }
                let next = text[position + 1]
                guard next == UInt8(ascii: "\\") || next == UInt8(ascii: "\"") || next == UInt8(ascii: "n") else {
                    advance()
                    throw error("invalid escape \"\\\(Character(Unicode.Scalar(next)))\" (only \\\\, \\\" and \\n)")
                }
                position += 2
            default:
                position += 1
            }
        }
        position = open
        throw error("unterminated quoted string")
    }

    /// A quoted string known to be valid, unescaped.
    mutating func quoted() -> [UInt8] {
        advance()
        var out: [UInt8] = []
        let start = position
        var plain = true
        while position < text.count && text[position] != UInt8(ascii: "\"") {
            if text[position] == UInt8(ascii: "\\") {
                if plain { out = Array(text[start..<position]); plain = false }
                position += 1
                out.append(text[position] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : text[position])
            } else if !plain {
                out.append(text[position])
            }
            position += 1
        }
        if plain { out = Array(text[start..<position]) }
        position += 1
        return out
    }

    /// Help text: `\\` and `\n` escapes (the text format also takes `\"` literally as OpenMetrics does).
    mutating func helpText() throws(ExpositionError) -> String {
        var out: [UInt8] = []
        while position < text.count {
            let b = text[position]
            if b == UInt8(ascii: "\\"), position + 1 < text.count {
                let next = text[position + 1]
                switch next {
                case UInt8(ascii: "\\"): out.append(next)
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "\""): out.append(next)
                default: out += [b, next]
                }
                position += 2
            } else {
                out.append(b)
                position += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("help text is not valid UTF-8") }
        return s
    }

    /// The token up to the next blank.
    mutating func token() -> UnsafeRawBufferPointer {
        let start = position
        while position < text.count && text[position] != UInt8(ascii: " ") && text[position] != UInt8(ascii: "\t") { position += 1 }
        return UnsafeRawBufferPointer(rebasing: text[start..<position])
    }

    /// A sample value as Go's strconv.ParseFloat reads it (`NaN`, `+Inf`, exponents).
    mutating func float() throws(ExpositionError) -> Double {
        let start = position
        let t = token()
        guard !t.isEmpty, let v = ExpositionNumbers.parseDouble(t) else {
            position = start
            throw error("expected a number as the value")
        }
        return v
    }

    /// Text format: an integer in milliseconds.
    mutating func millisecondsTimestamp() throws(ExpositionError) -> Int64 {
        let start = position
        let t = token()
        guard let ms = ExpositionNumbers.parseInt(t) else {
            position = start
            throw error("expected a timestamp in milliseconds")
        }
        return ms
    }

    /// OpenMetrics: seconds with up to nanosecond precision, as milliseconds (sub-millisecond digits truncated).
    mutating func secondsTimestamp() throws(ExpositionError) -> Int64 {
        let start = position
        let t = token()
        guard let ms = ExpositionNumbers.parseSecondsAsMilliseconds(t) else {
            position = start
            throw error("expected a timestamp in seconds")
        }
        return ms
    }
}
