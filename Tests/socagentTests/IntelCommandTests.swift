import Foundation
import SOCTestSupport
import Testing

/// `socagent intel …` as a user runs it: offline KEV + NVD, a lookup through a stand-in, extraction.
@Suite struct IntelCommandTests {
    let cli: IngestCommandTests

    init() throws { cli = try IngestCommandTests() }

    /// Every intel command in these tests uses a cache in the test's own directory, and no real key.
    func intel(_ arguments: [String], environment: [String: String] = [:]) throws -> IngestCommandTests.Run {
        var environment = environment
        environment["SOCAGENT_CACHE_DIR"] = cli.path("cache")
        for name in ["ABUSEIPDB_API_KEY", "VIRUSTOTAL_API_KEY", "NVD_API_KEY"] where environment[name] == nil {
            environment[name] = ""
        }
        return try cli.run(["intel"] + arguments, environment: environment)
    }

    /// ``intel(_:environment:)`` off Swift's cooperative threads, which the stand-in server needs to answer it.
    func intelOffThePool(_ arguments: [String], environment: [String: String]) async throws -> IngestCommandTests.Run {
        let cli = self
        return try await offThePool { try cli.intel(arguments, environment: environment) }
    }

    @Test(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
    func cveLookupsWorkOfflineAfterImportingKEVAndNVD() throws {
        let data = try #require(SharedFiles.data)
        let imported = try intel(["import", data + "/cisa-kev", data + "/nvd-cve-records"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("known_exploited_vulnerabilities.json: kev, 1404 imported"))

        let eternalBlue = try intel(["cve", "CVE-2017-0144", "--offline", "--json"])
        #expect(eternalBlue.status == 0, "\(eternalBlue.stderr)")
        let json = try #require(eternalBlue.json)
        #expect(json["id"] as? String == "CVE-2017-0144")
        #expect(json["cvss_score"] as? Double == 8.8)
        #expect(json["severity"] as? String == "HIGH")
        #expect(json["known_exploited"] as? Bool == true)
        #expect((json["description"] as? String)?.contains("SMBv1") == true)

        let log4shell = try #require(try intel(["cve", "CVE-2021-44228", "--offline", "--json"]).json)
        #expect(log4shell["known_exploited"] as? Bool == true)
        #expect(log4shell["cvss_score"] is NSNull)

        let human = try intel(["cve", "cve-2024-3094", "--offline"])
        #expect(human.stdout.contains("CVSS 3.1 10.0 CRITICAL; known exploited: no"))
    }

    @Test func anIPLookupGoesThroughTheConfiguredServiceAndKeepsTheKeySecret() async throws {
        let key = "cli-secret-" + String(repeating: "9", count: 30)
        let server = try await StandInServer.start { request in
            guard request.header("Key") == key else {
                return .json(#"{"errors":[{"detail":"Authentication failed.","status":401}]}"#, status: 401)
            }
            return .json(
                #"{"data":{"ipAddress":"45.142.212.61","isPublic":true,"ipVersion":4,"isWhitelisted":false,"abuseConfidenceScore":97,"countryCode":"NL","usageType":"Data Center/Web Hosting/Transit","isp":"Example Hosting","domain":"example.nl","hostnames":[],"isTor":false,"totalReports":311,"numDistinctUsers":120,"lastReportedAt":"2024-02-04T10:20:00+00:00"}}"#
            )
        }
        defer { Task { await server.stop() } }
        let environment = ["ABUSEIPDB_API_KEY": key, "ABUSEIPDB_BASE_URL": server.baseURL]
        let first = try await intelOffThePool(["ip", "45.142.212[.]61", "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        // Usually one request; a retry is right when the machine is so loaded that the first one timed out.
        let requestsForFirst = await server.requests.count
        #expect(requestsForFirst >= 1)
        let json = try #require(first.json)
        #expect(json["verdict"] as? String == "malicious")
        #expect(json["scope"] as? String == "public")
        let sources = try #require(json["sources"] as? [[String: Any]])
        #expect(sources.first { $0["source"] as? String == "abuseipdb" }?["from_cache"] as? Bool == false)
        #expect(
            sources.contains {
                $0["source"] as? String == "virustotal"
                    && ($0["error"] as? String)?.contains("VIRUSTOTAL_API_KEY") == true
            }
        )

        let second = try await intelOffThePool(["ip", "45.142.212.61"], environment: environment)
        #expect(second.stdout.contains("abuseipdb   malicious  abuse confidence 97% from 311 reports by 120 users"))
        #expect(second.stdout.contains("(cached "))
        #expect(await server.requests.count == requestsForFirst, "the second lookup came from the cache")
        for run in [first, second] { #expect(!run.stdout.contains(key) && !run.stderr.contains(key)) }
    }

    @Test func extractPrintsTheReportShapeAndRejectsBadIndicators() throws {
        let result = try intel([
            "extract", "--json", "Failed login attempt from 45.142.212.61 for user 'admin' at 2024-02-04 10:15:23",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json)
        #expect(
            Set(json.keys) == [
                "ips", "domains", "urls", "emails", "hashes", "cves", "users", "hosts", "timestamps", "paths",
            ]
        )
        #expect(result.topLevelKeys == result.topLevelKeys.sorted())
        #expect(json["ips"] as? [String] == ["45.142.212.61"])
        #expect(json["users"] as? [String] == ["admin"])
        #expect(json["timestamps"] as? [String] == ["2024-02-04T10:15:23Z"])

        let bad = try intel(["ip", "999.1.2.3"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("'999.1.2.3' is not a valid ip"))
    }
}

/// Runs a blocking command (a child process) on a thread of its own, leaving Swift's cooperative threads free for
/// the loopback servers the command talks to.
func offThePool(_ body: @escaping @Sendable () throws -> IngestCommandTests.Run) async throws -> IngestCommandTests.Run
{
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
