import TSDB

/// `label_replace` and `label_join`.
extension Evaluator {
    mutating func stringArg(_ e: Expr) throws(PromQLError) -> String {
        guard case .string(let s) = try eval(e) else { throw PromQLError("expected a string argument") }
        return s
    }

    mutating func labelReplace(_ c: Call) throws(PromQLError) -> [StepSeries] {
        let dst = try stringArg(c.args[1]), replacement = try stringArg(c.args[2])
        let src = try stringArg(c.args[3]), pattern = try stringArg(c.args[4])
        let regex: Regex<AnyRegexOutput>
        do { regex = try Regex(pattern).dotMatchesNewlines() } catch {
            throw PromQLError("invalid regular expression in label_replace(): \(pattern)")
        }
        // Empty, or not valid UTF-8 (the lexer turns invalid bytes into U+FFFD).
        guard !dst.isEmpty, !dst.unicodeScalars.contains("\u{FFFD}") else {
            throw PromQLError("invalid destination label name in label_replace(): \(dst)")
        }
        guard case .vector(var series) = try eval(c.args[0]) else { throw PromQLError("expected an instant vector") }
        for k in series.indices {
            let value = series[k].labels[src]
            guard let m = try? regex.wholeMatch(in: value) else { continue }
            let expanded = Self.expandTemplate(replacement, m)
            series[k].labels = series[k].labels.setting(dst, to: expanded)
            if dst == Labels.metricName { series[k].dropName = false }
        }
        return series
    }

    /// Go's regexp template expansion: `$1`, `${1}`, `$name`, `${name}`, `$$`.
    static func expandTemplate(_ template: String, _ m: Regex<AnyRegexOutput>.Match) -> String {
        var out = ""
        var chars = Array(template)
        var i = 0
        func group(_ name: String) -> String {
            if let n = Int(name) {
                guard n < m.output.count, let sub = m.output[n].substring else { return "" }
                return String(sub)
            }
            if let sub = m.output[name]?.substring { return String(sub) }
            return ""
        }
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            if chars[i + 1] == "$" { out.append("$"); i += 2; continue }
            if chars[i + 1] == "{" {
                if let close = chars[(i + 2)...].firstIndex(of: "}") {
                    out += group(String(chars[(i + 2)..<close]))
                    i = close + 1
                    continue
                }
                out.append(c); i += 1; continue
            }
            var j = i + 1
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            if j == i + 1 { out.append(c); i += 1; continue }
            out += group(String(chars[(i + 1)..<j]))
            i = j
        }
        chars.removeAll()
        return out
    }

    mutating func labelJoin(_ c: Call) throws(PromQLError) -> [StepSeries] {
        let dst = try stringArg(c.args[1]), separator = try stringArg(c.args[2])
        var sources: [String] = []
        for a in c.args.dropFirst(3) { sources.append(try stringArg(a)) }
        guard case .vector(var series) = try eval(c.args[0]) else { throw PromQLError("expected an instant vector") }
        for k in series.indices {
            let joined = sources.map { series[k].labels[$0] }.joined(separator: separator)
            series[k].labels = series[k].labels.setting(dst, to: joined)
            if dst == Labels.metricName { series[k].dropName = false }
        }
        return series
    }
}
