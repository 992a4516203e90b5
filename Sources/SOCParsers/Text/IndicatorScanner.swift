public import SOCModel

/// Finds the indicators in free text that an event's `related.*` fields should carry: IP addresses, hashes and
/// user names from common phrases (`for user 'admin'`, `for invalid user X`, `user=X`, `DOMAIN\user`).
///
/// This is the fast, conservative scan used while parsing generic text. Full indicator extraction (domains, URLs,
/// defanged forms, CVEs) belongs to the investigation stage.
public enum IndicatorScanner {
    /// What was found in one text.
    public struct Found: Sendable, Equatable {
        /// IPv4 and IPv6 addresses, in order of appearance, each once.
        public var ips: [String] = []
        /// MD5, SHA-1 and SHA-256 hashes (lowercased).
        public var hashes: [String] = []
        /// User names.
        public var users: [String] = []
    }

    /// Scans `text`.
    public static func scan(_ text: String) -> Found {
        var found = Found()
        let separators: Set<Character> = [" ", "\t", ",", ";", "(", ")", "[", "]", "<", ">", "\"", "'", "=", "/", "|", "{", "}"]
        for token in text.split(whereSeparator: { separators.contains($0) }) {
            var candidate = token
            while let last = candidate.last, last == "." || last == ":" { candidate = candidate.dropLast() }
            if candidate.isEmpty { continue }
            if IPAddressText.isIPv4(candidate) || (candidate.contains(":") && IPAddressText.isIPv6(candidate)) {
                let ip = String(candidate)
                if !found.ips.contains(ip) { found.ips.append(ip) }
                continue
            }
            if [32, 40, 64].contains(candidate.utf8.count), candidate.allSatisfy(\.isHexDigit),
                candidate.contains(where: \.isNumber), candidate.contains(where: \.isLetter)
            {
                let hash = candidate.lowercased()
                if !found.hashes.contains(hash) { found.hashes.append(hash) }
            }
        }
        for marker in ["for invalid user ", "for user ", "invalid user ", "user=", "User: ", "account "] {
            var search = text[...]
            while let range = search.firstRange(of: marker) {
                var name = text[range.upperBound...].prefix { $0 != " " && $0 != "," && $0 != ";" && $0 != ")" }
                if name.hasPrefix("'") || name.hasPrefix("\"") {
                    let quote = name.first ?? "\u{27}"
                    name = name.dropFirst().prefix { $0 != quote }
                }
                let user = String(name)
                if !user.isEmpty, !SecurityEvent.isPlaceholder(user), !found.users.contains(user) { found.users.append(user) }
                search = text[range.upperBound...]
            }
        }
        return found
    }
}
