/// An IPv4 or IPv6 address as a 128-bit number (IPv4 is mapped into `::ffff:0:0/96`), for CIDR tests and ranges.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The high 64 bits.
    public let high: UInt64
    /// The low 64 bits.
    public let low: UInt64
    /// Whether the text was IPv4.
    public let isIPv4: Bool

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 (a `%zone` is ignored); `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        if let value = IPAddressText.ipv4Value(text) {  // the common case, without slicing
            self = IPAddress(ipv4: value)
            return
        }
        var text = Substring(text)
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        if let value = IPAddressText.ipv4Value(text) {
            self = IPAddress(ipv4: value)
            return
        }
        guard IPAddressText.isIPv6(text) else { return nil }
        func groups(_ part: Substring) -> [UInt64]? {
            guard !part.isEmpty else { return [] }
            var values: [UInt64] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains(".") {
                    let octets = piece.split(separator: ".").compactMap { UInt64($0) }
                    guard octets.count == 4 else { return nil }
                    values += [octets[0] << 8 | octets[1], octets[2] << 8 | octets[3]]
                } else {
                    guard let value = UInt64(piece, radix: 16), value <= 0xFFFF else { return nil }
                    values.append(value)
                }
            }
            return values
        }
        var all: [UInt64]
        if let gap = text.firstRange(of: "::") {
            guard let head = groups(text[..<gap.lowerBound]), let tail = groups(text[gap.upperBound...]),
                head.count + tail.count < 8
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let parsed = groups(text), parsed.count == 8 else { return nil }
            all = parsed
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, group) in all.enumerated() {
            if position < 4 { high = high << 16 | group } else { low = low << 16 | group }
        }
        // An IPv4-mapped IPv6 address is the same address as its IPv4 form.
        self.high = high
        self.low = low
        self.isIPv4 = high == 0 && low >> 32 == 0xFFFF
    }

    /// The IPv4 address with this 32-bit value.
    public init(ipv4 value: UInt32) {
        high = 0
        low = 0xFFFF_0000_0000 | UInt64(value)
        isIPv4 = true
    }

    /// Whether the first `bits` (0–128) of this address and `network` are equal.
    public func sharesPrefix(with network: IPAddress, bits: Int) -> Bool {
        guard bits >= 0, bits <= 128 else { return false }
        let highMask: UInt64 = bits >= 64 ? .max : (bits == 0 ? 0 : ~(UInt64.max >> bits))
        let lowMask: UInt64 = bits <= 64 ? 0 : (bits == 128 ? .max : ~(UInt64.max >> (bits - 64)))
        return high & highMask == network.high & highMask && low & lowMask == network.low & lowMask
    }

    /// Orders addresses numerically (IPv4 before other IPv6 addresses, as mapped addresses sort).
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// The private, loopback, link-local, multicast and otherwise non-routable networks that ``isPrivate`` tests.
    public static let privateNetworks: [IPMatcher] = [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8",
        "224.0.0.0/4", "255.255.255.255/32", "::/96", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b:1::/48",
    ].compactMap { IPMatcher($0) }

    /// Whether the address is in a private, loopback, link-local or otherwise non-routable range.
    ///
    /// `::/96` (unspecified, loopback and the deprecated IPv4-compatible form such as `::127.0.0.1`) is never
    /// routable, and a 6to4 or NAT64 address is private when the IPv4 address it carries is (``embeddedIPv4``).
    public var isPrivate: Bool {
        if Self.privateNetworks.contains(where: { $0.matches(self) }) { return true }
        return embeddedIPv4?.isPrivate ?? false
    }

    /// The IPv4 address inside a 6to4 (`2002:AABB:CCDD::/48`) or NAT64 (`64:ff9b::/96`) address, else `nil`.
    public var embeddedIPv4: IPAddress? {
        guard !isIPv4 else { return nil }
        if high >> 48 == 0x2002 { return IPAddress(ipv4: UInt32(truncatingIfNeeded: high >> 16)) }
        if high == 0x0064_FF9B_0000_0000, low >> 32 == 0 { return IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) }
        return nil
    }

    /// The canonical text form: IPv4 dotted quad, IPv6 as RFC 5952 (lower case, the longest zero run as `::`).
    /// Stores keep addresses in this form so an address matches whatever way it was written.
    public var description: String {
        if isIPv4 {
            return String(unsafeUninitializedCapacity: 15) { buffer in
                var count = 0
                for shift in [24, 16, 8, 0] as [UInt64] {
                    let octet = Int((low >> shift) & 0xFF)
                    if shift != 24 {
                        buffer[count] = 0x2E
                        count += 1
                    }
                    if octet >= 100 {
                        buffer[count] = UInt8(0x30 + octet / 100)
                        count += 1
                    }
                    if octet >= 10 {
                        buffer[count] = UInt8(0x30 + octet / 10 % 10)
                        count += 1
                    }
                    buffer[count] = UInt8(0x30 + octet % 10)
                    count += 1
                }
                return count
            }
        }
        var groups: [UInt64] = []
        for index in 0..<8 {
            let word: UInt64 = index < 4 ? high : low
            let shift = UInt64((3 - index % 4) * 16)
            groups.append((word >> shift) & 0xFFFF)
        }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let text = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return text.joined(separator: ":") }
        return text[..<bestStart].joined(separator: ":") + "::"
            + text[(bestStart + bestLength)...].joined(separator: ":")
    }
}

/// An address or a CIDR block (`203.0.113.0/24`), as filters and queries accept them.
public struct IPMatcher: Hashable, Sendable, CustomStringConvertible {
    /// The network address.
    public let network: IPAddress
    /// The prefix length as written (≤ 32 for IPv4 text, ≤ 128 for IPv6).
    public let prefixLength: Int
    private let bits: Int

    /// Parses `address` or `address/prefix`; `nil` when it is neither.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let network = IPAddress(first) else { return nil }
        let writtenAsIPv4 = !first.contains(":")
        let maximum = writtenAsIPv4 ? 32 : 128
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...maximum).contains(prefix) else { return nil }
            prefixLength = prefix
        } else {
            prefixLength = maximum
        }
        bits = writtenAsIPv4 ? 96 + prefixLength : prefixLength
        self.network = network
    }

    /// Whether the matcher is one address rather than a block.
    public var isSingleAddress: Bool { bits == 128 }

    /// Whether `address` (text) is inside this block.
    public func matches(_ address: some StringProtocol) -> Bool {
        guard let ip = IPAddress(address) else { return false }
        return matches(ip)
    }

    /// Whether `address` is inside this block.
    public func matches(_ address: IPAddress) -> Bool { address.sharesPrefix(with: network, bits: bits) }

    /// `network/prefix`.
    public var description: String { "\(network)/\(prefixLength)" }

    /// One piece of an IPv4 block in canonical text: the block's addresses are exactly the canonical addresses that
    /// equal an ``exact`` piece or start with a ``prefix`` piece (whole octets, ending in a dot, such as `10.1.`).
    public enum CanonicalText: Hashable, Sendable {
        /// One address.
        case exact(String)
        /// Every address whose canonical text starts with this.
        case prefix(String)
    }

    /// The block as at most `limit` pieces of canonical text, so a store that keeps addresses in canonical form
    /// (``IPAddress/description``) can find them with ranges over a text index; `nil` for IPv6 blocks, for all of
    /// IPv4 (`0.0.0.0/0`) and when more than `limit` pieces would be needed. A prefix length that is not a whole
    /// number of octets widens into the octet values it covers: `172.16.0.0/12` is `172.16.` … `172.31.`.
    public func canonicalText(limit: Int = 256) -> [CanonicalText]? {
        guard network.isIPv4, bits > 96 else { return nil }
        let value = UInt32(truncatingIfNeeded: network.low)
        let octets = (0..<4).map { Int(value >> UInt32(24 - 8 * $0) & 0xFF) }
        let whole = (bits - 96) / 8
        let rest = (bits - 96) % 8
        func text(_ octets: some Collection<Int>) -> String { octets.map(String.init).joined(separator: ".") }
        if rest == 0 {
            return whole == 4 ? [.exact(text(octets))] : [.prefix(text(octets[..<whole]) + ".")]
        }
        let count = 1 << (8 - rest)
        guard count <= limit else { return nil }
        let first = octets[whole] & ~(count - 1)
        return (first..<first + count).map { octet in
            let piece = text(octets[..<whole] + [octet])
            return whole + 1 == 4 ? .exact(piece) : .prefix(piece + ".")
        }
    }
}
