import Foundation
public import SOCHTTP

/// NIST NVD CVE API 2.0 `GET /rest/json/cves/2.0?cveId=…`: CVSS scores, weaknesses, references.
///
/// The key (optional) goes in the `apiKey` header. Limits are per rolling 30 seconds: 5 requests without a key, 50
/// with one. NVD throttles with 403 (retried by the transport) and reports a bad key as 404 with a `message` header.
public struct NVDProvider: ThreatIntelProvider {
    public let name = "nvd"
    public let kinds: Set<IndicatorKind> = [.cve]
    public let limits: [RateLimit]
    private let apiKey: String?
    private let baseURL: String
    private let transport: any HTTPTransport
    private let timeout: Duration

    /// - Parameter baseURL: `https://services.nvd.nist.gov` unless overridden (`NVD_BASE_URL`).
    public init(
        apiKey: String?,
        baseURL: String = "https://services.nvd.nist.gov",
        transport: any HTTPTransport,
        timeout: Duration = .seconds(30)
    ) {
        self.apiKey = apiKey
        self.baseURL = HTTPRequestSpec.baseURL(baseURL)
        self.transport = transport
        self.limits = [RateLimit(apiKey == nil ? 5 : 50, per: .rolling(.seconds(30)))]
        self.timeout = timeout
    }

    /// The statuses NVD uses for "slow down" and "overloaded".
    public static let retryableStatuses: Set<Int> = [403, 429, 502, 503, 504]

    public func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer {
        var headers: [(name: String, value: String)] = [("Accept", "application/json"), ("User-Agent", "socagent")]
        if let apiKey { headers.append(("apiKey", apiKey)) }
        let request = HTTPRequestSpec(
            url: "\(baseURL)/rest/json/cves/2.0?cveId=\(urlEncoded(indicator.value))",
            headers: headers,
            timeout: timeout
        )
        let response = try await send(request, with: transport)
        let message = response.header("message").map(JSON.excerpt) ?? ""
        switch response.status {
        case 200:
            let object = try JSON.object(response.body)
            guard let cve = object.objects("vulnerabilities").first?.object("cve") else {
                return ProviderAnswer(verdict: .unknown, summary: "not in the NVD", found: false)
            }
            let record = try NVDRecord.parse(cve)
            return ProviderAnswer(verdict: NVDRecord.verdict(record), summary: NVDRecord.summary(record), cve: record)
        case 404 where message.lowercased().contains("apikey"):
            throw ProviderError.keyRejected(message)
        case 403:
            throw ProviderError.serviceError(status: 403, detail: "throttled by NVD; retry later")
        default:
            throw ProviderError.serviceError(status: response.status, detail: message)
        }
    }
}

/// Reads NVD API 2.0 `cve` objects (from the API or from imported JSON files).
public enum NVDRecord {
    /// Parses one `cve` object.
    public static func parse(_ cve: [String: Any]) throws -> CVERecord {
        guard let id = cve.string("id"), let indicator = IntelIndicator(.cve, id) else {
            throw ProviderError.invalidResponse("a CVE record without a valid id")
        }
        var record = CVERecord(id: indicator.value)
        record.description = cve.objects("descriptions").first { $0.string("lang") == "en" }?.string("value")
        record.status = cve.string("vulnStatus")
        record.published = cve.string("published")
        record.lastModified = cve.string("lastModified")
        let metrics = cve.object("metrics") ?? [:]
        for (key, version) in [
            ("cvssMetricV31", "3.1"), ("cvssMetricV40", "4.0"), ("cvssMetricV30", "3.0"), ("cvssMetricV2", "2.0"),
        ] {
            let entries = metrics.objects(key).sorted {
                ($0.string("type") == "Primary" ? 0 : 1) < ($1.string("type") == "Primary" ? 0 : 1)
            }
            for entry in entries {
                let data = entry.object("cvssData") ?? [:]
                guard let score = data.double("baseScore") else { continue }
                record.cvssMetrics.append(
                    CVSSMetric(
                        version: data.string("version") ?? version,
                        baseScore: score,
                        severity: data.string("baseSeverity") ?? entry.string("baseSeverity"),
                        vector: data.string("vectorString"),
                        source: entry.string("source"),
                        type: entry.string("type")
                    )
                )
            }
        }
        if let preferred = record.cvssMetrics.first {
            record.cvssScore = preferred.baseScore
            record.cvssVersion = preferred.version
            record.cvssVector = preferred.vector
            record.severity = preferred.severity ?? severity(forScore: preferred.baseScore)
        }
        for weakness in cve.objects("weaknesses") {
            for description in weakness.objects("description") {
                if let value = description.string("value"), value.hasPrefix("CWE-"), !record.cwes.contains(value) {
                    record.cwes.append(value)
                }
            }
        }
        record.references = cve.objects("references").compactMap { $0.string("url") }
        if let added = cve.string("cisaExploitAdd") {
            record.knownExploited = true
            record.kev = KEVEntry(
                cveID: record.id,
                vendorProject: "",
                product: "",
                vulnerabilityName: cve.string("cisaVulnerabilityName") ?? "",
                dateAdded: added,
                shortDescription: "",
                requiredAction: cve.string("cisaRequiredAction") ?? "",
                dueDate: cve.string("cisaActionDue") ?? "",
                knownRansomwareCampaignUse: nil,
                notes: nil,
                cwes: nil
            )
        }
        return record
    }

    /// CVSS v3 qualitative rating of a score.
    static func severity(forScore score: Double) -> String {
        switch score {
        case 9...: "CRITICAL"
        case 7..<9: "HIGH"
        case 4..<7: "MEDIUM"
        case 0.1..<4: "LOW"
        default: "NONE"
        }
    }

    /// A CVE's verdict, for triage priority: known exploited → malicious; high or critical → suspicious.
    static func verdict(_ record: CVERecord) -> Verdict {
        if record.knownExploited { return .malicious }
        guard let score = record.cvssScore else { return .unknown }
        return score >= 7 ? .suspicious : .clean
    }

    static func summary(_ record: CVERecord) -> String {
        var parts: [String] = []
        if let score = record.cvssScore {
            parts.append(
                "CVSS \(record.cvssVersion ?? "") \(score) \(record.severity ?? "")".replacingOccurrences(
                    of: "  ",
                    with: " "
                )
            )
        } else {
            parts.append("no CVSS score yet (\(record.status ?? "not analysed"))")
        }
        if !record.cwes.isEmpty { parts.append(record.cwes.joined(separator: ", ")) }
        if record.knownExploited { parts.append("known exploited") }
        return parts.joined(separator: "; ")
    }
}
