import Foundation

/// File name patterns of configuration files (`rule_files`, `file_sd_configs`):
/// `*`, `?` and `[…]` in the last path component, as Prometheus allows.
public enum PathGlob {
    /// The matching files, sorted; a pattern without wildcards is returned as is.
    public static func expand(_ pattern: String) -> [String] {
        guard pattern.contains("*") || pattern.contains("?") || pattern.contains("[") else { return [pattern] }
        let dir = (pattern as NSString).deletingLastPathComponent, glob = (pattern as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        return names.filter { fnmatch(glob, $0, 0) == 0 }.sorted().map { dir.isEmpty ? $0 : dir + "/" + $0 }
    }
}
