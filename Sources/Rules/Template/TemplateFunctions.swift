import Foundation
import PromQL

/// The functions alert templates may call: Go's builtins (`eq`, `and`,
/// `printf`, `len`, `index`, …) and Prometheus' (`humanize*`, `query`,
/// `label`, `toUpper`, `reReplaceAll`, …), with their formatting.
enum TemplateFunctions {
    /// Go's `%.4g`, with Go's spellings of the special values.
    static func g4(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return String(format: "%.4g", v)
    }

    static func humanize(_ v: Double) -> String {
        if v == 0 || !v.isFinite { return g4(v) }
        var x = v, prefix = ""
        if abs(x) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] where abs(x) >= 1000 {
                prefix = p
                x /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(x) < 1 {
                prefix = p
                x *= 1000
            }
        }
        return g4(x) + prefix
    }

    static func humanize1024(_ v: Double) -> String {
        if abs(v) <= 1 || !v.isFinite { return g4(v) }
        var x = v, prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] where abs(x) >= 1024 {
            prefix = p
            x /= 1024
        }
        return g4(x) + prefix
    }

    static func humanizeDuration(_ v: Double) -> String {
        if !v.isFinite { return g4(v) }
        if v == 0 { return g4(v) + "s" }
        if abs(v) >= 1 {
            let sign = v < 0 ? "-" : ""
            let d = Int64(abs(v))
            let (days, hours, minutes, seconds) = (d / 86_400, d / 3600 % 24, d / 60 % 60, d % 60)
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + g4(abs(v)) + "s"
        }
        var x = v, prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(x) < 1 {
            prefix = p
            x *= 1000
        }
        return g4(x) + prefix + "s"
    }

    /// `2015-06-23 13:19:44.128 +0000 UTC`, as Go prints a UTC time; like
    /// Prometheus the seconds go through nanoseconds to milliseconds (truncated).
    static func humanizeTimestamp(_ v: Double) -> String {
        if !v.isFinite { return g4(v) }
        let nanos = v * 1e9
        guard nanos < 9.2e18 && nanos > -9.2e18 else { return g4(v) }
        let ms = Int64(nanos) / 1_000_000
        let seconds = ms >= 0 || ms % 1000 == 0 ? ms / 1000 : ms / 1000 - 1
        let millis = ms - seconds * 1000
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        let d = c.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
        var text = String(format: "%04d-%02d-%02d %02d:%02d:%02d", d.year!, d.month!, d.day!, d.hour!, d.minute!, d.second!)
        if millis > 0 {
            var frac = String(format: "%03lld", millis)
            while frac.last == "0" { frac.removeLast() }
            text += "." + frac
        }
        return text + " +0000 UTC"
    }

    /// Go's `fmt.Sprintf` for the verbs templates use: %s %v %d %f %e %g %q %x %%, with flags, width and precision.
    static func printf(_ format: String, _ args: [TemplateValue]) -> String {
        var out = "", i = format.startIndex, next = 0
        while i < format.endIndex {
            let c = format[i]
            i = format.index(after: i)
            guard c == "%" else { out.append(c); continue }
            var spec = ""
            while i < format.endIndex, "+-# 0123456789.".contains(format[i]) {
                spec.append(format[i])
                i = format.index(after: i)
            }
            guard i < format.endIndex else { out += "%!(NOVERB)"; break }
            let verb = format[i]
            i = format.index(after: i)
            if verb == "%" { out += "%"; continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[next]
            next += 1
            switch (verb, arg) {
            case ("d", .number(let n)) where n == n.rounded() && abs(n) < 9.2e18:
                out += String(format: "%\(spec)lld", Int64(n))
            case ("f", .number(let n)), ("F", .number(let n)), ("e", .number(let n)), ("g", .number(let n)):
                out += n.isFinite ? String(format: "%\(spec)\(verb)", n) : g4(n)
            case ("x", .number(let n)) where n == n.rounded():
                out += String(format: "%\(spec)llx", Int64(n))
            case ("q", _):
                out += GoFormat.quote(arg.text)
            case ("s", _), ("v", _):
                let text = arg.text
                if let width = Int(spec.filter(\.isNumber)), width > text.count {
                    let pad = String(repeating: " ", count: width - text.count)
                    out += spec.hasPrefix("-") ? text + pad : pad + text
                } else {
                    out += text
                }
            default:
                out += "%!\(verb)(\(arg.typeName)=\(arg.text))"
            }
        }
        if next < args.count { out += "%!(EXTRA " + args[next...].map { "\($0.typeName)=\($0.text)" }.joined(separator: ", ") + ")" }
        return out
    }

    /// Go's `eq`/`lt`… on numbers and strings (numbers compare as numbers).
    static func compare(_ name: String, _ a: TemplateValue, _ b: TemplateValue) throws(TemplateError) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            return ["eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y][name]!
        case (.string(let x), .string(let y)):
            return ["eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y][name]!
        case (.bool(let x), .bool(let y)) where name == "eq" || name == "ne":
            return (x == y) == (name == "eq")
        default:
            throw TemplateError("error calling \(name): incompatible types for comparison")
        }
    }

    /// Go's `time.Duration.String` of `seconds`: `1h2m3s`, `1.5s`, `500ms`, `0s`.
    static func goDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 9.2e9 else { return g4(seconds) }
        let nanos = Int64((seconds * 1e9).rounded(.towardZero))
        if nanos == 0 { return "0s" }
        let sign = nanos < 0 ? "-" : "", n = nanos.magnitude
        func fraction(_ value: UInt64, _ unit: UInt64) -> String {
            var text = String(value / unit)
            var frac = String(value % unit)
            if value % unit != 0 {
                frac = String(repeating: "0", count: String(unit).count - 1 - frac.count) + frac
                while frac.last == "0" { frac.removeLast() }
                text += "." + frac
            }
            return text
        }
        if n < 1_000 { return sign + "\(n)ns" }
        if n < 1_000_000 { return sign + fraction(n, 1_000) + "µs" }
        if n < 1_000_000_000 { return sign + fraction(n, 1_000_000) + "ms" }
        let h = n / 3_600_000_000_000, m = n / 60_000_000_000 % 60, s = fraction(n % 60_000_000_000, 1_000_000_000) + "s"
        if h > 0 { return sign + "\(h)h\(m)m" + s }
        if m > 0 { return sign + "\(m)m" + s }
        return sign + s
    }

    /// Go's `url.QueryEscape`: space as `+`, everything but unreserved characters percent-encoded.
    static func queryEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(b)))
            case UInt8(ascii: " "): out += "+"
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// Prometheus' `stripDomain`: `host.example.com:9100` → `host:9100`; IP addresses unchanged.
    static func stripDomain(_ hostPort: String) -> String {
        var host = hostPort, port: String?
        if hostPort.hasPrefix("[") { return hostPort }
        if let colon = hostPort.lastIndex(of: ":"), hostPort.filter({ $0 == ":" }).count == 1 {
            host = String(hostPort[..<colon])
            port = String(hostPort[hostPort.index(after: colon)...])
        }
        let isIPv4 = host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
        if isIPv4 || host.contains(":") { return hostPort }
        let short = host.split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? host
        return port.map { short + ":" + $0 } ?? short
    }
}
