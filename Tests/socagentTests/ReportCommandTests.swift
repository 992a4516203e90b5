import Foundation
import Testing

/// `socagent report list|show` over a reports folder.
@Suite struct ReportCommandTests {
    @Test func listsAndShowsReports() throws {
        let cli = try IngestCommandTests()
        let folder = cli.path("reports")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let report = #"""
            {"incident_id":"INC-20240204-102000","created_at":"2024-02-04T10:20:00Z","severity":"HIGH",
             "severity_reasons":["success after failures"],"summary":"Brute force then a logon","indicators":{"ips":["45.142.212.61"],
             "domains":[],"urls":[],"emails":[],"hashes":[],"cves":[],"users":["admin"],"hosts":[],"timestamps":[],"paths":[]},
             "findings":[],"attack_techniques":["T1110.001"],"timeline":[],"recommendations":["Block it"],"tool_calls":[],
             "analyst":{"mode":"offline"}}
            """#
        try report.write(toFile: folder + "/INC-20240204-102000.json", atomically: true, encoding: .utf8)
        let list = try cli.run(["report", "list", "--report-dir", folder])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("INC-20240204-102000  2024-02-04T10:20:00Z  HIGH"))
        let show = try cli.run(["report", "show", "INC-20240204-102000", "--report-dir", folder])
        #expect(show.stdout.hasPrefix("# INC-20240204-102000 — HIGH"))
        #expect(show.stdout.contains("- ips: `45.142.212.61`"))
        let missing = try cli.run(["report", "show", "INC-20990101-000000", "--report-dir", folder])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no report INC-20990101-000000 in \(folder)"))
    }
}
