import Foundation
import TSDB

/// Times as the shell reads and prints them: RFC 3339, unix seconds, and
/// `now`, `now-1h`, `now+30m` relative to the clock.
public enum TimeFormat {
    /// Milliseconds since the epoch, or nil if `text` is none of the accepted forms.
    public static func parse(_ text: String, now: Int64) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "now" { return now }
        if s.hasPrefix("now"), let sign = s.dropFirst(3).first, sign == "-" || sign == "+",
           let d = DurationFormat.parse(String(s.dropFirst(4))) {
            return sign == "-" ? now - d : now + d
        }
        if let seconds = Double(s), seconds.isFinite { return Int64((seconds * 1000).rounded()) }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) ?? ISO8601DateFormatter().date(from: s) {
            return Int64((d.timeIntervalSince1970 * 1000).rounded())
        }
        return nil
    }

    /// `2026-11-21T20:00:00Z`, with milliseconds only when there are some.
    public static func rfc3339(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        if ms % 1000 != 0 { f.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// `20:15`, `20:15:30` or `11-21 20:15` for chart axes, as precise as `span` needs.
    static func axisLabel(_ ms: Int64, span: Int64) -> String {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        let d = c.dateComponents([.month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        if span > 2 * 86_400_000 { return "\(two(d.month))-\(two(d.day)) \(two(d.hour)):\(two(d.minute))" }
        if span < 10 * 60_000 { return "\(two(d.hour)):\(two(d.minute)):\(two(d.second))" }
        return "\(two(d.hour)):\(two(d.minute))"
    }
}

/// Byte counts for people: `812 B`, `3.4 MiB`.
public enum ByteCount {
    static let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

    public static func text(_ n: Int64) -> String {
        let (v, unit) = scaled(Double(n))
        return unit == "B" ? "\(n) B" : String(format: "%.1f %@", v, unit)
    }

    /// `bytes` divided by 1024 until below 1024, and its unit.
    static func scaled(_ bytes: Double) -> (Double, String) {
        var v = bytes, i = 0
        while abs(v) >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return (v, units[i])
    }
}
