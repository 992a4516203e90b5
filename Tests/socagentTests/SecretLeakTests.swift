import Foundation
import SOCTestSupport
import Testing

/// Issue 18: every configured key, in every encoding, is searched for in everything socagent printed or stored
/// after runs against services that echo credentials back, fail, and redirect elsewhere.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct SecretLeakTests {
    static func secret(_ prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }

    /// The forms a key can leak in: as is, Base64 (padded or not, URL-safe) and percent-encoded.
    static func forms(of secret: String) -> [String] {
        let base64 = Data(secret.utf8).base64EncodedString()
        let unpadded = base64.replacingOccurrences(of: "=", with: "")
        let urlSafe = unpadded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return [
            secret, base64, unpadded, urlSafe,
            secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret,
        ]
    }

    /// Every header the service received, echoed as is and in Base64.
    static func echo(_ request: RecordedRequest) -> String {
        let pairs = request.headers.map { name, value in
            "\"\(name)\": \"\(value)\", \"\(name)-b64\": \"\(Data(value.utf8).base64EncodedString())\""
        }
        return "{\"error\": \"rejected\", \"received\": {\(pairs.joined(separator: ", "))}}"
    }

    @Test func noKeyLeaksFromEchoingFailingOrRedirectingServices() async throws {
        let keys = [
            "ABUSEIPDB_API_KEY": Self.secret("abuse-"), "VIRUSTOTAL_API_KEY": Self.secret("vt-"),
            "NVD_API_KEY": Self.secret("nvd-"), "ANTHROPIC_API_KEY": Self.secret("sk-ant-"),
        ]
        // Elsewhere: where a redirect points; it must receive no credential.
        let elsewhere = try await StandInServer.start { _ in .json("{}") }
        defer { Task { await elsewhere.stop() } }
        let echoing = try await StandInServer.start { request in
            if request.path.contains("cves") {  // NVD: redirected to another origin
                return StandInResponse(status: 302, headers: ["Location": elsewhere.baseURL + "/stolen"])
            }
            if request.path.contains("messages") {  // Anthropic, saying not to retry
                return .json(Self.echo(request), status: 500, headers: ["x-should-retry": "false"])
            }
            if request.path.contains("/v3/") {  // VirusTotal, out of quota for a second
                return .json(Self.echo(request), status: 429, headers: ["Retry-After": "1"])
            }
            return .json(Self.echo(request), status: 401)  // AbuseIPDB
        }
        defer { Task { await echoing.stop() } }
        var environment = keys
        for name in ["ABUSEIPDB_BASE_URL", "VIRUSTOTAL_BASE_URL", "NVD_BASE_URL", "ANTHROPIC_BASE_URL"] {
            environment[name] = echoing.baseURL
        }
        let cli = try IngestCommandTests()
        environment["SOCAGENT_CACHE_DIR"] = cli.path("cache")
        // VirusTotal's free quota (4 a minute) would make each run wait for a slot.
        environment["VIRUSTOTAL_PER_MINUTE"] = "1000"
        let log = try #require(SharedFiles.data) + "/loghub/OpenSSH_2k_first500.log"
        let alert =
            "Failed password for admin from 45.142.212.61 at 2025-12-10 09:12:00; CVE-2021-44228; dropper 44d88612fea8a8f36de82e1278abb02f"
        let environmentForRuns = environment
        var runs: [IngestCommandTests.Run] = []
        for arguments in [
            ["ingest", log], ["analyze", alert], ["analyze", "--json", alert], ["intel", "ip", "45.142.212.61"],
            ["intel", "cve", "CVE-2021-44228", "--json"], ["intel", "hash", "44d88612fea8a8f36de82e1278abb02f"],
        ] {
            runs.append(try await offThePool { try cli.run(arguments, environment: environmentForRuns) })
        }
        #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.map(\.stderr))")
        #expect(await echoing.requests.count >= 4)
        // Everything printed, and every file written: reports, the store, the intelligence cache.
        var haystacks = runs.flatMap { [$0.stdout, $0.stderr] }.map { Data($0.utf8) }
        let files = FileManager.default.enumerator(atPath: cli.directory.path)?.compactMap { $0 as? String } ?? []
        for file in files {
            if let data = FileManager.default.contents(atPath: cli.path(file)) { haystacks.append(data) }
        }
        #expect(files.contains { $0.hasPrefix("reports/") } && files.contains("cache/intel.db"))
        for (name, key) in keys {
            for form in Self.forms(of: key) {
                let needle = Data(form.utf8)
                #expect(!haystacks.contains { $0.range(of: needle) != nil }, "\(name) leaked as \(form.prefix(12))…")
            }
        }
        // The redirect to another origin carried no credential.
        for request in await elsewhere.requests {
            for name in ["key", "x-apikey", "x-api-key", "apikey", "authorization"] {
                #expect(request.header(name) == nil, "\(name) crossed to another origin")
            }
        }
    }
}
