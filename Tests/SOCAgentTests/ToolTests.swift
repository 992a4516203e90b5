import Foundation
import SOCAgent
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import SOCThreatIntel
import Testing

/// The tools over a real store and offline intelligence.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct ToolTests {
    static let data = SharedFiles.data ?? ""

    /// The OpenSSH brute force in an in-memory SQLite store, KEV imported, the alert at 2025-12-10 08:00 UTC.
    static func context() async throws -> ToolContext {
        let store = try SQLiteEventStore(path: ":memory:")
        var reader = try EventFileReader(
            path: data + "/loghub/OpenSSH_2k_first500.log",
            options: .init(year: 2025, referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)
        )
        while let batch = try reader.nextBatch() { _ = try await store.append(batch) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-tools-\(UUID().uuidString)"
        )
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        _ = try IntelImporter(database: database).importFiles([data + "/cisa-kev/known_exploited_vulnerabilities.json"])
        let intel = ThreatIntelService(
            database: database,
            providers: [
                KEVSource(database: database), ImportedNVDSource(database: database),
                BlocklistSource(database: database),
            ],
            offline: true
        )
        return ToolContext(
            store: store,
            intel: intel,
            anchor: Timestamp(year: 2025, month: 12, day: 10, hour: 8)!,
            readableRoots: [data + "/loghub"]
        )
    }

    /// Saved detections on two hosts, read back by window, host (any case) and level; a bad level is refused.
    @Test func sigmaDetectionsAreFilteredByHostAndLevel() async throws {
        var context = try await Self.context()
        let store = try SQLiteEventStore(path: ":memory:")
        func detection(_ rule: String, _ level: SigmaLevel, _ host: String, _ time: String) -> StoredDetection {
            StoredDetection(
                ruleID: rule,
                title: "Rule \(rule)",
                level: level,
                techniques: ["T1003.001"],
                eventID: String(repeating: rule, count: 32),
                timestamp: time,
                host: host,
                fields: ["CommandLine": "procdump -ma lsass.exe"]
            )
        }
        try await store.saveDetections([
            detection("a", .high, "WS-1", "2025-12-10T07:00:00.000Z"),
            detection("b", .low, "WS-1", "2025-12-10T07:30:00.000Z"),
            detection("c", .critical, "WS-2", "2025-12-10T09:00:00.000Z"),
            detection("d", .high, "WS-1", "2025-11-01T00:00:00.000Z"),
        ])
        context.store = store
        let onHost = try await Self.run("query_sigma_detections", .object(["host": .string("ws-1")]), context)
        // Newest first; the old one is outside ±24 h.
        #expect(onHost.summary == "2 Sigma detections (1 high, 1 low): Rule b; Rule a")
        #expect(onHost.notable)
        let serious = try await Self.run("query_sigma_detections", .object(["min_level": .string("high")]), context)
        #expect(serious.summary == "2 Sigma detections (1 critical, 1 high): Rule c; Rule a")
        let none = try await Self.run("query_sigma_detections", .object(["host": .string("WS-3")]), context)
        #expect(none.summary == "0 Sigma detections" && !none.notable)
        for input: JSONValue in [
            .object(["min_level": .string("severe")]), .object(["user": .string("bob")]),
            .object(["limit": .number(0)]),
        ] {
            await #expect(throws: ToolInputError.self, "\(input)") {
                _ = try await Self.run("query_sigma_detections", input, context)
            }
        }
    }

    static func run(_ name: String, _ input: JSONValue, _ context: ToolContext) async throws -> ToolResult {
        try await #require(AgentToolbox.tool(named: name)).run(input, context: context)
    }

    @Test func theToolsHaveStrictObjectSchemas() {
        #expect(
            AgentToolbox.all.map(\.name) == [
                "check_ip_reputation", "lookup_cve", "check_file_hash", "query_failed_logins",
                "query_suspicious_processes",
                "query_network_connections", "detect_brute_force", "query_events", "query_sigma_detections",
                "parse_log_file",
                "generate_incident_report",
            ]
        )
        for tool in AgentToolbox.all {
            guard case .object(let schema) = tool.inputSchema else {
                Issue.record("\(tool.name): schema is not an object")
                continue
            }
            #expect(schema["type"] == .string("object"), "\(tool.name)")
            #expect(schema["additionalProperties"] == .bool(false), "\(tool.name)")
            #expect(!tool.description.isEmpty)
        }
        #expect(AgentToolbox.tool(named: "run_shell") == nil)
    }

    @Test func storeToolsAnswerAroundTheAlertsTime() async throws {
        let context = try await Self.context()
        let brute = try await Self.run("detect_brute_force", .object(["hours": .number(24)]), context)
        #expect(brute.notable)
        #expect(brute.summary.hasPrefix("103.99.0.122: 27 failures, 18 users, 0 later successes"))
        let failed = try await Self.run(
            "query_failed_logins",
            .object(["source_ip": .string("103.99.0.0/16"), "limit": .number(200)]),
            context
        )
        #expect(failed.summary == "27 failed logins (18 users, 1 source)")
        // One hour around 08:00 holds fewer.
        let narrow = try await Self.run(
            "detect_brute_force",
            .object(["hours": .number(0.5), "min_failures": .number(1)]),
            context
        )
        #expect(!narrow.summary.contains("103.99.0.122"))
        let search = try await Self.run(
            "query_events",
            .object(["lucene": .string("event.outcome:failure AND user.name:root")]),
            context
        )
        #expect(search.summary == "76 events match event.outcome:failure AND user.name:root")
    }

    @Test func inputsAreValidated() async throws {
        let context = try await Self.context()
        for (name, input, reason) in [
            ("query_events", JSONValue.object(["lucene": .string("user.name:(root")]), "invalid Lucene"),
            ("query_failed_logins", .object(["source_ip": .string("not-an-ip")]), "is not an address"),
            ("query_failed_logins", .object(["sql": .string("1=1; DROP TABLE events")]), "unknown field 'sql'"),
            ("detect_brute_force", .object(["hours": .string("24")]), "'hours' must be a number"),
            ("check_ip_reputation", .object([:]), "'ip' is required"),
            ("check_ip_reputation", .object(["ip": .string("999.1.1.1")]), "is not a valid ip"),
            (
                "generate_incident_report", .object(["severity": .string("SEVERE"), "summary": .string("x")]),
                "must be CRITICAL"
            ),
            ("parse_log_file", .object(["path": .string("/etc/passwd")]), "outside the folders"),
            (
                "parse_log_file", .object(["path": .string(Self.data + "/loghub/../cisa-kev/LICENSE")]),
                "outside the folders"
            ),
            ("query_events", .array([]), "must be a JSON object"),
        ] {
            await #expect(throws: ToolInputError.self, "\(name) \(input)") {
                _ = try await Self.run(name, input, context)
            }
            do {
                _ = try await Self.run(name, input, context)
            } catch let error as ToolInputError {
                #expect(error.reason.contains(reason), "\(error)")
            }
        }
    }

    @Test func intelAndFileTools() async throws {
        let context = try await Self.context()
        let cve = try await Self.run("lookup_cve", .object(["cve_id": .string("CVE-2017-0144")]), context)
        #expect(cve.notable)
        #expect(cve.summary.contains("known exploited: yes"))
        let ip = try await Self.run("check_ip_reputation", .object(["ip": .string("103.99.0.122")]), context)
        #expect(ip.summary.hasPrefix("103.99.0.122: unknown"))
        #expect(!ip.notable)
        let parsed = try await Self.run(
            "parse_log_file",
            .object(["path": .string(Self.data + "/loghub/OpenSSH_2k_first500.log")]),
            context
        )
        #expect(parsed.summary == "syslog: 500 events, 0 rejected")
        guard case .object(let object) = parsed.data, case .object(let indicators)? = object["indicators"],
            case .array(let ips)? = indicators["ips"]
        else {
            Issue.record("no indicators")
            return
        }
        #expect(ips.count == 20)  // every address of the file (the list is bounded at 50)
        let report = try await Self.run(
            "generate_incident_report",
            .object(["severity": .string("high"), "summary": .string("Brute force.")]),
            context
        )
        #expect(report.summary == "report proposed: HIGH")
    }

    /// `parse_log_file` returned `.env`'s key (as a "hash"), and run from `/` it read `/etc/passwd` and
    /// `/proc/self/environ`: reads need an explicit folder and never reach dotfiles, SQLite files or `/`.
    @Test func parseLogFileReadsOnlyPlainFilesInsideExplicitFolders() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-read-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let manager = FileManager.default
        try manager.createDirectory(at: folder.appendingPathComponent(".git"), withIntermediateDirectories: true)
        let line = "Feb  4 10:00:00 host sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2\n"
        try line.write(to: folder.appendingPathComponent("auth.log"), atomically: true, encoding: .utf8)
        try "VIRUSTOTAL_API_KEY=0123456789abcdef0123456789abcdef\n".write(
            to: folder.appendingPathComponent(".env"),
            atomically: true,
            encoding: .utf8
        )
        try line.write(to: folder.appendingPathComponent(".git/config"), atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(
            atPath: folder.appendingPathComponent("passwd.log").path,
            withDestinationPath: "/etc/passwd"
        )
        try manager.createSymbolicLink(
            atPath: folder.appendingPathComponent("env.log").path,
            withDestinationPath: folder.appendingPathComponent(".env").path
        )
        _ = try IntelDatabase(path: folder.appendingPathComponent("intel.db").path)
        var context = try await Self.context()
        context.readableRoots = [folder.path]
        let parsed = try await Self.run(
            "parse_log_file",
            .object(["path": .string(folder.path + "/auth.log")]),
            context
        )
        #expect(parsed.summary.hasPrefix("syslog: 1 events"))
        for (path, reason) in [
            (folder.path + "/.env", "dotfile"),
            (folder.path + "/.git/config", "dot-folder"),
            (folder.path + "/env.log", "dotfile"),  // a symlink to .env
            (folder.path + "/passwd.log", "outside the folders"),  // a symlink out of the folder
            (folder.path + "/intel.db", "SQLite database"),
            (folder.path, "outside the folders"),
        ] {
            do {
                _ = try await Self.run("parse_log_file", .object(["path": .string(path)]), context)
                Issue.record("\(path) was read")
            } catch let error as ToolInputError {
                #expect(error.reason.contains(reason), "\(error)")
            }
        }
        // `/` as a folder allows nothing; no folder at all allows nothing.
        for roots in [["/"], []] {
            context.readableRoots = roots
            for path in ["/etc/passwd", "/proc/self/environ", folder.path + "/auth.log"] {
                await #expect(throws: ToolInputError.self, "\(path) under \(roots)") {
                    _ = try await Self.run("parse_log_file", .object(["path": .string(path)]), context)
                }
            }
        }
    }
}
