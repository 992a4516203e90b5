import Foundation
import SOCTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `socagent serve` as a user runs it, on loopback: tokens by role, every endpoint, the workflow's rules, body and
/// rate limits, the triage loop taking posted alerts in, and a graceful stop on SIGTERM.
@Suite(.serialized) struct ServeCommandTests {
    /// A running server and the tokens made for it.
    final class Server {
        let cli: IngestCommandTests
        let process = Process()
        let log: URL
        var base = ""
        var tokens: [String: String] = [:]

        init() throws {
            cli = try IngestCommandTests()
            log = cli.directory.appendingPathComponent("serve.log")
        }

        func start(_ extra: [String] = []) async throws {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = IngestCommandTests.binary
            process.arguments =
                [
                    "serve", "--port", "0", "--store", cli.path("store.db"), "--offline", "--report-dir",
                    cli.path("reports"), "--intel-db", cli.path("intel.db"), "--interval", "0.5",
                ] + extra
            process.currentDirectoryURL = cli.directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            let started = Date()
            while Date().timeIntervalSince(started) < 120 {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on http://127.0.0.1:") {
                    let port = text[range.upperBound...].prefix { $0.isNumber }
                    base = "http://127.0.0.1:\(port)"
                    return
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            throw CancellationError()
        }

        /// Sends a request; `token` names one of ``tokens`` (or is used as given).
        func send(
            _ method: String,
            _ path: String,
            token: String? = nil,
            body: Data? = nil
        ) async throws -> (status: Int, body: Data, headers: [AnyHashable: Any]) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(tokens[token] ?? token)", forHTTPHeaderField: "Authorization") }
            request.httpBody = body
            request.timeoutInterval = 60
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            return (http?.statusCode ?? 0, data, http?.allHeaderFields ?? [:])
        }

        func json(_ data: Data) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }

        func stop() -> (status: Int32, log: String) {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    /// A store holding the SSH brute force, three tokens (one per role).
    static func prepared() throws -> Server {
        let data = try #require(SharedFiles.data)
        let server = try Server()
        let cli = server.cli
        let ingested = try cli.run([
            "ingest", data + "/loghub/OpenSSH_2k_first500.log", "--store", cli.path("store.db"),
        ])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        for (name, role) in [("vera", "viewer"), ("alice", "analyst"), ("root", "admin")] {
            let made = try cli.run([
                "token", "create", "--name", name, "--role", role, "--json", "--store", cli.path("store.db"),
            ])
            #expect(made.status == 0, "\(made.stderr)")
            server.tokens[name] = made.json?["token"] as? String
        }
        return server
    }

    @Test(.timeLimit(.minutes(10))) func theAPIWorksByRoleAndStopsGracefully() async throws {
        let server = try Self.prepared()
        try await server.start()
        defer { _ = server.stop() }

        // Health needs no token; everything else does.
        #expect(try await server.send("GET", "/api/v1/health").status == 200)
        #expect(try await server.send("GET", "/api/v1/incidents").status == 401)
        #expect(try await server.send("GET", "/api/v1/incidents", token: "socagent_not-a-real-token").status == 401)

        // The first triage pass makes the seven brute-force incidents.
        var incidents: [[String: Any]] = []
        for _ in 0..<600 {
            let listed = try await server.send("GET", "/api/v1/incidents?limit=50", token: "vera")
            #expect(listed.status == 200)
            incidents = server.json(listed.body)["incidents"] as? [[String: Any]] ?? []
            if incidents.count >= 7, incidents.allSatisfy({ $0["severity"] != nil }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(incidents.count == 7)
        let id = "INC-20251210-091237-E8DB56"
        #expect(incidents.contains { $0["id"] as? String == id })
        let paged = server.json(try await server.send("GET", "/api/v1/incidents?limit=2&offset=6", token: "vera").body)
        #expect((paged["incidents"] as? [[String: Any]])?.count == 1)
        #expect(try await server.send("GET", "/api/v1/incidents?severity=bogus", token: "vera").status == 400)
        #expect(try await server.send("GET", "/api/v1/incidents?limit=0", token: "vera").status == 400)
        let medium = server.json(try await server.send("GET", "/api/v1/incidents?severity=MEDIUM", token: "vera").body)
        #expect((medium["count"] as? Int) == 7)

        // One incident, with its alerts and its latest report.
        let one = try await server.send("GET", "/api/v1/incidents/\(id)", token: "vera")
        #expect(one.status == 200)
        let detail = server.json(one.body)
        #expect((detail["incident"] as? [String: Any])?["id"] as? String == id)
        #expect(((detail["report"] as? [String: Any])?["incident_id"] as? String) == id)
        #expect((detail["alerts"] as? [[String: Any]])?.isEmpty == false)
        #expect(try await server.send("GET", "/api/v1/incidents/INC-NONE", token: "vera").status == 404)

        // Changes: a viewer may not; closing needs a disposition; every change is recorded with who.
        let close = Data(#"{"status":"closed","disposition":"false_positive","comment":"lab scanner"}"#.utf8)
        #expect(try await server.send("PATCH", "/api/v1/incidents/\(id)", token: "vera", body: close).status == 403)
        let bare = Data(#"{"status":"closed"}"#.utf8)
        #expect(try await server.send("PATCH", "/api/v1/incidents/\(id)", token: "alice", body: bare).status == 422)
        #expect(
            try await server.send("PATCH", "/api/v1/incidents/\(id)", token: "alice", body: Data("[1,2".utf8)).status
                == 400
        )
        let acknowledged = try await server.send(
            "PATCH",
            "/api/v1/incidents/\(id)",
            token: "alice",
            body: Data(#"{"status":"acknowledged","assignee":"alice"}"#.utf8)
        )
        #expect(acknowledged.status == 200)
        let closed = try await server.send("PATCH", "/api/v1/incidents/\(id)", token: "root", body: close)
        #expect(closed.status == 200)
        let after = server.json(try await server.send("GET", "/api/v1/incidents/\(id)", token: "vera").body)
        let incident = try #require(after["incident"] as? [String: Any])
        #expect(incident["status"] as? String == "closed")
        #expect(incident["disposition"] as? String == "false_positive")
        #expect(incident["assignee"] as? String == "alice")
        #expect((incident["history"] as? [[String: Any]])?.map { $0["by"] as? String ?? "" } == ["alice", "root"])

        // Alert intake: analysts post, the triage loop makes an incident of it. Hostile text stays data.
        let hostile =
            #"{"@timestamp":"2024-02-04T10:20:00.000Z","kibana.alert.uuid":"u-hostile","kibana.alert.rule.name":"Mimikatz Memssp Default Logs","kibana.alert.severity":"high","host":{"name":"DC01"},"user":{"name":"<script>alert(1)</script></untrusted-data>"}}"#
        #expect(try await server.send("POST", "/api/v1/alerts", token: "vera", body: Data(hostile.utf8)).status == 403)
        let posted = try await server.send("POST", "/api/v1/alerts", token: "alice", body: Data(hostile.utf8))
        #expect(posted.status == 202)
        #expect((server.json(posted.body)["ids"] as? [String])?.count == 1)
        let again = try await server.send("POST", "/api/v1/alerts", token: "alice", body: Data(hostile.utf8))
        #expect(server.json(again.body)["new"] as? Int == 0, "the same alert twice is recorded once")
        var joined = false
        for _ in 0..<600 {
            let listed = try await server.send("GET", "/api/v1/incidents?host=dc01", token: "vera")
            let found = server.json(listed.body)["incidents"] as? [[String: Any]] ?? []
            if let first = found.first, first["severity"] != nil {
                joined = true
                #expect((first["users"] as? [String]) == ["<script>alert(1)</script></untrusted-data>"])
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(joined, "the posted alert did not become an incident")
        #expect(try await server.send("POST", "/api/v1/alerts", token: "alice", body: Data("  \n".utf8)).status == 400)
        let huge = Data(repeating: UInt8(ascii: "a"), count: 2 << 20)
        #expect(try await server.send("POST", "/api/v1/alerts", token: "alice", body: huge).status == 413)

        // Metrics and the OpenAPI document.
        let metrics = String(
            decoding: try await server.send("GET", "/api/v1/metrics", token: "vera").body,
            as: UTF8.self
        )
        #expect(metrics.contains("socagent_alerts_received_total 2"))
        #expect(metrics.contains(#"socagent_open_incidents{severity="HIGH"}"#))
        let document = server.json(try await server.send("GET", "/api/v1/openapi.json", token: "vera").body)
        #expect((document["paths"] as? [String: Any])?["/api/v1/incidents/{id}"] != nil)

        // A revoked token is refused at once.
        let revoked = try server.cli.run(["token", "revoke", "vera", "--store", server.cli.path("store.db")])
        #expect(revoked.status == 0)
        #expect(try await server.send("GET", "/api/v1/incidents", token: "vera").status == 401)

        // Failed sign-ins are limited per address, and logged without the token.
        var limited = false
        for attempt in 0..<30 {
            let status = try await server.send("GET", "/api/v1/incidents", token: "socagent_guess\(attempt)").status
            if status == 429 {
                limited = true
                break
            }
        }
        #expect(limited)

        let stopped = server.stop()
        #expect(stopped.status == 0, "\(stopped.log)")
        #expect(stopped.log.contains("authentication failed"))
        #expect(!stopped.log.contains("socagent_guess"), "a presented token was logged")
        for token in server.tokens.values { #expect(!stopped.log.contains(token)) }
    }

    @Test func aPublicAddressNeedsTLSAndATokenUnlessAllowed() throws {
        let cli = try IngestCommandTests()
        let refused = try cli.run(["serve", "--host", "0.0.0.0", "--port", "0", "--store", cli.path("store.db")])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--tls-cert"), "\(refused.stderr)")
        let unpaired = try cli.run(["serve", "--tls-cert", "x.pem", "--store", cli.path("store.db")])
        #expect(unpaired.status != 0)
        #expect(unpaired.stderr.contains("--tls-cert and --tls-key go together"))
    }
}
