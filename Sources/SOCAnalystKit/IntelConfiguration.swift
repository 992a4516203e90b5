import Foundation
public import SOCHTTP
public import SOCThreatIntel

/// Builds the threat-intelligence service from the environment: API keys, base URLs, quotas, the cache location.
///
/// Variables: `ABUSEIPDB_API_KEY`, `ABUSEIPDB_BASE_URL`, `ABUSEIPDB_DAILY_LIMIT`; `VIRUSTOTAL_API_KEY`,
/// `VIRUSTOTAL_BASE_URL`, `VIRUSTOTAL_PER_MINUTE`, `VIRUSTOTAL_PER_DAY`; `NVD_API_KEY`, `NVD_BASE_URL`;
/// `SOCAGENT_CACHE_DIR`. A service without a key is reported as "not configured", never called.
public enum IntelConfiguration {
    /// The sources that answer from the intel database alone: the imported KEV catalog, NVD records and blocklists.
    public static func localSources(_ database: IntelDatabase) -> [any ThreatIntelProvider] {
        [KEVSource(database: database), ImportedNVDSource(database: database), BlocklistSource(database: database)]
    }

    /// Intelligence that contacts nothing: ``localSources(_:)`` and cached answers.
    public static func offlineService(_ database: IntelDatabase) -> ThreatIntelService {
        ThreatIntelService(database: database, providers: localSources(database), offline: true)
    }

    /// The service and its database.
    /// - Parameters:
    ///   - environment: Where the keys, base URLs and quotas are read.
    ///   - databasePath: The intel database; ``AnalystEnvironment/intelDatabasePath`` when `nil`.
    ///   - offline: Local sources and cached answers only.
    public static func makeService(
        environment: AnalystEnvironment,
        databasePath: String? = nil,
        offline: Bool = false,
        maximumQuotaWait: Duration = .seconds(60),
        transport: (any HTTPTransport)? = nil
    ) throws -> (service: ThreatIntelService, database: IntelDatabase) {
        let database = try IntelDatabase(path: databasePath ?? environment.intelDatabasePath)
        let base = transport ?? AsyncHTTPTransport()
        func value(_ name: String) -> String? { environment[name] }
        func integer(_ name: String, _ fallback: Int) -> Int { value(name).flatMap(Int.init) ?? fallback }
        var providers = localSources(database)
        var unavailable: [ThreatIntelService.UnavailableSource] = []
        let retrying = RetryingTransport(base, policy: RetryPolicy())
        if let key = value("ABUSEIPDB_API_KEY") {
            providers.append(
                AbuseIPDBProvider(
                    apiKey: key,
                    baseURL: value("ABUSEIPDB_BASE_URL") ?? "https://api.abuseipdb.com",
                    transport: retrying,
                    dailyLimit: integer("ABUSEIPDB_DAILY_LIMIT", 1000)
                )
            )
        } else {
            unavailable.append(
                .init(name: "abuseipdb", kinds: [.ip], reason: "it is not configured (set ABUSEIPDB_API_KEY)")
            )
        }
        if let key = value("VIRUSTOTAL_API_KEY") {
            providers.append(
                VirusTotalProvider(
                    apiKey: key,
                    baseURL: value("VIRUSTOTAL_BASE_URL") ?? "https://www.virustotal.com",
                    transport: retrying,
                    perMinute: integer("VIRUSTOTAL_PER_MINUTE", 4),
                    perDay: integer("VIRUSTOTAL_PER_DAY", 500)
                )
            )
        } else {
            unavailable.append(
                .init(
                    name: "virustotal",
                    kinds: [.ip, .hash, .domain],
                    reason: "it is not configured (set VIRUSTOTAL_API_KEY)"
                )
            )
        }
        // NVD works without a key (at a tenth of the rate); it throttles with 403 and asks for ~6 s between retries.
        let nvdTransport = RetryingTransport(
            base,
            policy: RetryPolicy(
                maximumAttempts: 3,
                baseDelay: .seconds(6),
                retryableStatuses: NVDProvider.retryableStatuses
            )
        )
        providers.append(
            NVDProvider(
                apiKey: value("NVD_API_KEY"),
                baseURL: value("NVD_BASE_URL") ?? "https://services.nvd.nist.gov",
                transport: nvdTransport
            )
        )
        let service = ThreatIntelService(
            database: database,
            providers: providers,
            unavailable: unavailable,
            offline: offline,
            maximumQuotaWait: maximumQuotaWait
        )
        return (service, database)
    }
}
