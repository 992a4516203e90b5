/// Recognizes IP address text without allocating: dotted-quad IPv4 and RFC 4291 IPv6 (with `::` and an IPv4 tail).
public enum IPAddressText {
    /// Whether `text` is an IPv4 or IPv6 address.
    public static func isIP(_ text: some StringProtocol) -> Bool { isIPv4(text) || isIPv6(text) }

    /// Whether `text` is a dotted-quad IPv4 address (`192.0.2.1`).
    public static func isIPv4(_ text: some StringProtocol) -> Bool { ipv4Value(text) != nil }

    /// The 32-bit value of a dotted-quad IPv4 address (four decimal octets, no leading zeros), or `nil`.
    public static func ipv4Value(_ text: some StringProtocol) -> UInt32? {
        if let value = text.utf8.withContiguousStorageIfAvailable({ ipv4Value(bytes: $0) }) { return value }
        return ipv4Value(bytes: text.utf8)
    }

    /// The 32-bit value of a dotted-quad IPv4 address given as UTF-8 bytes, or `nil` (for callers in other modules
    /// holding bytes in place, such as SQLite's text values: specialized here, not generic at the call).
    public static func ipv4Value(utf8: UnsafeBufferPointer<UInt8>) -> UInt32? { ipv4Value(bytes: utf8) }

    private static func ipv4Value(bytes: some Sequence<UInt8>) -> UInt32? {
        var octets = 0
        var digits = 0
        var value: UInt32 = 0
        var address: UInt32 = 0
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                if digits > 0 && value == 0 { return nil }  // no leading zeros
                value = value * 10 + UInt32(byte - 0x30)
                digits += 1
                if digits > 3 || value > 255 { return nil }
            } else if byte == 0x2E {
                guard digits > 0, octets < 3 else { return nil }
                octets += 1
                address = address << 8 | value
                digits = 0
                value = 0
            } else {
                return nil
            }
        }
        guard octets == 3, digits > 0 else { return nil }
        return address << 8 | value
    }

    /// Whether `text` is an IPv6 address, optionally with a `%zone`.
    public static func isIPv6(_ text: some StringProtocol) -> Bool {
        var address = Substring(text)
        if let percent = address.firstIndex(of: "%") { address = address[..<percent] }
        guard address.utf8.count >= 2, address.utf8.count <= 45, address.contains(":") else { return false }
        let doubleColons = address.components(separatedByDoubleColon: ())
        guard doubleColons <= 1 else { return false }
        var groups = 0
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.isEmpty { continue }
            if index == parts.count - 1, part.contains(".") {
                guard isIPv4(part) else { return false }
                groups += 2
                continue
            }
            guard part.utf8.count <= 4, part.utf8.allSatisfy({ isHex($0) }) else { return false }
            groups += 1
        }
        // Empty parts are only allowed as part of one `::`.
        let emptyInside = parts.dropFirst().dropLast().filter(\.isEmpty).count
        if doubleColons == 0 {
            return groups == 8 && !parts.contains(where: \.isEmpty)
        }
        guard emptyInside <= 1 else { return false }
        if parts.first?.isEmpty == true, parts.count > 1, !parts[1].isEmpty { return false }
        if parts.last?.isEmpty == true, parts.count > 1, !parts[parts.count - 2].isEmpty { return false }
        return groups < 8
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }
}

extension Substring {
    /// How many times `::` occurs.
    fileprivate func components(separatedByDoubleColon: ()) -> Int {
        var count = 0
        var previousColon = false
        var run = 0
        for byte in utf8 {
            if byte == 0x3A {
                run += 1
                if previousColon && run == 2 { count += 1 }
                previousColon = true
            } else {
                previousColon = false
                run = 0
            }
        }
        return count
    }
}
