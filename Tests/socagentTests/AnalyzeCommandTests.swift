import Foundation
import SOCTestSupport
import Testing

/// `socagent demo` and `socagent analyze` as a user runs them.
@Suite struct AnalyzeCommandTests {
    @Test func theDemoFindsTheAttackChainAndWritesAPrivateReport() throws {
        let cli = try IngestCommandTests()
        let result = try cli.run(
            ["demo", "--json", "--report-dir", cli.path("reports")],
            environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")]
        )
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.json)
        #expect(report["severity"] as? String == "CRITICAL")
        let techniques = try #require(report["attack_techniques"] as? [String])
        for technique in ["T1110", "T1078", "T1059.001", "T1071"] {
            #expect(techniques.contains(technique), "\(technique)")
        }
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.first?["title"] as? String == "Attack chain on DC01")
        let timeline = try #require(report["timeline"] as? [[String: Any]]).compactMap { $0["description"] as? String }
        #expect(timeline.contains("successful logon as admin"))
        #expect(timeline.contains { $0.hasPrefix("outbound connection to 185.220.101.4") })
        let id = try #require(report["incident_id"] as? String)
        let path = cli.path("reports/\(id).json")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(result.stderr.contains("report written: \(path)"))
    }

    @Test func analyzeInvestigatesAStoreAndRendersMarkdown() throws {
        let cli = try IngestCommandTests()
        let store = cli.path("events.db")
        let ingest = try cli.run([
            "ingest", "--store", store, IngestCommandTests.fixtures.appendingPathComponent("syslog/input.log").path,
        ])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let text = try cli.run(
            [
                "analyze", "--store", store, "--offline", "--report-dir", cli.path("reports"),
                "Failed password for root from 203.0.113.9",
            ],
            environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")]
        )
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("# INC-"))
        #expect(text.stdout.contains("## Tool calls"))
        let missing = try cli.run(["analyze", "--store", cli.path("nothing.db"), "x"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no event store at"))
        let both = try cli.run(["analyze"])
        #expect(both.status == 64)
        let everything = try cli.run(["analyze", "--store", store, "--offline", "--allow-read", "/", "x"])
        #expect(everything.status == 64)
        #expect(everything.stderr.contains("--allow-read /: the whole file system is never readable"))
        let nowhere = try cli.run(["analyze", "--store", store, "--offline", "--allow-read", cli.path("none"), "x"])
        #expect(nowhere.status == 64)
    }

    @Test(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
    func alertsAreReadFromFiles() throws {
        let cli = try IngestCommandTests()
        let data = try #require(SharedFiles.data)
        let store = cli.path("events.db")
        _ = try cli.run(["ingest", "--store", store, "--year", "2025", data + "/loghub/OpenSSH_2k_first500.log"])
        let line = cli.path("alert.log")
        try
            "Dec 10 09:12:00 LabSZ sshd[24200]: Failed password for invalid user admin from 103.99.0.122 port 38926 ssh2\n"
            .write(
                toFile: line,
                atomically: true,
                encoding: .utf8
            )
        for (file, host) in [
            (line, "labsz"),
            (
                data
                    + "/elastic-beats-testdata/winlogbeat-security-collection/security-windows2019_4688_Process_Created.evtx.golden.json",
                "vagrant"
            ),
        ] {
            let result = try cli.run(
                [
                    "analyze", "--store", store, "--offline", "--alert", file, "--json", "--report-dir",
                    cli.path("reports"),
                ],
                environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")]
            )
            #expect(result.status == 0, "\(file): \(result.stderr)")
            let report = try #require(result.json)
            #expect(
                ((report["indicators"] as? [String: Any])?["hosts"] as? [String])?.contains(host) == true,
                "\(file)"
            )
        }
        let sentinel = try cli.run(
            [
                "analyze", "--store", store, "--offline", "--alert",
                data + "/azure-sentinel-samples/msticpy-testdata/az_mon_raw_query_SecurityAlert.json", "--json",
                "--report-dir", cli.path("reports"),
            ],
            environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")]
        )
        #expect(sentinel.status == 0, "\(sentinel.stderr)")
        #expect(sentinel.json?["alert"] != nil)
        let empty = cli.path("empty.log")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let nothing = try cli.run(["analyze", "--store", store, "--offline", "--alert", empty])
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("no event could be read"))
    }

    @Test func withAnAnthropicKeyClaudeDrivesTheToolsAndTheKeyStaysSecret() async throws {
        let cli = try IngestCommandTests()
        let store = cli.path("events.db")
        _ = try cli.run([
            "ingest", "--store", store, IngestCommandTests.fixtures.appendingPathComponent("syslog/input.log").path,
        ])
        let key = "sk-ant-cli-" + String(repeating: "z", count: 30)
        let server = try await StandInServer.start { request in
            guard request.header("x-api-key") == key else {
                return .json(
                    #"{"type":"error","error":{"type":"authentication_error","message":"bad key"}}"#,
                    status: 401
                )
            }
            return .json(
                #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-cli","content":[{"type":"tool_use","id":"toolu_1","name":"generate_incident_report","input":{"severity":"HIGH","summary":"Root brute force."}}],"stop_reason":"tool_use","usage":{"input_tokens":50,"output_tokens":10}}"#
            )
        }
        defer { Task { await server.stop() } }
        let environment = [
            "ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": server.baseURL, "ANTHROPIC_MODEL": "claude-cli",
            "SOCAGENT_CACHE_DIR": cli.path("cache"),
        ]
        let result = try await offThePool {
            try cli.run(
                [
                    "analyze", "--store", store, "--report-dir", cli.path("reports"), "--json",
                    "Failed password for root from 203.0.113.9",
                ],
                environment: environment
            )
        }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.json)
        #expect((report["analyst"] as? [String: Any])?["mode"] as? String == "anthropic")
        #expect((report["analyst"] as? [String: Any])?["model"] as? String == "claude-cli")
        #expect(report["severity"] as? String == "HIGH")
        #expect(!result.stdout.contains(key) && !result.stderr.contains(key))
        #expect(await server.requests.count == 1)
    }
}
