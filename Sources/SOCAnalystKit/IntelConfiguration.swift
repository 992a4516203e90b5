import Foundation
public import SOCHTTP
public import SOCThreatIntel

/// Builds the threat-intelligence service from the environment: API keys, base URLs, quotas, the cache location.
///
/// Variables: `ABUSEIPDB_API_KEY`, `ABUSEIPDB_BASE_URL`, `ABUSEIPDB_DAILY_LIMIT`; `VIRUSTOTAL_API_KEY`,
/// `VIRUSTOTAL_BASE_URL`, `VIRUSTOTAL_PER_MINUTE`, `VIRUSTOTAL_PER_DAY`; `NVD_API_KEY`, `NVD_BASE_URL`;
/// `SOCAGENT_CACHE_DIR`. A service without a key is reported as "not configured", never called.
public enum IntelConfiguration {
    /// The service and its database.
    /// - Parameters:
    ///   - databasePath: The intel database; ``IntelDatabase/defaultPath(environment:)`` when `nil`.
    /// The sources that answer from the intel database alone: the imported KEV catalog, NVD records and blocklists.
    public static func localSources(_ database: IntelDatabase) -> [any ThreatIntelProvider] {
        [KEVSource(database: database), ImportedNVDSource(database: database), BlocklistSource(database: database)]
    }

    /// Intelligence that contacts nothing: ``localSources(_:)`` and cached answers.
    public static func offlineService(_ database: IntelDatabase) -> ThreatIntelService {
        ThreatIntelService(database: database, providers: localSources(database), offline: true)
    }

    ///   - offline: Local sources and cached answers only.
    public static func makeService(
        environment: [String: String] = Environment.current, databasePath: String? = nil, offline: Bool = false,
        maximumQuotaWait: Duration = .seconds(60), transport: (any HTTPTransport)? = nil
    ) throws -> (service: ThreatIntelService, database: IntelDatabase) {
        let database = try IntelDatabase(path: databasePath ?? IntelDatabase.defaultPath(environment: environment))
        let base = transport ?? AsyncHTTPTransport()
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ name: String, _ fallback: Int) -> Int { value(name).flatMap(Int.init) ?? fallback }
        var providers = localSources(database)
        var unavailable: [ThreatIntelService.UnavailableSource] = []
        let retrying = RetryingTransport(base, policy: RetryPolicy())
        if let key = value("ABUSEIPDB_API_KEY") {
            providers.append(
                AbuseIPDBProvider(
                    apiKey: key, baseURL: value("ABUSEIPDB_BASE_URL") ?? "https://api.abuseipdb.com", transport: retrying,
                    dailyLimit: integer("ABUSEIPDB_DAILY_LIMIT", 1000)))
        } else {
            unavailable.append(.init(name: "abuseipdb", kinds: [.ip], reason: "it is not configured (set ABUSEIPDB_API_KEY)"))
        }
        if let key = value("VIRUSTOTAL_API_KEY") {
            providers.append(
                VirusTotalProvider(
                    apiKey: key, baseURL: value("VIRUSTOTAL_BASE_URL") ?? "https://www.virustotal.com", transport: retrying,
                    perMinute: integer("VIRUSTOTAL_PER_MINUTE", 4), perDay: integer("VIRUSTOTAL_PER_DAY", 500)))
        } else {
            unavailable.append(
                .init(name: "virustotal", kinds: [.ip, .hash, .domain], reason: "it is not configured (set VIRUSTOTAL_API_KEY)"))
        }
        // NVD works without a key (at a tenth of the rate); it throttles with 403 and asks for ~6 s between retries.
        let nvdTransport = RetryingTransport(
            base, policy: RetryPolicy(maximumAttempts: 3, baseDelay: .seconds(6), retryableStatuses: NVDProvider.retryableStatuses))
        providers.append(
            NVDProvider(
                apiKey: value("NVD_API_KEY"), baseURL: value("NVD_BASE_URL") ?? "https://services.nvd.nist.gov",
                transport: nvdTransport))
        let service = ThreatIntelService(
            database: database, providers: providers, unavailable: unavailable, offline: offline,
            maximumQuotaWait: maximumQuotaWait)
        return (service, database)
    }
}

/// The process environment, with a `.env` file in the working directory underneath it (DESIGN: configuration).
public enum Environment {
    /// `ProcessInfo`'s environment over the `KEY=value` lines of `./.env` (the real environment wins).
    public static var current: [String: String] {
        var values = dotEnv(at: FileManager.default.currentDirectoryPath + "/.env")
        for (key, value) in ProcessInfo.processInfo.environment { values[key] = value }
        return values
    }

    /// Reads `KEY=value` lines; `#` comments, blank lines, `export ` prefixes and surrounding quotes are allowed.
    public static func dotEnv(at path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}
