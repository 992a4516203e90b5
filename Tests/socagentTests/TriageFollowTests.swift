import Foundation
import SOCTestSupport
import Testing

/// `socagent triage --follow` picks up a log file dropped into a watched folder, makes its incident, logs each pass
/// as a structured line when standard error is not a terminal, and stops cleanly on SIGTERM.
@Suite struct TriageFollowTests {
    @Test(.timeLimit(.minutes(5))) func aNewFileInAWatchedFolderBecomesAnIncident() async throws {
        let data = try #require(SharedFiles.data)
        let cli = try IngestCommandTests()
        let watched = cli.directory.appendingPathComponent("incoming")
        try FileManager.default.createDirectory(at: watched, withIntermediateDirectories: true)
        let store = cli.path("store.db")
        let process = Process()
        process.executableURL = IngestCommandTests.binary
        process.arguments = [
            "triage", watched.path, "--follow", "--interval", "0.5", "--offline", "--store", store, "--report-dir",
            cli.path("reports"), "--intel-db", cli.path("intel.db"), "--json",
        ]
        process.currentDirectoryURL = cli.directory
        process.environment = cli.childEnvironment()
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Let the first, empty pass run, then drop the SSH capture in (written aside, then moved: a whole file).
        try await Task.sleep(for: .seconds(2))
        let staged = cli.directory.appendingPathComponent("auth.log.part")
        try FileManager.default.copyItem(atPath: data + "/loghub/OpenSSH_2k_first500.log", toPath: staged.path)
        let dropped = Date()
        try FileManager.default.moveItem(at: staged, to: watched.appendingPathComponent("auth.log"))
        var found = false
        while Date().timeIntervalSince(dropped) < 60 {
            let listed = try cli.run(["incidents", "list", "--json", "--store", store])
            if listed.stdout.contains("103.99.0.122") {
                found = true
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let latency = Date().timeIntervalSince(dropped)
        kill(process.processIdentifier, SIGTERM)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(found, "no incident for 103.99.0.122 within 60 s: \(stderr)")
        print("follow: file to incident in \(String(format: "%.2f", latency)) s (interval 0.5 s, debug build)")
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("triage pass") && stderr.contains("new_incidents="))
        let outcome = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        #expect((outcome["new_incidents"] as? Int ?? 0) >= 7)
    }
}

/// Alerts piped to `socagent triage --stdin` (Elastic Security alert documents as JSON lines) become incidents.
@Suite struct TriageStandardInputTests {
    @Test func alertsOnStandardInputBecomeIncidents() throws {
        let cli = try IngestCommandTests()
        let alerts = """
            {"@timestamp":"2024-02-04T10:20:00.000Z","kibana.alert.uuid":"u1","kibana.alert.rule.name":"Mimikatz Memssp Default Logs","kibana.alert.severity":"high","host":{"name":"DC01"},"user":{"name":"<script>alert(1)</script>"}}
            {"@timestamp":"2024-02-04T10:21:00.000Z","kibana.alert.uuid":"u2","kibana.alert.rule.name":"Potential DCSync","kibana.alert.severity":"critical","host":{"name":"DC01"}}
            not json at all

            """
        let run = try cli.run(
            [
                "triage", "--stdin", "--offline", "--store", cli.path("store.db"), "--report-dir", cli.path("reports"),
                "--intel-db", cli.path("intel.db"), "--json",
            ],
            stdin: Data(alerts.utf8)
        )
        #expect(run.status == 0, "\(run.stderr)")
        let outcome = try #require(run.json)
        #expect(outcome["alerts"] as? Int == 2)
        #expect(outcome["new_incidents"] as? Int == 1)
        let incident = try #require((outcome["incidents"] as? [[String: Any]])?.first)
        #expect(incident["severity"] as? String == "HIGH")
        #expect((incident["hosts"] as? [String]) == ["DC01"])
        // The line that is not an alert is reported with its place, the others kept.
        #expect(run.stderr.contains("-:3:"))
    }
}
