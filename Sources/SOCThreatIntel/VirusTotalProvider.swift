import Foundation
public import SOCHTTP

/// VirusTotal API v3: file reports by MD5/SHA-1/SHA-256, IP address and domain reports.
///
/// Auth is the `x-apikey` header. A public key allows 4 requests per minute and 500 per UTC day; a 404 is the normal
/// answer for something VirusTotal has never seen.
public struct VirusTotalProvider: ThreatIntelProvider {
    public let name = "virustotal"
    public let kinds: Set<IndicatorKind> = [.hash, .ip, .domain]
    public let limits: [RateLimit]
    private let apiKey: String
    private let baseURL: String
    private let transport: any HTTPTransport
    private let timeout: Duration

    /// - Parameters:
    ///   - baseURL: `https://www.virustotal.com` unless overridden (`VIRUSTOTAL_BASE_URL`).
    ///   - perMinute, perDay: The key's quotas (4 and 500 for a public key).
    public init(
        apiKey: String,
        baseURL: String = "https://www.virustotal.com",
        transport: any HTTPTransport,
        perMinute: Int = 4,
        perDay: Int = 500,
        timeout: Duration = .seconds(20)
    ) {
        self.apiKey = apiKey
        self.baseURL = HTTPRequestSpec.baseURL(baseURL)
        self.transport = transport
        self.limits = [RateLimit(perMinute, per: .rolling(.seconds(60))), RateLimit(perDay, per: .utcDay)]
        self.timeout = timeout
    }

    public func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer {
        let collection: String =
            switch indicator.kind {
            case .hash: "files"
            case .ip: "ip_addresses"
            case .domain: "domains"
            case .cve: throw ProviderError.invalidIndicator("VirusTotal does not look up CVEs")
            }
        let request = HTTPRequestSpec(
            url: "\(baseURL)/api/v3/\(collection)/\(urlEncoded(indicator.value))",
            headers: [("x-apikey", apiKey), ("Accept", "application/json"), ("User-Agent", "socagent")],
            timeout: timeout
        )
        let response = try await send(request, with: transport)
        let body = Result { try JSON.object(response.body) }  // parsed once, for the error and for the answer
        let error = (try? body.get())?.object("error")
        let detail = JSON.excerpt(
            [error?.string("code"), error?.string("message")].compactMap { $0 }.joined(separator: ": ")
        )
        switch response.status {
        case 200:
            let attributes = try body.get().object("data")?.object("attributes") ?? [:]
            return Self.answer(attributes, kind: indicator.kind)
        case 404:
            return ProviderAnswer(verdict: .unknown, summary: "never seen by VirusTotal", found: false)
        case 401, 403:
            throw ProviderError.keyRejected("HTTP \(response.status)" + (detail.isEmpty ? "" : ": \(detail)"))
        case 429:
            // Per-minute and daily quotas share the status; wait out the minute, the daily limit is counted locally.
            throw ProviderError.quotaExhausted(
                until: Date().addingTimeInterval(60),
                detail: detail.isEmpty ? "HTTP 429" : detail
            )
        default:
            throw ProviderError.serviceError(status: response.status, detail: detail)
        }
    }

    /// Reads an object's `attributes`.
    static func answer(_ attributes: [String: Any], kind: IndicatorKind) -> ProviderAnswer {
        let stats = attributes.object("last_analysis_stats") ?? [:]
        let malicious = stats.int("malicious") ?? 0
        let suspicious = stats.int("suspicious") ?? 0
        let harmless = stats.int("harmless") ?? 0
        let undetected = stats.int("undetected") ?? 0
        let engines = malicious + suspicious + harmless + undetected
        let verdict: Verdict =
            malicious >= 3
            ? .malicious : (malicious >= 1 || suspicious >= 2) ? .suspicious : engines > 0 ? .clean : .unknown
        var details: [String: DetailValue] = [
            "malicious": .integer(malicious), "suspicious": .integer(suspicious), "harmless": .integer(harmless),
            "undetected": .integer(undetected),
        ]
        if let reputation = attributes.int("reputation") { details["reputation"] = .integer(reputation) }
        let detections = (attributes.object("last_analysis_results") ?? [:]).compactMap { engine, value -> String? in
            guard let result = value as? [String: Any], result.string("category") == "malicious" else { return nil }
            return "\(engine): \(result.string("result") ?? "malicious")"
        }.sorted()
        if !detections.isEmpty { details["detections"] = .list(Array(detections.prefix(10))) }
        var summary = "\(malicious) of \(engines) engines flag it malicious"
        if suspicious > 0 { summary += ", \(suspicious) suspicious" }
        switch kind {
        case .hash:
            if let label = attributes.object("popular_threat_classification")?.string("suggested_threat_label") {
                details["threat_label"] = .text(label)
                summary += " (\(label))"
            }
            if let name = attributes.string("meaningful_name") {
                details["name"] = .text(name)
                summary += "; name \(name)"
            }
            for key in ["sha256", "type_description"] {
                if let value = attributes.string(key) { details[key] = .text(value) }
            }
            if let first = attributes.int("first_submission_date") {
                details["first_seen"] = .text(IntelTime.iso8601(Date(timeIntervalSince1970: Double(first))))
            }
        case .ip, .domain:
            if let owner = attributes.string("as_owner") {
                details["as_owner"] = .text(owner)
                summary += "; \(owner)"
            }
            if let asn = attributes.int("asn") { details["asn"] = .integer(asn) }
            if let country = attributes.string("country") {
                details["country"] = .text(country)
                summary += ", \(country)"
            }
            if let registrar = attributes.string("registrar") { details["registrar"] = .text(registrar) }
        case .cve:
            break
        }
        if let reputation = attributes.int("reputation"), reputation != 0 {
            summary += "; community reputation \(reputation)"
        }
        return ProviderAnswer(verdict: verdict, summary: summary, found: true, details: details)
    }
}
