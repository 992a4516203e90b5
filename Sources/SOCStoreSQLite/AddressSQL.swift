import SOCModel

/// SQL for "this address column is inside an address or CIDR block", shaped so a typed column's index is used.
///
/// Addresses are stored in canonical form (``IPAddress/description``), so an IPv4 block becomes text ranges over
/// the canonical form (``IPMatcher/canonicalText(limit:)``): an index range scan per piece instead of testing every
/// row. The ranges are exact when the column holds only canonical addresses, which the store records as it writes
/// (``SQLiteEventStore/addressColumnsMetaKey``); otherwise the exact test, `soc_ip_in`, also runs on the rows the
/// ranges find, so a stored value that merely starts like an address in the block (`10.evil`) does not match.
/// IPv6 blocks keep the exact test alone.
enum AddressSQL {
    /// The condition on `column`; `bind` binds a value and returns its placeholder. Values are bound in the order
    /// they appear in the condition, so plain `?` placeholders work.
    /// - Parameter canonicalOnly: The column holds nothing but canonical addresses (or NULL).
    static func inBlock(
        _ column: String,
        _ matcher: IPMatcher,
        canonicalOnly: Bool,
        bind: (String) -> String
    ) -> String {
        if matcher.isSingleAddress { return "\(column) = \(bind(matcher.network.description))" }
        guard let pieces = matcher.canonicalText() else { return "soc_ip_in(\(column), \(bind(matcher.description)))" }
        let ranges = pieces.map { piece in
            switch piece {
            case .exact(let address):
                return "\(column) = \(bind(address))"
            case .prefix(let prefix):
                // The prefix ends in "."; "/" is the next byte, so [prefix, prefix with "/") is every text it starts.
                return "(\(column) >= \(bind(prefix)) AND \(column) < \(bind(prefix.dropLast() + "/")))"
            }
        }
        let anyRange = "(" + ranges.joined(separator: " OR ") + ")"
        return canonicalOnly ? anyRange : anyRange + " AND soc_ip_in(\(column), \(bind(matcher.description)))"
    }

    /// Whether `text` is an address in canonical form, as the normalizers store addresses.
    static func isCanonical(_ text: String) -> Bool {
        if IPAddressText.ipv4Value(text) != nil { return true }  // dotted quad, no leading zeros: canonical
        return IPAddress(text)?.description == text
    }
}
