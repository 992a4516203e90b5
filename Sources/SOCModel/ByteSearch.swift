extension String {
    /// Whether `needle`'s UTF-8 bytes occur in this string's: an exact byte search, for the hot rule checks that
    /// test many short literals against each command line (`String.contains(_:)` builds a search table per call,
    /// which was most of a triage scan's time).
    public func containsBytes(of needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { text in
            needle.withUTF8 { pattern in
                guard let first = pattern.first else { return true }
                guard text.count >= pattern.count else { return false }
                let last = text.count - pattern.count
                var index = 0
                while index <= last {
                    if text[index] == first {
                        var offset = 1
                        while offset < pattern.count && text[index + offset] == pattern[offset] { offset += 1 }
                        if offset == pattern.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }
}
