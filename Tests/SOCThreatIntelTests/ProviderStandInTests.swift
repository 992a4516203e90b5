import Foundation
import SOCHTTP
import SOCModel
import SOCTestSupport
import SOCThreatIntel
import Synchronization
import Testing

/// A manual clock: records the waits a retrying transport or the quota limiter asks for and advances its time by
/// them instead of sleeping, so quota tests are deterministic however loaded the machine is.
final class SleepRecorder: Sendable {
    private let state = Mutex<(waits: [Duration], now: Date)>(([], Date(timeIntervalSince1970: 1_707_041_723)))
    var recorded: [Duration] { state.withLock { $0.waits } }
    var now: Date { state.withLock { $0.now } }
    func sleep(_ duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.waits.append(duration)
            $0.now += duration.timeInterval
        }
    }
}

/// A fresh intel database in a temporary directory.
func temporaryDatabase() throws -> IntelDatabase {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-intel-\(UUID().uuidString)")
    return try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
}

/// Transport used against the stand-ins: real HTTP, fast retries, waits recorded instead of slept.
func fastTransport(
    _ sleeper: SleepRecorder,
    attempts: Int = 3,
    retryable: Set<Int> = [429, 502, 503, 504]
) -> any HTTPTransport {
    RetryingTransport(
        AsyncHTTPTransport(),
        policy: RetryPolicy(maximumAttempts: attempts, baseDelay: .milliseconds(5), retryableStatuses: retryable),
        sleep: { try await sleeper.sleep($0) }
    )
}

func encode(_ report: IntelReport) throws -> String {
    String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
}

@Suite(.enabled(if: SharedFiles.reference != nil, "needs ../shared/reference"))
struct AbuseIPDBStandInTests {
    static let key = "abuse-key-" + String(repeating: "7", count: 70)

    /// Answers like AbuseIPDB: `Key` required, the verbose example for 118.25.6.39, a clean answer otherwise.
    static func standIn(status: Int = 200, headers: [String: String] = [:]) async throws -> StandInServer {
        let examples = try SharedFiles.jsonExamples(in: "abuseipdb.md")
        return try await StandInServer.start { request in
            guard request.path == "/api/v2/check" else {
                return .json(#"{"errors":[{"detail":"not found","status":404}]}"#, status: 404)
            }
            guard request.header("Key") == key else {
                return .json(
                    #"{"errors":[{"detail":"Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.","status":401}]}"#,
                    status: 401
                )
            }
            if status != 200 {
                return .json(
                    #"{"errors":[{"detail":"Daily rate limit of 1000 requests exceeded for this endpoint.","status":429}]}"#,
                    status: status,
                    headers: headers
                )
            }
            if request.query["ipAddress"] == "118.25.6.39" { return .json(examples[0]) }
            let ip = request.query["ipAddress"] ?? ""
            return .json(
                #"{"data":{"ipAddress":"\#(ip)","isPublic":true,"ipVersion":4,"isWhitelisted":false,"abuseConfidenceScore":0,"countryCode":"US","usageType":"Fixed Line ISP","isp":"Example","domain":"example.net","hostnames":[],"isTor":false,"totalReports":0,"numDistinctUsers":0,"lastReportedAt":null}}"#
            )
        }
    }

    static func service(
        _ server: StandInServer,
        database: IntelDatabase,
        key: String = key,
        dailyLimit: Int = 1000
    )
        -> ThreatIntelService
    {
        let sleeper = SleepRecorder()
        let provider = AbuseIPDBProvider(
            apiKey: key,
            baseURL: server.baseURL,
            transport: fastTransport(sleeper),
            dailyLimit: dailyLimit
        )
        return ThreatIntelService(
            database: database,
            providers: [provider],
            maximumQuotaWait: .zero,
            now: { sleeper.now },
            sleep: { try await sleeper.sleep($0) }
        )
    }

    @Test func sendsTheDocumentedRequestAndReadsTheRecordedExample() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let report = await Self.service(server, database: database).lookup(
            try #require(IntelIndicator(.ip, "118.25.6.39"))
        )
        let request = try #require(await server.requests.first)
        #expect(request.method == "GET")
        #expect(request.header("Key") == Self.key)
        #expect(request.header("Accept") == "application/json")
        #expect(request.query["ipAddress"] == "118.25.6.39")
        #expect(request.query["maxAgeInDays"] == "90")
        #expect(request.query["verbose"] != nil)
        #expect(report.verdict == .malicious)
        let evidence = try #require(report.sources.first)
        #expect(evidence.source == "abuseipdb" && !evidence.fromCache)
        #expect(evidence.details["abuse_confidence_score"] == .integer(100))
        #expect(evidence.details["total_reports"] == .integer(47))
        #expect(evidence.details["report_categories"] == .list(["Brute-Force", "SSH"]))
        #expect(evidence.summary.contains("Tencent"))

        // A second lookup, even by a new service over the same file (a restart), is answered by the cache.
        let again = await Self.service(server, database: try IntelDatabase(path: database.path)).lookup(
            try #require(IntelIndicator(.ip, "118.25.6.39"))
        )
        #expect(again.sources.first?.fromCache == true)
        #expect(again.verdict == .malicious)
        #expect(await server.requests.count == 1)
        #expect(try !encode(report).contains(Self.key) && !encode(again).contains(Self.key))
    }

    /// A 401 that echoes the request's headers (some gateways do) put the key into the report and intel.db.
    @Test func anEchoedKeyReachesNeitherTheReportNorTheCache() async throws {
        let server = try await StandInServer.start { request in
            .json(
                #"{"errors":[{"detail":"Authentication failed for Key: \#(request.header("Key") ?? "")","status":401}]}"#,
                status: 401
            )
        }
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let report = await Self.service(server, database: database).lookup(
            try #require(IntelIndicator(.ip, "185.220.101.7"))
        )
        let text = try encode(report)
        #expect(text.contains("[REDACTED]"), "\(text)")
        #expect(!text.contains(Self.key))
        let stored = try Data(contentsOf: URL(fileURLWithPath: database.path))
        #expect(stored.range(of: Data(Self.key.utf8)) == nil)
    }

    @Test func aBadKeyGivesUnknownWithTheReasonAndNoSecret() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let wrongKey = "wrong-" + String(repeating: "k", count: 40)
        let report = await Self.service(server, database: try temporaryDatabase(), key: wrongKey)
            .lookup(try #require(IntelIndicator(.ip, "185.220.101.7")))
        #expect(report.verdict == .unknown)
        let error = try #require(report.sources.first?.error)
        #expect(
            error.contains("refused the API key") && error.contains("401") && error.contains("Authentication failed")
        )
        #expect(try !encode(report).contains(wrongKey))
    }

    @Test func a429BlocksTheProviderUntilRetryAfterAcrossRestarts() async throws {
        let server = try await Self.standIn(
            status: 429,
            headers: ["Retry-After": "7200", "X-RateLimit-Remaining": "0"]
        )
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let first = await Self.service(server, database: database).lookup(
            try #require(IntelIndicator(.ip, "185.220.101.8"))
        )
        #expect(first.verdict == .unknown)
        #expect(first.sources.first?.error?.contains("quota is exhausted") == true)
        #expect(first.sources.first?.error?.contains("Daily rate limit") == true)
        // Retry-After is two hours: not waited for, and remembered in the database.
        let restarted = await Self.service(server, database: try IntelDatabase(path: database.path))
            .lookup(try #require(IntelIndicator(.ip, "185.220.101.9")))
        #expect(restarted.verdict == .unknown)
        #expect(restarted.sources.first?.error?.contains("quota is exhausted") == true)
        #expect(await server.requests.count == 1)
    }

    @Test func theDailyQuotaIsCountedLocally() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let service = Self.service(server, database: database, dailyLimit: 2)
        #expect(try service.quotas().map(\.remaining) == [2])
        for address in ["185.220.101.1", "185.220.101.2"] {
            #expect(await service.lookup(try #require(IntelIndicator(.ip, address))).verdict == .clean)
        }
        // What the server's metrics report as the quota left.
        let quotas = try service.quotas()
        #expect(quotas.map(\.source) == ["abuseipdb"] && quotas.map(\.remaining) == [0])
        #expect(quotas.first?.limit.windowLabel == "day")
        // The count is in the database: a restarted process sees it.
        let restarted = Self.service(server, database: try IntelDatabase(path: database.path), dailyLimit: 2)
        let third = await restarted.lookup(try #require(IntelIndicator(.ip, "185.220.101.3")))
        #expect(third.verdict == .unknown)
        #expect(third.sources.first?.error?.contains("daily quota of 2 requests") == true)
        #expect(await server.requests.count == 2)
    }

    @Test func privateAddressesAreNeverSent() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let report = await Self.service(server, database: try temporaryDatabase()).lookup(
            try #require(IntelIndicator(.ip, "10.1.2.3"))
        )
        #expect(report.scope == .private)
        #expect(report.sources.first?.summary.contains("not sent") == true)
        #expect(await server.requests.isEmpty)
    }
}

@Suite(.enabled(if: SharedFiles.reference != nil, "needs ../shared/reference"))
struct VirusTotalStandInTests {
    static let key = String(repeating: "ab", count: 32)
    static let eicarMD5 = "44d88612fea8a8f36de82e1278abb02f"

    /// Answers like VirusTotal v3: `x-apikey` required; the EICAR file by any of its hashes; the example IP; 404 else.
    static func standIn() async throws -> StandInServer {
        let examples = try SharedFiles.jsonExamples(in: "virustotal.md")
        return try await StandInServer.start { request in
            guard request.header("x-apikey") == key else {
                return .json(#"{"error":{"code":"WrongCredentialsError","message":"Wrong API key"}}"#, status: 401)
            }
            switch request.path {
            case "/api/v3/files/\(eicarMD5)", "/api/v3/files/3395856ce81f2b7382dee72602f798b642f14140",
                "/api/v3/files/275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f":
                return .json(examples[1])
            case "/api/v3/ip_addresses/203.0.113.7":
                return .json(examples[2])
            default:
                return .json(#"{"error":{"code":"NotFoundError","message":"Resource not found."}}"#, status: 404)
            }
        }
    }

    static func service(
        _ server: StandInServer,
        database: IntelDatabase,
        sleeper: SleepRecorder = SleepRecorder(),
        wait: Duration = .zero
    )
        -> ThreatIntelService
    {
        let provider = VirusTotalProvider(apiKey: key, baseURL: server.baseURL, transport: fastTransport(sleeper))
        return ThreatIntelService(
            database: database,
            providers: [provider],
            maximumQuotaWait: wait,
            now: { sleeper.now },
            sleep: { try await sleeper.sleep($0) }
        )
    }

    @Test func readsAFileReportByAnyOfItsHashes() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let report = await Self.service(server, database: try temporaryDatabase()).lookup(
            try #require(IntelIndicator(.hash, Self.eicarMD5.uppercased()))
        )
        let request = try #require(await server.requests.first)
        #expect(request.path == "/api/v3/files/\(Self.eicarMD5)")
        #expect(request.header("x-apikey") == Self.key)
        #expect(report.verdict == .malicious)
        #expect(report.hashType == .md5)
        let evidence = try #require(report.sources.first)
        #expect(evidence.details["malicious"] == .integer(60))
        #expect(evidence.details["threat_label"] == .text("virus.eicar/test"))
        #expect(
            evidence.details["detections"]
                == .list(["ClamAV: Win.Test.EICAR_HDB-1", "Microsoft: Virus:DOS/EICAR_Test_File"])
        )
        #expect(try !encode(report).contains(Self.key))
    }

    @Test func readsAnIPReport() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        // 203.0.113.0/24 is documentation space, so the service would not send it; ask the provider directly.
        let provider = VirusTotalProvider(
            apiKey: Self.key,
            baseURL: server.baseURL,
            transport: fastTransport(SleepRecorder())
        )
        let answer = try await provider.lookup(try #require(IntelIndicator(.ip, "203.0.113.7")))
        #expect(answer.verdict == .malicious)
        #expect(answer.details["as_owner"] == .text("EXAMPLE-HOSTING"))
        #expect(answer.summary.hasPrefix("5 of 94 engines flag it malicious, 1 suspicious"))
    }

    @Test func neverSeenIsANegativeAnswerThatIsCached() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let hash = String(repeating: "e", count: 63) + "1"
        let first = await Self.service(server, database: database).lookup(try #require(IntelIndicator(.hash, hash)))
        #expect(first.verdict == .unknown)
        #expect(first.sources.first?.summary == "never seen by VirusTotal")
        #expect(first.sources.first?.error == nil)
        let second = await Self.service(server, database: database).lookup(try #require(IntelIndicator(.hash, hash)))
        #expect(second.sources.first?.fromCache == true)
        #expect(await server.requests.count == 1)
    }

    @Test func aWrongKeyAndAQuota429AreUnknownWithReasons() async throws {
        let server = try await StandInServer.start { request in
            request.header("x-apikey") == "exhausted"
                ? .json(#"{"error":{"code":"QuotaExceededError","message":"Quota exceeded"}}"#, status: 429)
                : .json(#"{"error":{"code":"WrongCredentialsError","message":"Wrong API key"}}"#, status: 401)
        }
        defer { Task { await server.stop() } }
        func lookup(key: String) async throws -> IntelReport {
            let provider = VirusTotalProvider(
                apiKey: key,
                baseURL: server.baseURL,
                transport: fastTransport(SleepRecorder(), attempts: 1)
            )
            return await ThreatIntelService(database: try temporaryDatabase(), providers: [provider])
                .lookup(try #require(IntelIndicator(.domain, "example.org")))
        }
        let wrong = try await lookup(key: "not-the-key")
        #expect(
            wrong.sources.first?.error
                == "the service refused the API key (HTTP 401: WrongCredentialsError: Wrong API key)"
        )
        let exhausted = try await lookup(key: "exhausted")
        #expect(
            exhausted.sources.first?.error?.hasPrefix("the quota is exhausted (QuotaExceededError: Quota exceeded)")
                == true
        )
        #expect(try !encode(wrong).contains("not-the-key"))
    }

    @Test func fourRequestsPerMinuteAreEnforcedBeforeSending() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let service = Self.service(server, database: database)
        for index in 1...5 {
            let report = await service.lookup(try #require(IntelIndicator(.domain, "host\(index).example.org")))
            if index == 5 {
                #expect(report.sources.first?.error?.contains("rate limit of 4 requests per 60 s") == true)
            } else {
                #expect(report.sources.first?.summary == "never seen by VirusTotal")
            }
        }
        #expect(await server.requests.count == 4)
        // Allowed to wait, the limiter sleeps until the oldest request leaves the window, then sends.
        let sleeper = SleepRecorder()
        let patient = Self.service(server, database: database, sleeper: sleeper, wait: .seconds(120))
        let sixth = await patient.lookup(try #require(IntelIndicator(.domain, "host6.example.org")))
        #expect(sixth.sources.first?.summary == "never seen by VirusTotal")
        #expect(await server.requests.count == 5)
        #expect(sleeper.recorded == [.seconds(60)])
    }
}

@Suite(.enabled(if: SharedFiles.reference != nil, "needs ../shared/reference"))
struct NVDStandInTests {
    static let key = "5b4c3d2e-1f00-4a1b-9c8d-7e6f5a4b3c2d"

    /// Answers like NVD 2.0: the composed CVE-2021-44228 record, zero results for others, 404 + `message` for a bad key,
    /// and (when asked) a 403 throttle before the first answer.
    static func standIn(throttleFirst: Bool = false) async throws -> StandInServer {
        let examples = try SharedFiles.jsonExamples(in: "nvd-cve-api.md")
        let throttled = Mutex(throttleFirst)
        return try await StandInServer.start { request in
            if let key = request.header("apiKey"), key != NVDStandInTests.key {
                return StandInResponse(status: 404, headers: ["message": "Invalid apiKey.", "apikey": "No"])
            }
            if throttled.withLock({
                let first = $0
                $0 = false
                return first
            }) {
                return StandInResponse(status: 403)
            }
            guard request.path == "/rest/json/cves/2.0" else { return StandInResponse(status: 404) }
            return .json(
                request.query["cveId"] == "CVE-2021-44228" ? examples[0] : examples[1],
                headers: ["apikey": request.header("apiKey") == nil ? "No" : "Yes"]
            )
        }
    }

    static func provider(_ server: StandInServer, key: String?, sleeper: SleepRecorder = SleepRecorder()) -> NVDProvider
    {
        NVDProvider(
            apiKey: key,
            baseURL: server.baseURL,
            transport: fastTransport(sleeper, retryable: NVDProvider.retryableStatuses)
        )
    }

    @Test func readsScoresWeaknessesAndKEVFields() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let database = try temporaryDatabase()
        let service = ThreatIntelService(database: database, providers: [Self.provider(server, key: Self.key)])
        let report = await service.lookup(try #require(IntelIndicator(.cve, "cve-2021-44228")))
        let request = try #require(await server.requests.first)
        #expect(request.query["cveId"] == "CVE-2021-44228")
        #expect(request.header("apiKey") == Self.key)
        let cve = try #require(report.cve)
        #expect(cve.cvssScore == 10.0 && cve.cvssVersion == "3.1" && cve.severity == "CRITICAL")
        #expect(cve.cwes == ["CWE-20", "CWE-400", "CWE-502", "CWE-917"])
        #expect(cve.knownExploited)
        #expect(cve.kev?.dueDate == "2021-12-24")
        #expect(cve.description?.hasPrefix("Apache Log4j2 2.0-beta9") == true)
        #expect(cve.cvssMetrics.map(\.version) == ["3.1", "2.0"])
        #expect(report.verdict == .malicious)
        #expect(try !encode(report).contains(Self.key))
    }

    @Test func withoutAKeyNoKeyHeaderIsSentAndTheLimitIsFivePerThirtySeconds() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let provider = Self.provider(server, key: nil)
        #expect(provider.limits == [RateLimit(5, per: .rolling(.seconds(30)))])
        #expect(Self.provider(server, key: Self.key).limits == [RateLimit(50, per: .rolling(.seconds(30)))])
        let clock = SleepRecorder()
        let service = ThreatIntelService(
            database: try temporaryDatabase(),
            providers: [provider],
            maximumQuotaWait: .zero,
            now: { clock.now }
        )
        for number in 1...6 {
            let report = await service.lookup(try #require(IntelIndicator(.cve, "CVE-2024-\(1000 + number)")))
            if number == 6 {
                #expect(report.sources.first?.error?.contains("rate limit of 5 requests per 30 s") == true)
            } else {
                #expect(report.sources.first?.summary == "not in the NVD")
            }
        }
        let requests = await server.requests
        #expect(requests.count == 5)
        #expect(requests.allSatisfy { $0.header("apiKey") == nil })
    }

    @Test func a403ThrottleIsRetriedWithBackoff() async throws {
        let server = try await Self.standIn(throttleFirst: true)
        defer { Task { await server.stop() } }
        let sleeper = SleepRecorder()
        let answer = try await Self.provider(server, key: nil, sleeper: sleeper).lookup(
            try #require(IntelIndicator(.cve, "CVE-2021-44228"))
        )
        #expect(answer.cve?.cvssScore == 10.0)
        #expect(await server.requests.count == 2)
        #expect(sleeper.recorded.count == 1)
    }

    @Test func aBadKeyIsReportedFromTheMessageHeader() async throws {
        let server = try await Self.standIn()
        defer { Task { await server.stop() } }
        let badKey = "00000000-bad0-key0-0000-000000000000"
        let service = ThreatIntelService(
            database: try temporaryDatabase(),
            providers: [Self.provider(server, key: badKey)]
        )
        let report = await service.lookup(try #require(IntelIndicator(.cve, "CVE-2021-44228")))
        #expect(report.sources.first?.error == "the service refused the API key (Invalid apiKey.)")
        #expect(try !encode(report).contains(badKey))
    }
}

@Suite struct TransportFaultTests {
    @Test func a503WithRetryAfterIsRetriedAfterTheAskedDelay() async throws {
        let calls = Mutex(0)
        let server = try await StandInServer.start { _ in
            calls.withLock {
                $0 += 1
                return $0
            } == 1 ? StandInResponse(status: 503, headers: ["Retry-After": "2"]) : .json("{}")
        }
        defer { Task { await server.stop() } }
        let sleeper = SleepRecorder()
        let response = try await fastTransport(sleeper).send(HTTPRequestSpec(url: server.baseURL + "/x"))
        #expect(response.status == 200)
        #expect(sleeper.recorded == [.seconds(2)])
    }

    @Test func withoutRetryAfterTheBackoffDoublesWithJitter() async throws {
        let server = try await StandInServer.start { _ in StandInResponse(status: 503) }
        defer { Task { await server.stop() } }
        let sleeper = SleepRecorder()
        let transport = RetryingTransport(
            AsyncHTTPTransport(),
            policy: RetryPolicy(maximumAttempts: 4, baseDelay: .seconds(1)),
            sleep: { try await sleeper.sleep($0) }
        )
        let response = try await transport.send(HTTPRequestSpec(url: server.baseURL + "/busy"))
        #expect(response.status == 503)  // given up after four attempts, the last answer returned
        #expect(await server.requests.count == 4)
        let waits = sleeper.recorded.map(\.timeInterval)
        #expect(waits.count == 3)
        for (index, wait) in waits.enumerated() {
            let nominal = Double(1 << index)
            #expect(wait >= nominal * 0.8 && wait <= nominal * 1.2)
        }
    }

    @Test func retryAfterAcceptsAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let seconds = RetryPolicy.seconds(retryAfter: "Tue, 14 Nov 2023 22:13:40 GMT", now: now)
        #expect(seconds == 20)
        #expect(RetryPolicy().delay(afterAttempt: 1, retryAfter: "86400") == nil)  // longer than the longest wait
    }

    @Test func aTimeoutBecomesUnknownWithTheReason() async throws {
        let server = try await StandInServer.start { _ in StandInResponse(status: 200, body: "{}", delay: .seconds(3)) }
        defer { Task { await server.stop() } }
        let provider = AbuseIPDBProvider(
            apiKey: "k",
            baseURL: server.baseURL,
            transport: RetryingTransport(AsyncHTTPTransport(), policy: RetryPolicy(maximumAttempts: 1)),
            timeout: .milliseconds(300)
        )
        let report = await ThreatIntelService(database: try temporaryDatabase(), providers: [provider])
            .lookup(try #require(IntelIndicator(.ip, "185.220.101.20")))
        #expect(report.verdict == .unknown)
        #expect(
            report.sources.first?.error?.contains("no answer from \(server.baseURL)/api/v2/check within 0.3 s") == true
        )
    }

    @Test func anUnreachableServiceBecomesUnknownWithTheReason() async throws {
        let url = try await StandInServer.closedPortURL()
        let provider = VirusTotalProvider(
            apiKey: "k",
            baseURL: url,
            transport: RetryingTransport(AsyncHTTPTransport(), policy: RetryPolicy(maximumAttempts: 1))
        )
        let report = await ThreatIntelService(database: try temporaryDatabase(), providers: [provider])
            .lookup(try #require(IntelIndicator(.domain, "example.org")))
        #expect(report.verdict == .unknown)
        #expect(report.sources.first?.error?.hasPrefix("cannot reach \(url)/api/v3/domains/example.org") == true)
    }

    @Test func offlineNoRequestIsMade() async throws {
        let server = try await StandInServer.start { _ in .json("{}") }
        defer { Task { await server.stop() } }
        let provider = AbuseIPDBProvider(apiKey: "k", baseURL: server.baseURL, transport: AsyncHTTPTransport())
        let report = await ThreatIntelService(database: try temporaryDatabase(), providers: [provider], offline: true)
            .lookup(try #require(IntelIndicator(.ip, "185.220.101.21")))
        #expect(report.sources.first?.error == "offline and no cached answer")
        #expect(await server.requests.isEmpty)
    }
}
