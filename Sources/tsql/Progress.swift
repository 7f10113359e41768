import Foundation
import Synchronization

/// A one-line progress report on standard error, redrawn at most 4 times a second, only on a terminal.
final class Progress: Sendable {
    let enabled: Bool
    private let last = Mutex(Date.distantPast)

    init(enabled: Bool) { self.enabled = enabled }

    func update(file: String, read: Int64, total: Int64?, samples: Int, since start: Date) {
        guard enabled else { return }
        let due = last.withLock { last in
            guard Date().timeIntervalSince(last) >= 0.25 else { return false }
            last = Date()
            return true
        }
        guard due else { return }
        let elapsed = Date().timeIntervalSince(start)
        var text = "\(file): \(Self.bytes(read))"
        if let total, total > 0 {
            let fraction = Double(read) / Double(total)
            text += " / \(Self.bytes(total)) (\(Int(fraction * 100))%)"
            if fraction > 0.01 { text += ", ETA \(Int(elapsed / fraction - elapsed)) s" }
        }
        text += ", \(Self.count(Double(samples))) samples, \(Self.count(Double(samples) / max(elapsed, 0.001))) samples/s"
        message(text)
    }

    /// Shows `text` now, or (`throttled`) only if the last redraw was at least 0.25 s ago.
    func message(_ text: String, throttled: Bool = false) {
        guard enabled else { return }
        if throttled {
            let due = last.withLock { last in
                guard Date().timeIntervalSince(last) >= 0.25 else { return false }
                last = Date()
                return true
            }
            guard due else { return }
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 30 ? String(format: "%.2f GB", Double(n) / Double(1 << 30)) : String(format: "%.1f MB", Double(n) / Double(1 << 20))
    }

    static func count(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.2f M", x / 1e6) : x >= 1e3 ? String(format: "%.1f k", x / 1e3) : String(Int(x))
    }
}
