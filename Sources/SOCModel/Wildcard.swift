/// Glob patterns where `*` stands for any run of characters (index patterns such as `winlogbeat-*`, Sigma's
/// `1 of selection_*`).
public enum Wildcard {
    /// Whether `name` matches `pattern` as a whole; a pattern without `*` must equal the name.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return pattern == name }
        var rest = Substring(name)
        for (index, part) in parts.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 {
                return rest.hasSuffix(part)
            } else if let range = rest.firstRange(of: part) {
                rest = rest[range.upperBound...]
            } else {
                return false
            }
        }
        return true
    }
}
