import Foundation
public import SOCModel
import SOCParsers

/// What kind of indicator a lookup is about.
public enum IndicatorKind: String, Codable, Sendable, CaseIterable {
    case ip, hash, domain, cve
}

/// An indicator to look up, normalized: IPs in canonical form, hashes and domains lower case, CVE ids upper case.
public struct IntelIndicator: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The kind.
    public let kind: IndicatorKind
    /// The normalized value.
    public let value: String

    /// Validates and normalizes `value` as a `kind`; `nil` when it is not one (a malformed IP, a 33-digit hash…).
    public init?(_ kind: IndicatorKind, _ value: String) {
        let trimmed = IndicatorExtractor.refang(value.trimmingCharacters(in: .whitespacesAndNewlines))
        switch kind {
        case .ip:
            guard let address = IPAddress(trimmed), IPAddressText.isIP(trimmed) else { return nil }
            self.value = address.description
        case .hash:
            guard HashKind(hexLength: trimmed.utf8.count) != nil, trimmed.allSatisfy(\.isHexDigit) else { return nil }
            self.value = trimmed.lowercased()
        case .domain:
            let lowered = trimmed.lowercased().trimmingTrailingDots()
            let labels = lowered.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2, lowered.utf8.count <= 253,
                labels.allSatisfy({
                    !$0.isEmpty && $0.count <= 63
                        && $0.utf8.allSatisfy {
                            $0 == 0x2D || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A)
                        }
                }),
                labels.last?.allSatisfy(\.isLetter) == true
            else { return nil }
            self.value = lowered
        case .cve:
            let upper = trimmed.uppercased()
            let parts = upper.split(separator: "-")
            guard parts.count == 3, parts[0] == "CVE", parts[1].count == 4, parts[2].count >= 4,
                parts[1].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber)
            else { return nil }
            self.value = upper
        }
        self.kind = kind
    }

    public var description: String { "\(kind.rawValue) \(value)" }

    /// For an IP, where it routes.
    public var scope: IPScope? { kind == .ip ? IPAddress(value)?.scope : nil }
}

/// The aggregated judgement on an indicator.
public enum Verdict: String, Codable, Sendable, Comparable {
    case unknown, clean, suspicious, malicious

    private var rank: Int {
        switch self {
        case .unknown: 0
        case .clean: 1
        case .suspicious: 2
        case .malicious: 3
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
}

/// A value in a source's details: text, a number, a flag or a list of texts.
public enum DetailValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case text(String)
    case integer(Int)
    case number(Double)
    case flag(Bool)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .flag(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode([String].self) {
            self = .list(value)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .flag(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        }
    }

    public var description: String {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .flag(let value): String(value)
        case .list(let value): value.joined(separator: ", ")
        }
    }
}

/// One source's answer about one indicator.
public struct ProviderAnswer: Codable, Sendable, Equatable {
    /// The source's judgement.
    public var verdict: Verdict
    /// One line for people (and for the model).
    public var summary: String
    /// Whether the source knows the indicator at all; `false` is a negative result ("never seen"), cached too.
    public var found: Bool
    /// Selected attributes (score, report counts, country, detections…), keys in snake case.
    public var details: [String: DetailValue]
    /// For a CVE: the record.
    public var cve: CVERecord?

    public init(
        verdict: Verdict,
        summary: String,
        found: Bool = true,
        details: [String: DetailValue] = [:],
        cve: CVERecord? = nil
    ) {
        self.verdict = verdict
        self.summary = summary
        self.found = found
        self.details = details
        self.cve = cve
    }
}

/// What one source contributed to a lookup, as reports and `socagent intel --json` show it.
public struct SourceEvidence: Codable, Sendable, Equatable {
    /// The source's name (`abuseipdb`, `virustotal`, `nvd`, `cisa-kev`, `blocklist:NAME`).
    public var source: String
    /// Its judgement; `unknown` when it could not answer, with ``error`` saying why.
    public var verdict: Verdict
    /// One line for people.
    public var summary: String
    /// Whether the answer came from the local cache rather than the service.
    public var fromCache: Bool
    /// When the service answered (ISO 8601 UTC), if it did.
    public var fetchedAt: String?
    /// Why there is no answer (not configured, out of quota, unreachable, refused key…).
    public var error: String?
    /// Selected attributes.
    public var details: [String: DetailValue]

    enum CodingKeys: String, CodingKey {
        case source, verdict, summary
        case fromCache = "from_cache"
        case fetchedAt = "fetched_at"
        case error, details
    }

    public init(
        source: String,
        verdict: Verdict,
        summary: String,
        fromCache: Bool = false,
        fetchedAt: String? = nil,
        error: String? = nil,
        details: [String: DetailValue] = [:]
    ) {
        self.source = source
        self.verdict = verdict
        self.summary = summary
        self.fromCache = fromCache
        self.fetchedAt = fetchedAt
        self.error = error
        self.details = details
    }

    /// Evidence that a source could not answer.
    public static func unavailable(_ source: String, because reason: String) -> SourceEvidence {
        SourceEvidence(source: source, verdict: .unknown, summary: "unknown, because \(reason)", error: reason)
    }
}

/// The result of looking an indicator up in every applicable source.
public struct IntelReport: Codable, Sendable {
    /// The indicator as normalized.
    public var indicator: String
    /// Its kind.
    public var kind: IndicatorKind
    /// The aggregated verdict: the most severe of the sources' verdicts (`unknown` when none could answer).
    public var verdict: Verdict
    /// For an IP: where it routes.
    public var scope: IPScope?
    /// For a hash: MD5, SHA-1 or SHA-256.
    public var hashType: HashKind?
    /// Why the verdict is what it is, one line per contributing source.
    public var reasons: [String]
    /// Each source's evidence.
    public var sources: [SourceEvidence]
    /// For a CVE: the merged record (NVD + CISA KEV).
    public var cve: CVERecord?

    enum CodingKeys: String, CodingKey {
        case indicator, kind, verdict, scope
        case hashType = "hash_type"
        case reasons, sources, cve
    }
}

/// A CVE as the analyst needs it: NVD's score, severity, weakness and references, and CISA KEV's facts.
public struct CVERecord: Codable, Sendable, Equatable {
    /// `CVE-YYYY-NNNN`.
    public var id: String
    /// The English description.
    public var description: String?
    /// The preferred CVSS base score (v3.1, else v4.0, v3.0, v2).
    public var cvssScore: Double?
    /// Its version (`3.1`, `4.0`, …).
    public var cvssVersion: String?
    /// Its vector string.
    public var cvssVector: String?
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` or `NONE`.
    public var severity: String?
    /// Every CVSS metric NVD lists.
    public var cvssMetrics: [CVSSMetric]
    /// CWE ids.
    public var cwes: [String]
    /// Reference URLs.
    public var references: [String]
    /// NVD's status (`Analyzed`, `Awaiting Analysis`, `Rejected`, …).
    public var status: String?
    /// When NVD published and last modified the record.
    public var published: String?
    public var lastModified: String?
    /// Whether CISA lists it as known exploited.
    public var knownExploited: Bool
    /// The CISA KEV entry, when there is one.
    public var kev: KEVEntry?

    enum CodingKeys: String, CodingKey {
        case id, description
        case cvssScore = "cvss_score"
        case cvssVersion = "cvss_version"
        case cvssVector = "cvss_vector"
        case
            severity
        case cvssMetrics = "cvss_metrics"
        case cwes, references, status, published
        case
            lastModified = "last_modified"
        case knownExploited = "known_exploited"
        case kev
    }

    public init(id: String) {
        self.id = id
        cvssMetrics = []
        cwes = []
        references = []
        knownExploited = false
    }
}

/// One CVSS metric of an NVD record.
public struct CVSSMetric: Codable, Sendable, Equatable {
    public var version: String
    public var baseScore: Double
    public var severity: String?
    public var vector: String?
    public var source: String?
    /// `Primary` or `Secondary`.
    public var type: String?

    enum CodingKeys: String, CodingKey {
        case version
        case baseScore = "base_score"
        case severity, vector, source, type
    }
}

/// An entry of the CISA Known Exploited Vulnerabilities catalog.
public struct KEVEntry: Codable, Sendable, Equatable {
    public var cveID: String
    public var vendorProject: String
    public var product: String
    public var vulnerabilityName: String
    public var dateAdded: String
    public var shortDescription: String
    public var requiredAction: String
    /// The US federal remediation deadline.
    public var dueDate: String
    /// `Known` when the vulnerability is used in ransomware campaigns.
    public var knownRansomwareCampaignUse: String?
    public var notes: String?
    public var cwes: [String]?

    enum CodingKeys: String, CodingKey {
        case cveID = "cve_id"
        case vendorProject = "vendor_project"
        case product
        case vulnerabilityName = "vulnerability_name"
        case
            dateAdded = "date_added"
        case shortDescription = "short_description"
        case requiredAction = "required_action"
        case
            dueDate = "due_date"
        case knownRansomwareCampaignUse = "known_ransomware_campaign_use"
        case notes, cwes
    }
}

extension String {
    func trimmingTrailingDots() -> String {
        var text = self
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
