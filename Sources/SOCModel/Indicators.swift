/// The indicators of compromise found in a text, an event or an investigation, grouped by kind.
///
/// This is the shape of `socagent intel extract --json` and of a report's `indicators`: every list holds each value
/// once, in order of first appearance, normalized (IPv6 and domains lower case, hashes lower case, CVE ids upper
/// case, timestamps ISO 8601 UTC, defanged forms refanged).
public struct IndicatorSet: Codable, Equatable, Sendable {
    /// IPv4 and IPv6 addresses and CIDR blocks (`10.0.0.0/8`).
    public var ips: [String] = []
    /// Fully qualified domain names, lower case.
    public var domains: [String] = []
    /// URLs with their scheme.
    public var urls: [String] = []
    /// E-mail addresses, lower case.
    public var emails: [String] = []
    /// MD5, SHA-1 and SHA-256 hashes, lower case.
    public var hashes: [String] = []
    /// CVE ids, upper case.
    public var cves: [String] = []
    /// Account names, without their domain.
    public var users: [String] = []
    /// Host (machine) names, lower case.
    public var hosts: [String] = []
    /// Instants, ISO 8601 UTC.
    public var timestamps: [String] = []
    /// Absolute file paths, Windows, UNC or Unix, as written.
    public var paths: [String] = []

    /// An empty set.
    public init() {}

    /// The kinds in their JSON order, with their values.
    public var lists: [(kind: String, values: [String])] {
        [
            ("ips", ips), ("domains", domains), ("urls", urls), ("emails", emails), ("hashes", hashes), ("cves", cves),
            ("users", users), ("hosts", hosts), ("timestamps", timestamps), ("paths", paths),
        ]
    }

    /// Whether no indicator of any kind was found.
    public var isEmpty: Bool { lists.allSatisfy(\.values.isEmpty) }

    /// The first `count` values of each kind (so a large input cannot flood a model's context or a report).
    public func limited(to count: Int) -> IndicatorSet {
        var limited = IndicatorSet()
        limited.ips = Array(ips.prefix(count))
        limited.domains = Array(domains.prefix(count))
        limited.urls = Array(urls.prefix(count))
        limited.emails = Array(emails.prefix(count))
        limited.hashes = Array(hashes.prefix(count))
        limited.cves = Array(cves.prefix(count))
        limited.users = Array(users.prefix(count))
        limited.hosts = Array(hosts.prefix(count))
        limited.timestamps = Array(timestamps.prefix(count))
        limited.paths = Array(paths.prefix(count))
        return limited
    }

    /// Adds the indicators of `other` that are not here yet, keeping the order; a kind already holding `limit` values
    /// takes no more (callers that keep only the first few need not grow the lists).
    public mutating func formUnion(_ other: IndicatorSet, limit: Int = .max) {
        func merge(_ list: inout [String], _ more: [String]) {
            for value in more where list.count < limit { list.appendOnce(value) }
        }
        merge(&ips, other.ips)
        merge(&domains, other.domains)
        merge(&urls, other.urls)
        merge(&emails, other.emails)
        merge(&hashes, other.hashes)
        merge(&cves, other.cves)
        merge(&users, other.users)
        merge(&hosts, other.hosts)
        merge(&timestamps, other.timestamps)
        merge(&paths, other.paths)
    }
}

/// The kind of a hash by its length.
public enum HashKind: String, Codable, Sendable {
    case md5, sha1, sha256

    /// The kind of a hexadecimal hash of `length` characters, if it is one of the three.
    public init?(hexLength length: Int) {
        switch length {
        case 32: self = .md5
        case 40: self = .sha1
        case 64: self = .sha256
        default: return nil
        }
    }
}

/// Where an IP address routes: only `public` addresses are worth asking an Internet reputation service about.
public enum IPScope: String, Codable, Sendable {
    /// Routable on the Internet.
    case `public`
    /// RFC 1918, carrier-grade NAT (RFC 6598) or IPv6 unique-local.
    case `private`
    /// 127.0.0.0/8 or ::1.
    case loopback
    /// 169.254.0.0/16 or fe80::/10.
    case linkLocal = "link-local"
    /// Multicast.
    case multicast
    /// Unspecified, documentation, benchmarking, broadcast or otherwise reserved.
    case reserved
}

extension IPAddress {
    private static let scopeTable: [(IPMatcher, IPScope)] = [
        ("127.0.0.0/8", .loopback), ("::1/128", .loopback),
        ("10.0.0.0/8", .private), ("172.16.0.0/12", .private), ("192.168.0.0/16", .private),
        ("100.64.0.0/10", .private), ("fc00::/7", .private),
        ("169.254.0.0/16", .linkLocal), ("fe80::/10", .linkLocal),
        ("224.0.0.0/4", .multicast), ("ff00::/8", .multicast),
        ("0.0.0.0/8", .reserved), ("240.0.0.0/4", .reserved), ("192.0.0.0/24", .reserved),
        ("192.0.2.0/24", .reserved), ("198.51.100.0/24", .reserved), ("203.0.113.0/24", .reserved),
        ("198.18.0.0/15", .reserved), ("::/128", .reserved), ("2001:db8::/32", .reserved), ("100::/64", .reserved),
    ].compactMap { text, scope in IPMatcher(text).map { ($0, scope) } }

    /// The address's scope.
    public var scope: IPScope {
        for (network, scope) in Self.scopeTable where network.matches(self) { return scope }
        return .public
    }
}

extension Array where Element == String {
    /// Appends `value` unless the array already holds it (indicator lists are short and keep their order).
    public mutating func appendOnce(_ value: String) {
        if !contains(value) { append(value) }
    }
}
