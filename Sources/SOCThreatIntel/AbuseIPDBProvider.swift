import Foundation
public import SOCHTTP

/// AbuseIPDB API v2 `GET /api/v2/check`: the abuse confidence score (0–100) of an IP address, with report counts.
///
/// Auth is the `Key` header; the free plan allows 1,000 checks per UTC day, and a 429 carries `Retry-After`.
public struct AbuseIPDBProvider: ThreatIntelProvider {
    public let name = "abuseipdb"
    public let kinds: Set<IndicatorKind> = [.ip]
    public let limits: [RateLimit]
    private let apiKey: String
    private let baseURL: String
    private let transport: any HTTPTransport
    private let maximumAgeInDays: Int
    private let timeout: Duration

    /// - Parameters:
    ///   - baseURL: `https://api.abuseipdb.com` unless overridden (`ABUSEIPDB_BASE_URL`).
    ///   - dailyLimit: The plan's daily `check` quota (1,000 on the free plan).
    public init(
        apiKey: String,
        baseURL: String = "https://api.abuseipdb.com",
        transport: any HTTPTransport,
        dailyLimit: Int = 1000,
        maximumAgeInDays: Int = 90,
        timeout: Duration = .seconds(15)
    ) {
        self.apiKey = apiKey
        self.baseURL = HTTPRequestSpec.baseURL(baseURL)
        self.transport = transport
        self.limits = [RateLimit(dailyLimit, per: .utcDay)]
        self.maximumAgeInDays = maximumAgeInDays
        self.timeout = timeout
    }

    public func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer {
        let url =
            "\(baseURL)/api/v2/check?ipAddress=\(urlEncoded(indicator.value))&maxAgeInDays=\(maximumAgeInDays)&verbose"
        let request = HTTPRequestSpec(
            url: url,
            headers: [("Key", apiKey), ("Accept", "application/json"), ("User-Agent", "socagent")],
            timeout: timeout
        )
        let response = try await send(request, with: transport)
        switch response.status {
        case 200:
            let data = try JSON.object(response.body).object("data") ?? [:]
            return Self.answer(data)
        case 401, 403:
            throw ProviderError.keyRejected("HTTP \(response.status): \(Self.errorDetail(response))")
        case 422:
            throw ProviderError.invalidIndicator(Self.errorDetail(response))
        case 429:
            throw ProviderError.quotaExhausted(until: Self.retryDate(response), detail: Self.errorDetail(response))
        default:
            throw ProviderError.serviceError(status: response.status, detail: Self.errorDetail(response))
        }
    }

    /// Reads the `data` object of a `check` answer.
    static func answer(_ data: [String: Any]) -> ProviderAnswer {
        let score = data.int("abuseConfidenceScore") ?? 0
        let reports = data.int("totalReports") ?? 0
        let whitelisted = data.bool("isWhitelisted") ?? false
        let verdict: Verdict =
            whitelisted ? .clean : score >= 75 ? .malicious : score >= 25 ? .suspicious : .clean
        var details: [String: DetailValue] = [
            "abuse_confidence_score": .integer(score), "total_reports": .integer(reports),
        ]
        if let users = data.int("numDistinctUsers") { details["num_distinct_users"] = .integer(users) }
        for (key, field) in [
            ("last_reported_at", "lastReportedAt"), ("country_code", "countryCode"), ("usage_type", "usageType"),
            ("isp", "isp"), ("domain", "domain"),
        ] {
            if let value = data.string(field) { details[key] = .text(value) }
        }
        if let tor = data.bool("isTor") { details["is_tor"] = .flag(tor) }
        details["is_whitelisted"] = .flag(whitelisted)
        let categories = Set(
            data.objects("reports").flatMap { ($0["categories"] as? [NSNumber] ?? []).map(\.intValue) }
        )
        if !categories.isEmpty { details["report_categories"] = .list(categories.sorted().map(Self.categoryName)) }

        var summary = "abuse confidence \(score)% from \(reports) report\(reports == 1 ? "" : "s")"
        if let users = data.int("numDistinctUsers"), reports > 0 {
            summary += " by \(users) user\(users == 1 ? "" : "s")"
        }
        if let last = data.string("lastReportedAt") { summary += ", last \(last)" }
        let network = [data.string("usageType"), data.string("isp"), data.string("countryCode")].compactMap { $0 }
        if !network.isEmpty { summary += "; " + network.joined(separator: ", ") }
        if data.bool("isTor") == true { summary += "; Tor exit node" }
        if whitelisted { summary += "; whitelisted" }
        return ProviderAnswer(verdict: verdict, summary: summary, found: reports > 0 || whitelisted, details: details)
    }

    /// AbuseIPDB's report category names (docs "Report Categories").
    static func categoryName(_ id: Int) -> String {
        let names = [
            1: "DNS Compromise", 2: "DNS Poisoning", 3: "Fraud Orders", 4: "DDoS Attack", 5: "FTP Brute-Force",
            6: "Ping of Death", 7: "Phishing", 8: "Fraud VoIP", 9: "Open Proxy", 10: "Web Spam", 11: "Email Spam",
            12: "Blog Spam", 13: "VPN IP", 14: "Port Scan", 15: "Hacking", 16: "SQL Injection", 17: "Spoofing",
            18: "Brute-Force", 19: "Bad Web Bot", 20: "Exploited Host", 21: "Web App Attack", 22: "SSH",
            23: "IoT Targeted",
        ]
        return names[id] ?? "category \(id)"
    }

    static func errorDetail(_ response: HTTPResponseData) -> String {
        let object = try? JSON.object(response.body)
        let detail = object?.objects("errors").first?.string("detail") ?? response.text
        return JSON.excerpt(detail)
    }

    /// When a 429 says to come back: `Retry-After` seconds, else `X-RateLimit-Reset` (epoch seconds).
    static func retryDate(_ response: HTTPResponseData, now: Date = Date()) -> Date? {
        if let header = response.header("Retry-After"), let seconds = RetryPolicy.seconds(retryAfter: header, now: now)
        {
            return now.addingTimeInterval(seconds)
        }
        if let reset = response.header("X-RateLimit-Reset").flatMap(Double.init) {
            return Date(timeIntervalSince1970: reset)
        }
        return nil
    }
}
