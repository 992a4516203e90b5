import Foundation
import Testing

/// `socagent demo` and `socagent analyze` as a user runs them.
@Suite struct AnalyzeCommandTests {
    @Test func theDemoFindsTheAttackChainAndWritesAPrivateReport() throws {
        let cli = try IngestCommandTests()
        let result = try cli.run(["demo", "--json", "--report-dir", cli.path("reports")], environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.json)
        #expect(report["severity"] as? String == "CRITICAL")
        let techniques = try #require(report["attack_techniques"] as? [String])
        for technique in ["T1110", "T1078", "T1059.001", "T1071"] { #expect(techniques.contains(technique), "\(technique)") }
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
        let ingest = try cli.run(["ingest", "--store", store, IngestCommandTests.fixtures.appendingPathComponent("syslog/input.log").path])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let text = try cli.run(["analyze", "--store", store, "--offline", "--report-dir", cli.path("reports"), "Failed password for root from 203.0.113.9"], environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("# INC-"))
        #expect(text.stdout.contains("## Tool calls"))
        let missing = try cli.run(["analyze", "--store", cli.path("nothing.db"), "x"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no event store at"))
        let both = try cli.run(["analyze"])
        #expect(both.status == 64)
    }
}
