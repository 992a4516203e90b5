import Foundation
import SOCTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `socagent mcp` driven by a real MCP client: the `mcp` package from PyPI, in the virtual environment `.ci/run`
/// makes (`SOCAGENT_MCP_PYTHON` names its interpreter). The answers must equal the CLI's on the same store.
@Suite(.serialized) struct MCPServerTests {
    /// The Python interpreter that has the `mcp` package.
    static let python = ProcessInfo.processInfo.environment["SOCAGENT_MCP_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

    static let client = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("MCPClient/mcp_client.py").path

    /// CI runs every test: there, a missing client is a failure, not a skip.
    @Test func ciHasTheMCPClient() {
        // Locally the tests skip, and SkippedServicesNotice says so.
        guard ProcessInfo.processInfo.environment["SOCAGENT_CI"] != nil else { return }
        #expect(Self.python != nil, "SOCAGENT_CI is set but SOCAGENT_MCP_PYTHON is not: .ci/run must install mcp")
    }

    /// Without any client library: requests written at once and input closed still get every answer, and standard
    /// output holds JSON-RPC lines only.
    @Test(.enabled(if: SharedFiles.data != nil, "needs ../shared/data"), .timeLimit(.minutes(5)))
    func everyLineWrittenBeforeInputEndsIsAnswered() throws {
        let cli = try Self.prepared()
        let lines = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"detect_brute_force","arguments":{"limit":1}}}"#,
            "not json",
        ]
        let run = try cli.run(
            Array(Self.serverArguments(cli).dropFirst()),
            stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
        )
        #expect(run.status == 0, "\(run.stderr)")
        let answers = run.stdout.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(answers.count == 3)
        #expect(answers.allSatisfy { $0?["jsonrpc"] as? String == "2.0" })
        let ids = Set(answers.compactMap { $0?["id"] as? Int })
        #expect(ids == [1, 2])
        #expect(answers.contains { ($0?["error"] as? [String: Any])?["code"] as? Int == -32700 })
    }

    /// A store holding the SSH brute force of OpenSSH_2k_first500.log, ingested with the CLI.
    static func prepared() throws -> IngestCommandTests {
        let data = try #require(SharedFiles.data)
        let cli = try IngestCommandTests()
        let ingested = try cli.run([
            "ingest", data + "/loghub/OpenSSH_2k_first500.log", "--store", cli.path("store.db"),
        ])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        return cli
    }

    /// The server's command line over the test's store.
    static func serverArguments(_ cli: IngestCommandTests) -> [String] {
        [
            IngestCommandTests.binary.path, "mcp", "--store", cli.path("store.db"), "--offline", "--report-dir",
            cli.path("reports"), "--intel-db", cli.path("intel.db"),
        ]
    }

    static func runClient(_ cli: IngestCommandTests, _ arguments: [String]) throws -> [String: Any] {
        let python = try #require(python)
        let run = try cli.run([client] + arguments, executable: URL(fileURLWithPath: python))
        #expect(run.status == 0, "the MCP client failed: \(run.stderr)")
        return try #require(run.json, "not JSON: \(run.stdout.prefix(2000)) \(run.stderr.suffix(4000))")
    }

    static func jsonArray(_ text: String) -> [Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any]
    }

    /// JSON values compared as JSON (key order and number spelling aside).
    static func same(_ left: Any?, _ right: Any?) -> Bool {
        guard let left, let right else { return left == nil && right == nil }
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
        let a = try? JSONSerialization.data(withJSONObject: left, options: options)
        let b = try? JSONSerialization.data(withJSONObject: right, options: options)
        return a != nil && a == b
    }

    @Test(
        .enabled(if: python != nil, "needs SOCAGENT_MCP_PYTHON (the mcp client, installed by .ci/run)"),
        .timeLimit(.minutes(10))
    )
    func aRealClientGetsTheCLIsAnswersOverStdio() throws {
        let cli = try Self.prepared()
        let seen = try Self.runClient(cli, ["stdio"] + Self.serverArguments(cli))
        try Self.check(seen, cli: cli, incidents: false)
    }

    @Test(
        .enabled(if: python != nil, "needs SOCAGENT_MCP_PYTHON (the mcp client, installed by .ci/run)"),
        .timeLimit(.minutes(10))
    )
    func theSameOverStreamableHTTPBehindTheAPITokens() async throws {
        let server = try ServeCommandTests.prepared()
        try await server.start()
        defer { _ = server.stop() }
        // The first triage pass makes the seven brute-force incidents, which list_incidents then offers.
        for _ in 0..<600 {
            let listed = try await server.send("GET", "/api/v1/incidents", token: "vera")
            if (server.json(listed.body)["incidents"] as? [Any])?.count ?? 0 >= 7 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let initialize = Data(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}"#
                .utf8
        )
        #expect(try await server.send("POST", "/mcp", body: initialize).status == 401)
        #expect(
            try await server.send("POST", "/mcp", token: "socagent_not-a-real-token", body: initialize).status == 401
        )
        #expect(try await server.send("POST", "/mcp", token: "vera", body: initialize).status == 403)
        let token = try #require(server.tokens["alice"])

        // A session belongs to the token that opened it; garbage and oversized bodies are refused, the session lives.
        let opened = try await Self.post(server, token: token, session: nil, body: initialize)
        #expect(opened.status == 200)
        let session = try #require(opened.session)
        let tools = Data(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.utf8)
        #expect(
            try await Self.post(server, token: try #require(server.tokens["root"]), session: session, body: tools)
                .status == 404
        )
        #expect(try await Self.post(server, token: token, session: session, body: Data("garbage".utf8)).status == 400)
        let huge = Data(repeating: UInt8(ascii: "x"), count: 2 << 20)
        #expect(try await Self.post(server, token: token, session: session, body: huge).status == 413)
        let listed = try await Self.post(server, token: token, session: session, body: tools)
        #expect(listed.status == 200)
        #expect(String(decoding: listed.body, as: UTF8.self).contains("list_incidents"))

        let seen = try Self.runClient(server.cli, ["http", server.base + "/mcp", token])
        try Self.check(seen, cli: server.cli, incidents: true)
        #expect((seen["incidents"] as? [String])?.count == 7)
        #expect((seen["incident"] as? String) == (seen["incidents"] as? [String])?.first)
        let stopped = server.stop()
        #expect(stopped.status == 0)
        #expect(stopped.log.contains("Session initialized"))
        #expect(!stopped.log.contains(token))
    }

    /// A raw Streamable HTTP POST to /mcp: the status, the SSE body, the session id it names.
    static func post(
        _ server: ServeCommandTests.Server,
        token: String,
        session: String?,
        body: Data
    ) async throws -> (status: Int, body: Data, session: String?) {
        var request = URLRequest(url: try #require(URL(string: server.base + "/mcp")))
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        request.setValue("2025-06-18", forHTTPHeaderField: "MCP-Protocol-Version")
        if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
        request.httpBody = body
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http?.value(forHTTPHeaderField: "Mcp-Session-Id"))
    }

    /// What every transport must answer, on the store of ``prepared()`` (incidents: the triage queue is offered).
    static func check(_ seen: [String: Any], cli: IngestCommandTests, incidents: Bool) throws {
        #expect(seen["server"] as? String == "socagent")
        let tools = try #require(seen["tools"] as? [[String: Any]])
        let names = Set(tools.compactMap { $0["name"] as? String })
        let expectedNames: Set<String> = [
            "check_ip_reputation", "lookup_cve", "check_file_hash", "query_failed_logins",
            "query_suspicious_processes", "query_network_connections", "detect_brute_force", "query_events",
            "query_sigma_detections", "parse_log_file", "triage_alert",
        ]
        #expect(names == expectedNames.union(incidents ? ["list_incidents", "get_incident"] : []))
        for tool in tools {
            let name = tool["name"] as? String ?? ""
            let annotations = tool["annotations"] as? [String: Any] ?? [:]
            #expect(annotations["readOnlyHint"] as? Bool == (name != "triage_alert"), "\(name)")
            let properties = (tool["schema"] as? [String: Any])?["properties"] as? [String: Any] ?? [:]
            if properties["hours"] != nil {
                #expect(properties["since"] != nil && properties["until"] != nil, "\(name) has no since/until")
            }
        }

        // detect_brute_force with no window covers the whole store: the CLI's `query brute-force --all`.
        let brute = try #require(seen["detect_brute_force"] as? [String: Any])
        let bruteData = (brute["structured"] as? [String: Any])?["untrusted_data"]
        let cliBrute = try cli.run(["query", "brute-force", "--all", "--json", "--store", cli.path("store.db")])
        #expect(cliBrute.status == 0)
        let expectedBrute = try #require(Self.jsonArray(cliBrute.stdout))
        #expect(!expectedBrute.isEmpty)
        #expect(Self.same(bruteData, expectedBrute), "MCP: \(String(describing: bruteData))")
        #expect((brute["text"] as? String)?.hasPrefix("<untrusted-data source=\"tool:detect_brute_force\">") == true)

        // query_events: the same total and the same events as `socagent search --all`.
        let events = try #require(
            ((seen["query_events"] as? [String: Any])?["structured"] as? [String: Any])?["untrusted_data"]
                as? [String: Any]
        )
        let cliSearch = try cli.run([
            "search", "event.outcome:failure", "--all", "--limit", "200", "--json", "--store", cli.path("store.db"),
        ])
        let expectedSearch = try #require(
            try JSONSerialization.jsonObject(with: Data(cliSearch.stdout.utf8)) as? [String: Any]
        )
        #expect(events["total"] as? Int == expectedSearch["total"] as? Int)
        #expect((events["total"] as? Int ?? 0) > 0)
        let ids = (events["events"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        let expectedIDs = (expectedSearch["events"] as? [[String: Any]] ?? []).compactMap {
            ($0["event"] as? [String: Any])?["id"] as? String
        }
        #expect(ids.count == 200)
        #expect(ids == expectedIDs, "\(ids.prefix(3)) vs \(expectedIDs.prefix(3))")

        // A client's since/until is the window: the CLI's --since/--until.
        let window = (seen["query_failed_logins_window"] as? [String: Any])?["untrusted_data"]
        let cliWindow = try cli.run([
            "query", "failed-logins", "--since", "2025-12-10T09:00:00Z", "--until", "2025-12-10T09:30:00Z", "--top",
            "200", "--json", "--store", cli.path("store.db"),
        ])
        #expect(Self.same(window, Self.jsonArray(cliWindow.stdout)))

        // Refusals are protocol errors (invalid params), and the server keeps serving.
        let errors = try #require(seen["errors"] as? [String: Any])
        for key in ["unknown_tool", "wrong_type", "unknown_argument", "bad_lucene", "bad_since", "outside_folders"] {
            #expect(errors[key] as? Int == -32602, "\(key): \(String(describing: errors[key]))")
        }
        #expect(errors["missing_resource"] as? Int == -32002)
        #expect(errors["unknown_prompt"] as? Int == -32602)
        #expect(seen["tools_after_errors"] as? Int == names.count)

        // triage_alert writes a report the client reads back as a resource.
        let triage = try #require(seen["triage_alert"] as? [String: Any])
        let reportID = try #require(triage["report_id"] as? String)
        #expect(triage["is_error"] as? Bool == false)
        #expect((seen["report"] as? [String: Any])?["incident_id"] as? String == reportID)
        #expect(FileManager.default.fileExists(atPath: cli.path("reports/\(reportID).json")))
        #expect((seen["resources"] as? [String])?.contains("socagent://reports/\(reportID)") == true)
        #expect((seen["resource_templates"] as? [String])?.contains("socagent://reports/{id}") == true)
        #expect((seen["statistics"] as? [String: Any])?["events"] as? Int == 500)
        #expect(
            Set(seen["prompts"] as? [String] ?? []) == ["triage_alert", "hunt_host", "summarise_todays_incidents"]
        )
        #expect((seen["hunt_prompt"] as? String)?.contains("<untrusted-data source=\"host\">\nLabSZ") == true)
    }

    @Test(
        .enabled(if: python != nil, "needs SOCAGENT_MCP_PYTHON (the mcp client, installed by .ci/run)"),
        .timeLimit(.minutes(10))
    )
    func malformedMessagesAreAnsweredAndTheServerKeepsServing() throws {
        let cli = try Self.prepared()
        let seen = try Self.runClient(cli, ["raw"] + Self.serverArguments(cli))
        func code(_ name: String) -> Int? { (seen[name] as? [String: Any])?["code"] as? Int }
        #expect(code("garbage") == -32700)
        #expect(code("truncated") == -32700)
        #expect(code("not_rpc") == -32600)
        #expect(code("scalar") == -32600)
        #expect(code("huge") == -32600)
        #expect(code("unknown_method") == -32601)
        #expect((seen["unknown_method"] as? [String: Any])?["id"] as? Int == 3)
        #expect(code("bad_params") != nil)
        #expect(seen["initialize"] as? String == "socagent")
        #expect(seen["tools_after_garbage"] as? Int == 11)
        #expect(seen["exit_status"] as? Int == 0)
    }
}
