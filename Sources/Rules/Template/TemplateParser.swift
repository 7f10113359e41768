/// Parses alert templates (Go text/template syntax) into `TemplateNode`s.
enum TemplateParser {
    enum Token: Equatable {
        case string(String), number(Double), variable(String, [String]), field([String]), identifier(String)
        case pipe, open, close, declare, assign, comma
    }

    /// Text and actions; `{{-` and `-}}` trim the white space next to them; `{{/* */}}` are comments.
    static func parse(_ source: String) throws(TemplateError) -> [TemplateNode] {
        var pieces: [(text: String, action: [Token]?, keyword: String?)] = []
        var rest = Substring(source)
        var trimNext = false
        while let open = rest.range(of: "{{") {
            var text = rest[..<open.lowerBound]
            if trimNext { text = text.drop(while: \.isWhitespace) }
            var inner = rest[open.upperBound...]
            if inner.hasPrefix("- ") || inner.hasPrefix("-\t") || inner.hasPrefix("-\n") {
                while text.last?.isWhitespace == true { text = text.dropLast() }
                inner = inner.dropFirst(2)
            }
            guard let close = inner.range(of: "}}") else { throw TemplateError("unclosed action: \"{{\(inner.prefix(20))\"") }
            var body = inner[..<close.lowerBound]
            trimNext = false
            if body.hasSuffix(" -") || body.hasSuffix("\t-") || body.hasSuffix("\n-") {
                body = body.dropLast(2)
                trimNext = true
            }
            pieces.append((String(text), nil, nil))
            let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if !(trimmed.hasPrefix("/*") && trimmed.hasSuffix("*/")) {
                let tokens = try tokenize(Substring(trimmed))
                pieces.append(("", tokens, nil))
            }
            rest = inner[close.upperBound...]
        }
        pieces.append((String(trimNext ? rest.drop(while: \.isWhitespace) : rest), nil, nil))
        var index = 0
        let (nodes, end) = try block(pieces.map { ($0.text, $0.action) }, &index, inside: false)
        if let end { throw TemplateError("unexpected \(end)") }
        return nodes
    }

    /// How a block ended: `{{end}}`, `{{else}}` or `{{else if …}}`.
    enum BlockEnd: CustomStringConvertible {
        case end, otherwise, otherwiseIf(TemplatePipeline)
        var description: String {
            switch self {
            case .end: "{{end}}"
            case .otherwise: "{{else}}"
            case .otherwiseIf: "{{else if}}"
            }
        }
    }

    /// Nodes up to the action that closes the block (nil at the end of the template).
    static func block(_ pieces: [(String, [Token]?)], _ i: inout Int, inside: Bool) throws(TemplateError) -> ([TemplateNode], BlockEnd?) {
        var nodes: [TemplateNode] = []
        while i < pieces.count {
            let (text, action) = pieces[i]
            i += 1
            guard let tokens = action else {
                if !text.isEmpty { nodes.append(.text(text)) }
                continue
            }
            guard case .identifier(let word)? = tokens.first, ["if", "range", "with", "else", "end"].contains(word) else {
                nodes.append(.action(try pipeline(tokens[...])))
                continue
            }
            switch word {
            case "end", "else":
                guard inside else { throw TemplateError("unexpected {{\(word)}}") }
                if word == "end" { return (nodes, .end) }
                if tokens.count > 1, case .identifier("if") = tokens[1] { return (nodes, .otherwiseIf(try pipeline(tokens.dropFirst(2)))) }
                return (nodes, .otherwise)
            default:
                var p = try pipeline(tokens.dropFirst())
                let (body, otherwise) = try branches(pieces, &i, opener: word)
                switch word {
                case "if": nodes.append(.conditional(p, then: body, else: otherwise))
                case "with": nodes.append(.with(p, body: body, else: otherwise))
                default:
                    let vars = p.declarations
                    p.declarations = []
                    nodes.append(.loop(p, keyVariable: vars.count == 2 ? vars[0] : nil, valueVariable: vars.last, body: body, else: otherwise))
                }
            }
        }
        return (nodes, nil)
    }

    /// The body of `{{if}}`/`{{range}}`/`{{with}}` and its else branch; an
    /// `{{else if}}` chain becomes nested conditionals closed by one `{{end}}`.
    private static func branches(_ pieces: [(String, [Token]?)], _ i: inout Int, opener: String) throws(TemplateError) -> ([TemplateNode], [TemplateNode]) {
        let (body, end) = try block(pieces, &i, inside: true)
        switch end {
        case nil: throw TemplateError("unexpected end of template: {{\(opener)}} has no {{end}}")
        case .end?: return (body, [])
        case .otherwise?:
            let (otherwise, last) = try block(pieces, &i, inside: true)
            guard case .end? = last else { throw TemplateError("expected {{end}} after {{else}}") }
            return (body, otherwise)
        case .otherwiseIf(let condition)?:
            let (then, otherwise) = try branches(pieces, &i, opener: "if")
            return (body, [.conditional(condition, then: then, else: otherwise)])
        }
    }

    /// `[$a[, $b] :=] command | command …`
    static func pipeline(_ tokens: ArraySlice<Token>) throws(TemplateError) -> TemplatePipeline {
        var t = tokens
        var p = TemplatePipeline(commands: [])
        if let d = t.firstIndex(where: { $0 == .declare || $0 == .assign }) {
            for tok in t[..<d] {
                switch tok {
                case .variable(let name, let fields) where fields.isEmpty: p.declarations.append(name)
                case .comma: continue
                default: throw TemplateError("bad variable declaration")
                }
            }
            p.assigns = t[d] == .assign
            t = t[(d + 1)...]
        }
        var command: [TemplateArgument] = []
        while let tok = t.first {
            t = t.dropFirst()
            switch tok {
            case .pipe:
                guard !command.isEmpty else { throw TemplateError("missing command before |") }
                p.commands.append(command)
                command = []
            case .open:
                var depth = 1, inner: [Token] = []
                while let x = t.first, depth > 0 {
                    t = t.dropFirst()
                    if x == .open { depth += 1 }
                    if x == .close { depth -= 1; if depth == 0 { break } }
                    inner.append(x)
                }
                guard depth == 0 else { throw TemplateError("unclosed left paren") }
                command.append(.pipeline(try pipeline(inner[...])))
            case .close: throw TemplateError("unexpected right paren")
            case .string(let s): command.append(.string(s))
            case .number(let n): command.append(.number(n))
            case .variable(let name, let fields): command.append(.variable(name, fields: fields))
            case .field(let fields): command.append(.field(fields))
            case .identifier("true"): command.append(.bool(true))
            case .identifier("false"): command.append(.bool(false))
            case .identifier("nil"): command.append(.null)
            case .identifier(let name): command.append(.function(name))
            case .declare, .assign, .comma: throw TemplateError("unexpected \(tok) in command")
            }
        }
        guard !command.isEmpty else { throw TemplateError("missing value for command") }
        p.commands.append(command)
        return p
    }

    static func tokenize(_ s: Substring) throws(TemplateError) -> [Token] {
        var out: [Token] = []
        var i = s.startIndex
        func fields(from j: inout Substring.Index) -> [String] {
            var names: [String] = []
            while j < s.endIndex, s[j] == "." {
                let start = s.index(after: j)
                var k = start
                while k < s.endIndex, s[k].isLetter || s[k].isNumber || s[k] == "_" { k = s.index(after: k) }
                if k == start { break }
                names.append(String(s[start..<k]))
                j = k
            }
            return names
        }
        while i < s.endIndex {
            let c = s[i]
            if c.isWhitespace { i = s.index(after: i); continue }
            switch c {
            case "|": out.append(.pipe); i = s.index(after: i)
            case "(": out.append(.open); i = s.index(after: i)
            case ")": out.append(.close); i = s.index(after: i)
            case ",": out.append(.comma); i = s.index(after: i)
            case "=": out.append(.assign); i = s.index(after: i)
            case ":":
                guard s[s.index(after: i)...].hasPrefix("=") else { throw TemplateError("unexpected \":\" in action") }
                out.append(.declare)
                i = s.index(i, offsetBy: 2)
            case "\"", "`":
                var j = s.index(after: i), text = ""
                while j < s.endIndex, s[j] != c {
                    if c == "\"" && s[j] == "\\" {
                        j = s.index(after: j)
                        guard j < s.endIndex else { break }
                        switch s[j] {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        default: text.append(s[j])
                        }
                    } else {
                        text.append(s[j])
                    }
                    j = s.index(after: j)
                }
                guard j < s.endIndex else { throw TemplateError("unterminated quoted string") }
                out.append(.string(text))
                i = s.index(after: j)
            case "$":
                var j = s.index(after: i)
                while j < s.endIndex, s[j].isLetter || s[j].isNumber || s[j] == "_" { j = s.index(after: j) }
                let name = String(s[s.index(after: i)..<j])
                out.append(.variable(name, fields(from: &j)))
                i = j
            case ".":
                var j = i
                let names = fields(from: &j)
                if names.isEmpty { j = s.index(after: i) }
                out.append(.field(names))
                i = j
            default:
                if c.isNumber || ((c == "-" || c == "+") && s.index(after: i) < s.endIndex && s[s.index(after: i)].isNumber) {
                    var j = s.index(after: i)
                    while j < s.endIndex, s[j].isNumber || s[j] == "." || s[j] == "e" || s[j] == "E" || s[j] == "x" { j = s.index(after: j) }
                    guard let n = Double(s[i..<j]) else { throw TemplateError("bad number syntax: \"\(s[i..<j])\"") }
                    out.append(.number(n))
                    i = j
                } else if c.isLetter || c == "_" {
                    var j = i
                    while j < s.endIndex, s[j].isLetter || s[j].isNumber || s[j] == "_" { j = s.index(after: j) }
                    out.append(.identifier(String(s[i..<j])))
                    i = j
                } else {
                    throw TemplateError("unexpected \"\(c)\" in action")
                }
            }
        }
        return out
    }
}
