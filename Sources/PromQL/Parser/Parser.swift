import TSDB

/// Parses PromQL (Prometheus 3.x grammar) into an `Expr`, checking types as
/// Prometheus does. Recursive descent with precedence climbing:
/// `or` < `and`/`unless` < comparisons < `+ -` < `* / % atan2` < `^`
/// (right-associative); unary minus binds like `*`, so `-a^b` is `-(a^b)`.
public struct Parser {
    private var tokens: [Token]
    private var pos = 0
    /// Set while parsing `info()`'s label-selector argument, which may consist
    /// of matchers that all match the empty string.
    private var allowEmptyMatchers = false
    /// The bytes of string literals that are not valid UTF-8, by offset.
    private var invalidStrings: [Int: [UInt8]] = [:]

    /// Parses a whole query; errors carry the position and what was expected.
    public static func parse(_ input: String) throws(PromQLError) -> Expr {
        var lexer = Lexer(input)
        var p = Parser(tokens: try lexer.tokenize())
        if p.current.kind == .eof { throw PromQLError("no expression found in input") }
        let e = try p.parseExpr(0)
        if p.current.kind != .eof {
            throw p.unexpected(expected: "end of input or binary operator")
        }
        return e
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    // MARK: tokens

    private var current: Token { tokens[pos] }
    private func peek(_ k: Int = 1) -> Token { tokens[Swift.min(pos + k, tokens.count - 1)] }
    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    private func unexpected(expected: String? = nil) -> PromQLError {
        PromQLError("unexpected \(current.display)", at: current.position, expected: expected)
    }

    @discardableResult
    private mutating func expect(_ kind: Token.Kind, _ what: String) throws(PromQLError) -> Token {
        guard current.kind == kind else { throw unexpected(expected: what) }
        return advance()
    }

    private func isKeyword(_ word: String) -> Bool {
        current.kind == .identifier && current.text.lowercased() == word
    }

    // MARK: binary expressions

    private func binaryOperator(_ t: Token) -> BinaryOperator? {
        switch t.kind {
        case .plus: .add
        case .minus: .sub
        case .star: .mul
        case .slash: .div
        case .percent: .mod
        case .caret: .pow
        case .equal: .eql
        case .notEqual: .neq
        case .less: .lss
        case .lessEqual: .lte
        case .greater: .gtr
        case .greaterEqual: .gte
        case .trimUpper: .trimUpper
        case .trimLower: .trimLower
        case .identifier:
            switch t.text.lowercased() {
            case "and": .and
            case "or": .or
            case "unless": .unless
            case "atan2": .atan2
            default: nil
            }
        default: nil
        }
    }

    private mutating func parseExpr(_ minPrecedence: Int) throws(PromQLError) -> Expr {
        let start = current.position
        var lhs = try parseUnary()
        while let op = binaryOperator(current), op.precedence >= minPrecedence {
            let opToken = advance()
            var returnBool = false
            if isKeyword("bool") {
                guard op.isComparison else { throw PromQLError("bool modifier can only be used on comparison operators", at: current.position) }
                _ = advance()
                returnBool = true
            }
            var matching: VectorMatching?
            if isKeyword("on") || isKeyword("ignoring") {
                let on = advance().text.lowercased() == "on"
                matching = VectorMatching(cardinality: .oneToOne, labels: try parseLabelList(), on: on, include: [], explicit: true)
            }
            if matching != nil && (isKeyword("group_left") || isKeyword("group_right")) {
                let left = advance().text.lowercased() == "group_left"
                matching!.cardinality = left ? .manyToOne : .oneToMany
                if current.kind == .leftParen { matching!.include = try parseLabelList() }
            }
            try parseFillModifiers(&matching)
            let rhs = try parseExpr(op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = try makeBinary(op, lhs, rhs, returnBool: returnBool, matching: matching, at: opToken.position, start: start)
        }
        return lhs
    }

    /// `fill(v)`, `fill_left(v)`, `fill_right(v)` after the matching clauses. A
    /// metric named `fill` is an operand, not a modifier: only `(` makes it one.
    private mutating func parseFillModifiers(_ matching: inout VectorMatching?) throws(PromQLError) {
        while (isKeyword("fill") || isKeyword("fill_left") || isKeyword("fill_right")) && peek().kind == .leftParen {
            let which = advance().text.lowercased()
            _ = advance()
            var sign = 1.0
            if current.kind == .minus || current.kind == .plus {
                if advance().kind == .minus { sign = -1 }
            }
            guard current.kind == .number else { throw unexpected(expected: "number literal in \(which)()") }
            let value = sign * (try Self.number(advance()))
            try expect(.rightParen, "\")\"")
            if matching == nil { matching = VectorMatching(cardinality: .oneToOne, labels: [], on: false, include: [], explicit: false) }
            if which != "fill_right" { matching!.fillLeft = value }
            if which != "fill_left" { matching!.fillRight = value }
        }
    }

    private func makeBinary(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, returnBool: Bool,
                            matching: VectorMatching?, at position: Position, start: Position) throws(PromQLError) -> Expr {
        for side in [lhs, rhs] where side.type != .scalar && side.type != .vector {
            throw PromQLError("binary expression must contain only scalar and instant vector types", at: position)
        }
        let bothVectors = lhs.type == .vector && rhs.type == .vector
        if op.isComparison && !returnBool && lhs.type == .scalar && rhs.type == .scalar {
            throw PromQLError("comparisons between scalars must use BOOL modifier", at: position)
        }
        if op.isSetOperator {
            guard bothVectors else {
                throw PromQLError("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", at: position)
            }
            if let m = matching, m.cardinality == .manyToOne || m.cardinality == .oneToMany {
                throw PromQLError("no grouping allowed for \"\(op.rawValue)\" operation", at: position)
            }
        }
        if !bothVectors, let m = matching, m.explicit || m.cardinality != .oneToOne {
            throw PromQLError("vector matching only allowed between instant vectors", at: position)
        }
        if let m = matching, m.fills, !bothVectors || op.isSetOperator {
            throw PromQLError("fill modifiers are only allowed for arithmetic and comparison operations between instant vectors", at: position)
        }
        var vm: VectorMatching? = nil
        if bothVectors {
            vm = matching ?? VectorMatching(cardinality: .oneToOne, labels: [], on: false, include: [], explicit: false)
            if op.isSetOperator { vm!.cardinality = .manyToMany }
            if let m = matching, m.on, m.cardinality != .oneToOne {
                for l in m.include where m.labels.contains(l) {
                    throw PromQLError("label \"\(l)\" must not occur in ON and GROUP clause at once", at: position)
                }
            }
        }
        return .binary(Binary(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: vm, position: start.offset))
    }

    // MARK: unary and postfix

    private mutating func parseUnary() throws(PromQLError) -> Expr {
        if current.kind == .minus || current.kind == .plus {
            let t = advance()
            let operand = try parseExpr(BinaryOperator.pow.precedence)
            guard operand.type == .scalar || operand.type == .vector else {
                throw PromQLError("unary expression only allowed on expressions of type scalar or instant vector, got \(operand.type.rawValue)",
                                  at: t.position)
            }
            if t.kind == .plus { return operand }
            if case .number(let v, let d) = operand { return .number(-v, duration: d) }
            return .unary(negate: true, operand)
        }
        return try parsePostfix(try parsePrimary())
    }

    private mutating func parsePostfix(_ base: Expr) throws(PromQLError) -> Expr {
        var e = base
        while true {
            if current.kind == .leftBracket {
                e = try parseRangeOrSubquery(e)
            } else if isKeyword("offset") {
                let t = advance()
                e = try withOffset(e, try parseOffsetDuration(), at: t.position)
            } else if current.kind == .at {
                let t = advance()
                e = try withAt(e, try parseAtModifier(), at: t.position)
            } else if isKeyword("anchored") || isKeyword("smoothed") {
                e = try withRangeModifier(e)
            } else {
                return e
            }
        }
    }

    private mutating func parseRangeOrSubquery(_ e: Expr) throws(PromQLError) -> Expr {
        let open = advance()
        let range = try parseDurationExpr(0)
        if current.kind == .colon {
            _ = advance()
            var step: DurationExpr?
            if current.kind != .rightBracket { step = try parseDurationExpr(0) }
            try expect(.rightBracket, "\"]\"")
            guard e.type == .vector else {
                throw PromQLError("subquery is only allowed on instant vector, got \(e.type.rawValue) instead", at: open.position)
            }
            return .subquery(Subquery(expr: e, range: range, step: step, offset: nil, at: nil))
        }
        try expect(.rightBracket, "\"]\" or \":\"")
        guard case .vectorSelector(let vs) = e else {
            throw PromQLError("ranges only allowed for vector selectors", at: open.position)
        }
        guard vs.offset == nil, vs.at == nil else {
            throw PromQLError("no offset or @ modifiers allowed before range", at: open.position)
        }
        return .matrixSelector(MatrixSelector(selector: vs, range: range))
    }

    /// Applies `set` to the offset and `@` of the selector or subquery `e`;
    /// nil if `e` cannot carry modifiers.
    private func modifying(_ e: Expr, _ set: (inout DurationExpr?, inout AtModifier?) throws(PromQLError) -> Void)
        throws(PromQLError) -> Expr? {
        switch e {
        case .vectorSelector(var vs): try set(&vs.offset, &vs.at); return .vectorSelector(vs)
        case .matrixSelector(var ms): try set(&ms.selector.offset, &ms.selector.at); return .matrixSelector(ms)
        case .subquery(var sq): try set(&sq.offset, &sq.at); return .subquery(sq)
        default: return nil
        }
    }

    private func withOffset(_ e: Expr, _ d: DurationExpr, at position: Position) throws(PromQLError) -> Expr {
        let result = try modifying(e) { (offset, _) throws(PromQLError) in
            guard offset == nil else { throw PromQLError("offset may not be set multiple times", at: position) }
            offset = d
        }
        guard let result else {
            throw PromQLError("offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                              at: position)
        }
        return result
    }

    private func withAt(_ e: Expr, _ a: AtModifier, at position: Position) throws(PromQLError) -> Expr {
        let result = try modifying(e) { (_, at) throws(PromQLError) in
            guard at == nil else { throw PromQLError("@ <timestamp> may not be set multiple times", at: position) }
            at = a
        }
        guard let result else {
            throw PromQLError("@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                              at: position)
        }
        return result
    }

    /// `anchored` (range selectors) or `smoothed` (range and instant selectors), once.
    private mutating func withRangeModifier(_ e: Expr) throws(PromQLError) -> Expr {
        let t = advance()
        let anchored = t.text.lowercased() == "anchored"
        func set(_ vs: inout VectorSelector) throws(PromQLError) {
            guard !vs.anchored && !vs.smoothed else {
                throw PromQLError("anchored or smoothed may only be set once", at: t.position)
            }
            if anchored { vs.anchored = true } else { vs.smoothed = true }
        }
        switch e {
        case .matrixSelector(var ms):
            try set(&ms.selector)
            return .matrixSelector(ms)
        case .vectorSelector(var vs) where !anchored:
            try set(&vs)
            return .vectorSelector(vs)
        default:
            throw PromQLError("\(anchored ? "anchored modifier must be preceded by a range vector selector" : "smoothed modifier must be preceded by an instant vector selector or range vector selector")",
                              at: t.position)
        }
    }

    /// The functions whose range argument may be `anchored` / `smoothed`.
    static let anchoredFunctions = ["changes", "delta", "increase", "rate", "resets"]
    static let smoothedFunctions = ["delta", "increase", "rate"]

    private mutating func parseAtModifier() throws(PromQLError) -> AtModifier {
        if isKeyword("start") || isKeyword("end") {
            let isStart = advance().text.lowercased() == "start"
            try expect(.leftParen, "\"(\"")
            try expect(.rightParen, "\")\"")
            return isStart ? .start : .end
        }
        var sign = 1.0
        if current.kind == .minus || current.kind == .plus { sign = advance().kind == .minus ? -1 : 1 }
        guard current.kind == .number || current.kind == .duration else {
            throw unexpected(expected: "timestamp, start() or end() after @")
        }
        let t = advance()
        let seconds = sign * (t.kind == .duration ? Double(DurationFormat.parse(t.text) ?? 0) / 1000 : try Self.number(t))
        let ms = (seconds * 1000).rounded()
        guard ms.isFinite, abs(ms) <= 9.2e18 else { throw PromQLError("timestamp out of bounds for @ modifier: \(seconds)", at: t.position) }
        return .timestamp(Int64(ms))
    }

    // MARK: durations

    /// A full duration expression, as inside `[…]`.
    private mutating func parseDurationExpr(_ minPrecedence: Int) throws(PromQLError) -> DurationExpr {
        var lhs = try parseDurationUnary()
        while let op = binaryOperator(current), [.add, .sub, .mul, .div, .mod, .pow].contains(op), op.precedence >= minPrecedence {
            _ = advance()
            let rhs = try parseDurationExpr(op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = .binary(op, lhs, rhs)
        }
        return lhs
    }

    private mutating func parseDurationUnary() throws(PromQLError) -> DurationExpr {
        if current.kind == .minus || current.kind == .plus {
            let negate = advance().kind == .minus
            return .unary(negate: negate, try parseDurationExpr(BinaryOperator.pow.precedence))
        }
        return try parseDurationAtom()
    }

    /// After `offset`: one signed atom; operators after it belong to the enclosing expression.
    private mutating func parseOffsetDuration() throws(PromQLError) -> DurationExpr {
        if current.kind == .minus || current.kind == .plus {
            let negate = advance().kind == .minus
            let atom = try parseDurationAtom()
            return negate ? .unary(negate: true, atom) : atom
        }
        return try parseDurationAtom()
    }

    private mutating func parseDurationAtom() throws(PromQLError) -> DurationExpr {
        let t = current
        switch t.kind {
        case .duration:
            _ = advance()
            guard let ms = DurationFormat.parse(t.text) else { throw PromQLError("invalid duration \"\(t.text)\"", at: t.position) }
            return .literal(ms, text: t.text)
        case .number:
            _ = advance()
            return .seconds(try Self.number(t), text: t.text)
        case .leftParen:
            _ = advance()
            let inner = try parseDurationExpr(0)
            try expect(.rightParen, "\")\"")
            return .paren(inner)
        case .identifier:
            let name = t.text.lowercased()
            guard ["step", "range", "min_of", "max_of"].contains(name), peek().kind == .leftParen else { break }
            _ = advance()
            _ = advance()
            if name == "step" || name == "range" {
                try expect(.rightParen, "\")\"")
                return name == "step" ? .step : .range
            }
            let a = try parseDurationExpr(0)
            try expect(.comma, "\",\"")
            let b = try parseDurationExpr(0)
            try expect(.rightParen, "\")\"")
            return name == "min_of" ? .minOf(a, b) : .maxOf(a, b)
        default:
            break
        }
        throw unexpected(expected: "duration")
    }

    // MARK: primaries

    static func number(_ t: Token) throws(PromQLError) -> Double {
        let text = t.text.utf8.contains(UInt8(ascii: "_")) ? t.text.replacingOccurrences(of: "_", with: "") : t.text
        let hex = text.utf8.dropFirst().first.map { $0 | 0x20 == UInt8(ascii: "x") } ?? false
        if !hex, let v = Double(text) { return v }  // decimal and exponent forms, Inf and NaN in any case
        let lower = text.lowercased()
        if lower == "inf" { return .infinity }
        if lower == "nan" { return .nan }
        if lower.hasPrefix("0x") {
            guard let v = UInt64(lower.dropFirst(2), radix: 16) else {
                throw PromQLError("invalid hexadecimal number \"\(t.text)\"", at: t.position)
            }
            return Double(v)
        }
        guard let v = Double(text) else { throw PromQLError("invalid number \"\(t.text)\"", at: t.position) }
        return v
    }

    private mutating func parsePrimary() throws(PromQLError) -> Expr {
        let t = current
        switch t.kind {
        case .number:
            _ = advance()
            return .number(try Self.number(t))
        case .duration:
            _ = advance()
            guard let ms = DurationFormat.parse(t.text) else { throw PromQLError("invalid duration \"\(t.text)\"", at: t.position) }
            return .number(Double(ms) / 1000, duration: true)
        case .string:
            _ = advance()
            if let bytes = t.invalidUTF8 { invalidStrings[t.position.offset] = bytes }
            return .string(t.text)
        case .leftParen:
            _ = advance()
            let inner = try parseExpr(0)
            try expect(.rightParen, "\")\"")
            return .paren(inner)
        case .leftBrace:
            return .vectorSelector(try parseSelector(name: nil))
        case .identifier:
            let lower = t.text.lowercased()
            if let op = AggregateOp(rawValue: lower),
               peek().kind == .leftParen || ["by", "without"].contains(peek().text.lowercased()) {
                return try parseAggregate(op)
            }
            if peek().kind == .leftParen {
                guard let f = Function.all[t.text] else {
                    throw PromQLError("unknown function with name \"\(t.text)\"", at: t.position)
                }
                return try parseCall(f)
            }
            if ["bool", "on", "ignoring", "group_left", "group_right", "offset", "by", "without"].contains(lower)
                || AggregateOp(rawValue: lower) != nil {
                throw unexpected(expected: "expression")
            }
            _ = advance()
            return .vectorSelector(try parseSelector(name: t.text, at: t.position))
        default:
            throw unexpected(expected: "expression")
        }
    }

    private mutating func parseCall(_ f: Function) throws(PromQLError) -> Expr {
        let nameToken = advance()
        try expect(.leftParen, "\"(\"")
        var args: [Expr] = []
        var argStarts: [Position] = []
        while current.kind != .rightParen {
            allowEmptyMatchers = f.name == "info" && args.count == 1
            defer { allowEmptyMatchers = false }
            argStarts.append(current.position)
            args.append(try parseExpr(0))
            if current.kind == .comma { _ = advance() } else if current.kind != .rightParen {
                throw unexpected(expected: "\",\" or \")\" in argument list of \"\(f.name)\"")
            }
        }
        _ = advance()
        if args.count < f.minArgs {
            throw PromQLError("expected \(f.maxArgs == f.minArgs ? "" : "at least ")\(f.minArgs) argument(s) in call to \"\(f.name)\", got \(args.count)",
                              at: nameToken.position)
        }
        if let max = f.maxArgs, args.count > max {
            throw PromQLError("expected \(f.minArgs == max ? "" : "at most ")\(max) argument(s) in call to \"\(f.name)\", got \(args.count)",
                              at: nameToken.position)
        }
        for (i, a) in args.enumerated() where a.type != f.argType(i) {
            throw PromQLError("expected type \(f.argType(i).rawValue) in call to function \"\(f.name)\", got \(a.type.rawValue)",
                              at: nameToken.position)
        }
        for case .matrixSelector(let ms) in args where ms.selector.anchored || ms.selector.smoothed {
            let (modifier, allowed) = ms.selector.anchored ? ("anchored", Self.anchoredFunctions) : ("smoothed", Self.smoothedFunctions)
            guard allowed.contains(f.name) else {
                throw PromQLError("\(modifier) modifier can only be used with: \(allowed.joined(separator: ", ")) - not with \(f.name)",
                                  at: nameToken.position)
            }
        }
        if f.name == "info", args.count > 1 {
            guard case .vectorSelector(let vs) = args[1], vs.offset == nil, vs.at == nil else {
                throw PromQLError("expected label selectors as the second argument to \"info\" function",
                                  at: argStarts[1])
            }
        }
        return .call(Call(function: f, args: args, position: nameToken.position.offset, argPositions: argStarts.map(\.offset)))
    }

    private mutating func parseAggregate(_ op: AggregateOp) throws(PromQLError) -> Expr {
        let opToken = advance()
        var grouping: [String] = []
        var without = false
        var hasGrouping = false
        if isKeyword("by") || isKeyword("without") {
            without = advance().text.lowercased() == "without"
            grouping = try parseLabelList()
            hasGrouping = true
        }
        try expect(.leftParen, "\"(\"")
        var args: [Expr] = []
        var argStarts: [Position] = []
        while current.kind != .rightParen {
            argStarts.append(current.position)
            args.append(try parseExpr(0))
            if current.kind == .comma { _ = advance() } else if current.kind != .rightParen {
                throw unexpected(expected: "\",\" or \")\" in aggregation")
            }
        }
        _ = advance()
        if !hasGrouping && (isKeyword("by") || isKeyword("without")) {
            without = advance().text.lowercased() == "without"
            grouping = try parseLabelList()
            hasGrouping = true
        }
        let wantParam = op.parameterType != nil
        guard args.count == (wantParam ? 2 : 1) else {
            throw PromQLError("wrong number of arguments for aggregate expression provided, expected \(wantParam ? 2 : 1), got \(args.count)",
                              at: opToken.position)
        }
        let expr = args.last!
        guard expr.type == .vector else {
            throw PromQLError("expected type instant vector in aggregation expression, got \(expr.type.rawValue)", at: opToken.position)
        }
        if let pt = op.parameterType, args[0].type != pt {
            throw PromQLError("expected type \(pt.rawValue) in aggregation parameter, got \(args[0].type.rawValue)", at: opToken.position)
        }
        return .aggregate(Aggregate(op: op, param: wantParam ? args[0] : nil, expr: expr, grouping: grouping,
                                    without: without, hasGrouping: hasGrouping, paramPosition: argStarts[0].offset,
                                    exprPosition: argStarts[argStarts.count - 1].offset,
                                    invalidUTF8Param: invalidStrings[argStarts[0].offset].map { GoFormat.quote(bytes: $0) }))
    }

    /// `(a, b, "c.d",)`: label names, quoted ones allowed, trailing comma allowed.
    private mutating func parseLabelList() throws(PromQLError) -> [String] {
        try expect(.leftParen, "\"(\"")
        var names: [String] = []
        while current.kind != .rightParen {
            guard current.kind == .identifier || current.kind == .string else { throw unexpected(expected: "label name") }
            names.append(advance().text)
            if current.kind == .comma { _ = advance() } else if current.kind != .rightParen {
                throw unexpected(expected: "\",\" or \")\" in grouping label list")
            }
        }
        _ = advance()
        return names
    }

    // MARK: selectors

    private mutating func parseSelector(name: String?, at namePosition: Position? = nil) throws(PromQLError) -> VectorSelector {
        var metricName = name
        var matchers: [LabelMatcher] = []
        let start = current.position
        if current.kind == .leftBrace {
            _ = advance()
            while current.kind != .rightBrace {
                let nameToken = current
                guard nameToken.kind == .identifier || nameToken.kind == .string else {
                    throw unexpected(expected: "label matcher")
                }
                _ = advance()
                let type: LabelMatcher.MatchType
                switch current.kind {
                case .assign: type = .equal
                case .notEqual: type = .notEqual
                case .regexMatch: type = .regexMatch
                case .regexNoMatch: type = .regexNoMatch
                case .comma, .rightBrace:
                    // A quoted metric name alone: {"my.metric"}.
                    guard nameToken.kind == .string else { throw unexpected(expected: "label matching operator") }
                    guard metricName == nil else {
                        throw PromQLError("metric name must not be set twice: \"\(metricName!)\" or \"\(nameToken.text)\"", at: nameToken.position)
                    }
                    metricName = nameToken.text
                    if current.kind == .comma { _ = advance() }
                    continue
                default:
                    throw unexpected(expected: "label matching operator")
                }
                _ = advance()
                guard current.kind == .string else { throw unexpected(expected: "string") }
                let value = advance()
                do {
                    matchers.append(try LabelMatcher(type, nameToken.text, value.text))
                } catch {
                    throw PromQLError("\(error)", at: value.position)
                }
                if current.kind == .comma { _ = advance() } else if current.kind != .rightBrace {
                    throw unexpected(expected: "\",\" or \"}\"")
                }
            }
            _ = advance()
        }
        if let n = metricName {
            if name != nil && matchers.contains(where: { $0.name == Labels.metricName }) {
                throw PromQLError("metric name must not be set twice: \"\(n)\"", at: namePosition ?? start)
            }
            matchers.insert(.equal(Labels.metricName, n), at: 0)
        }
        guard allowEmptyMatchers || matchers.contains(where: { !$0.matchesEmpty }) else {
            throw PromQLError("vector selector must contain at least one non-empty matcher", at: namePosition ?? start)
        }
        var selector = VectorSelector(name: metricName, matchers: matchers, offset: nil, at: nil)
        selector.position = (namePosition ?? start).offset
        return selector
    }
}
