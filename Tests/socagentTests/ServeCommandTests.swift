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
            process.environment = cli.childEnvironment()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            let started = Date()
            while Date().timeIntervalSince(started) < 120 {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let listening = text.range(of: "socagent serve: listening on "),
                    let range = text[listening.upperBound...].range(of: "://127.0.0.1:")
                {
                    let scheme = text[listening.upperBound..<range.lowerBound]
                    let port = text[range.upperBound...].prefix { $0.isNumber }
                    base = "\(scheme)://127.0.0.1:\(port)"
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
        #expect(metrics.contains(#"socagent_open_incidents{severity="unrated"}"#))
        #expect(metrics.contains(#"socagent_triage_pass_duration_seconds_bucket{le="+Inf"}"#))
        #expect(metrics.contains("# TYPE socagent_triage_pass_duration_seconds histogram"))
        // NVD's keyless quota (5 requests per rolling 30 s) is there even offline: nothing was asked of it.
        #expect(metrics.contains(#"socagent_intel_quota_limit{source="nvd",window="30s"} 5"#))
        #expect(metrics.contains(#"socagent_intel_quota_remaining{source="nvd",window="30s"} 5"#))
        let document = server.json(try await server.send("GET", "/api/v1/openapi.json", token: "vera").body)
        #expect((document["paths"] as? [String: Any])?["/api/v1/incidents/{id}"] != nil)

        // A revoked token is refused at once.
        let revoked = try server.cli.run(["token", "revoke", "vera", "--store", server.cli.path("store.db")])
        #expect(revoked.status == 0)
        #expect(try await server.send("GET", "/api/v1/incidents", token: "vera").status == 401)

        // Failed sign-ins are limited per address, and logged without the token. The limit counts per clock
        // minute; 45 attempts put at least 20 in one minute even when they straddle a minute's end.
        var limited = false
        for attempt in 0..<45 {
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

    /// Search, the investigation queries and an alert analysed into a report answer what the CLI answers.
    @Test(.timeLimit(.minutes(10))) func theAnalystAnswersOverHTTPAsTheCLIDoes() async throws {
        let server = try Self.prepared()
        let cli = server.cli
        try await server.start()
        defer { _ = server.stop() }
        func parsed(_ data: Data) -> NSObject? { try? JSONSerialization.jsonObject(with: data) as? NSObject }

        // Lucene search over the whole store, as `search --all --json`.
        let query = #"event.outcome:failure AND NOT user.name:root"#
        let encoded = try #require(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        #expect(try await server.send("GET", "/api/v1/search?q=\(encoded)").status == 401)
        let searched = try await server.send("GET", "/api/v1/search?q=\(encoded)&limit=50", token: "vera")
        #expect(searched.status == 200)
        let expected = try cli.run([
            "search", query, "--all", "--json", "--limit", "50", "--store", cli.path("store.db"),
        ])
        #expect(expected.status == 0, "\(expected.stderr)")
        let total = server.json(searched.body)["total"] as? Int ?? 0
        #expect(total > 50, "the capture has hundreds of failed logins for other users")
        #expect(parsed(searched.body) == parsed(Data(expected.stdout.utf8)))
        let broken = try await server.send("GET", "/api/v1/search?q=%28event.code%3A4625", token: "vera")
        #expect(broken.status == 400)
        #expect(String(decoding: broken.body, as: UTF8.self).contains("column"))
        #expect(try await server.send("GET", "/api/v1/search", token: "vera").status == 400)

        // The investigation queries, as `query KIND --all --json`.
        for (kind, extra) in [("brute-force", ["--min-failures", "3"]), ("failed-logins", []), ("processes", [])] {
            let path = "/api/v1/queries/\(kind)?limit=10" + (extra.isEmpty ? "" : "&min_failures=3")
            let answered = try await server.send("GET", path, token: "vera")
            #expect(answered.status == 200, "\(kind)")
            let local = try cli.run(
                ["query", kind, "--all", "--json", "--top", "10", "--store", cli.path("store.db")] + extra
            )
            #expect(local.status == 0, "\(local.stderr)")
            #expect(parsed(answered.body) == parsed(Data(local.stdout.utf8)), "\(kind)")
        }
        let sources = try #require(
            try JSONSerialization.jsonObject(
                with: try await server.send("GET", "/api/v1/queries/brute-force", token: "vera").body
            ) as? [[String: Any]]
        )
        let attacker = try #require(sources.first?["source_ip"] as? String ?? sources.first?["sourceIP"] as? String)
        #expect(try await server.send("GET", "/api/v1/queries/bogus", token: "vera").status == 404)
        #expect(try await server.send("GET", "/api/v1/queries/processes?since=yesterday", token: "vera").status == 400)
        #expect(
            try await server.send("GET", "/api/v1/queries/brute-force?min_failures=0", token: "vera").status == 400
        )
        #expect(
            try await server.send("GET", "/api/v1/queries/connections?source_ip=not-an-ip", token: "vera").status
                == 400
        )

        // One alert analysed now: viewers may not; the answer is the report, written to the report folder.
        let alert = Data("Failed password for invalid user admin from \(attacker) port 22 ssh2 on LabSZ".utf8)
        #expect(try await server.send("POST", "/api/v1/analyze", token: "vera", body: alert).status == 403)
        let analysed = try await server.send("POST", "/api/v1/analyze", token: "alice", body: alert)
        #expect(analysed.status == 200)
        let report = server.json(analysed.body)
        let id = try #require(report["incident_id"] as? String)
        #expect(["HIGH", "CRITICAL", "MEDIUM"].contains(report["severity"] as? String ?? ""))
        #expect(String(decoding: analysed.body, as: UTF8.self).contains(attacker))
        #expect(FileManager.default.fileExists(atPath: cli.path("reports/\(id).json")))
        #expect(try await server.send("POST", "/api/v1/analyze", token: "alice", body: Data(" ".utf8)).status == 400)

        // A log upload: ingested as the CLI would, per-line errors named, the upload's name kept to its last part.
        let upload = Data(
            """
            {"@timestamp":"2025-12-11T08:00:00Z","event":{"code":"4625","outcome":"failure"},"user":{"name":"upload-probe"},"host":{"name":"WS9"}}
            {"@timestamp": broken
            {"@timestamp":"2025-12-11T08:00:05Z","event":{"code":"4625","outcome":"failure"},"user":{"name":"upload-probe"},"host":{"name":"WS9"}}

            """.utf8
        )
        #expect(try await server.send("POST", "/api/v1/ingest", token: "vera", body: upload).status == 403)
        let ingested = try await server.send(
            "POST",
            "/api/v1/ingest?name=..%2F..%2Fetc%2Fecs.ndjson",
            token: "alice",
            body: upload
        )
        #expect(ingested.status == 200, "\(String(decoding: ingested.body, as: UTF8.self))")
        let ingestReport = server.json(ingested.body)
        #expect(ingestReport["events"] as? Int == 2)
        #expect(ingestReport["rejected"] as? Int == 1)
        let file = try #require((ingestReport["files"] as? [[String: Any]])?.first)
        #expect(file["path"] as? String == "ecs.ndjson")
        let lineError = try #require((file["errors"] as? [[String: Any]])?.first)
        #expect(lineError["line"] as? Int == 2)
        let probe = server.json(
            try await server.send("GET", "/api/v1/search?q=user.name%3Aupload-probe", token: "vera").body
        )
        #expect(probe["total"] as? Int == 2)
        #expect(try await server.send("POST", "/api/v1/ingest", token: "alice", body: Data()).status == 400)
        #expect(
            try await server.send("POST", "/api/v1/ingest?format=nonsense", token: "alice", body: upload).status == 400
        )

        let stopped = server.stop()
        #expect(stopped.status == 0, "\(stopped.log)")
    }

    /// With `--tls-cert/--tls-key` the server speaks HTTPS only (a self-signed certificate made by openssl).
    @Test(.timeLimit(.minutes(10))) func servesHTTPSWithACertificate() async throws {
        let server = try Self.prepared()
        let cli = server.cli
        let made = try cli.shell(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>&1"
        )
        #expect(made.status == 0, "\(made.stdout)")
        try await server.start(["--tls-cert", cli.path("cert.pem"), "--tls-key", cli.path("key.pem")])
        defer { _ = server.stop() }
        #expect(server.base.hasPrefix("https://"))
        let token = server.tokens["vera"] ?? ""
        let secure = try cli.shell(
            "curl -sS --cacert cert.pem -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer \(token)' \(server.base)/api/v1/incidents"
        )
        #expect(secure.stdout == "200", "\(secure.stdout) \(secure.stderr)")
        let plain = try cli.shell(
            "curl -sS -o /dev/null -w '%{http_code}' \(server.base.replacingOccurrences(of: "https://", with: "http://"))/api/v1/health"
        )
        #expect(plain.stdout != "200", "plain HTTP must not be answered on the TLS port")
        let stopped = server.stop()
        #expect(stopped.status == 0, "\(stopped.log)")
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
