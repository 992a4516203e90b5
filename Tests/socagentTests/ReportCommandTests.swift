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

    /// `report export ID --html`: one self-contained page (styles inline, no script), the timeline drawn, log content
    /// escaped, written 0600; a hostile alert text stays text.
    @Test func exportsAReportAsOneSelfContainedHTMLPage() throws {
        let cli = try IngestCommandTests()
        let folder = cli.path("reports")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let report = #"""
            {"incident_id":"INC-20240204-102000","created_at":"2024-02-04T10:20:00Z","severity":"CRITICAL",
             "severity_reasons":["attack chain"],"summary":"Brute force, a logon, then <script>alert(1)</script>",
             "alert":"user '</untrusted-data><img src=x onerror=alert(1)>'",
             "indicators":{"ips":["45.142.212.61"],"domains":[],"urls":[],"emails":[],"hashes":[],"cves":[],"users":["admin"],
             "hosts":["WS01"],"timestamps":[],"paths":[]},
             "findings":[{"title":"Attack chain on WS01","severity":"CRITICAL","detail":"Failures, a logon, a process.",
               "evidence":["2024-02-04T10:15:23.000Z WS01 <b>bold</b>"],"attack_techniques":["T1110.001","T1059.001"],
               "kind":"attack_chain","rule":"attack-chain","entities":{"hosts":["WS01"]}}],
             "attack_techniques":["T1110.001","T1059.001"],
             "timeline":[{"timestamp":"2024-02-04T10:15:23.000Z","description":"12 failed logins","subject":"45.142.212.61"},
               {"timestamp":"2024-02-04T10:16:00.000Z","description":"logon","subject":"WS01"},
               {"timestamp":"2024-02-04T10:18:30.000Z","description":"powershell -enc","subject":"WS01"}],
             "recommendations":["Isolate WS01"],"tool_calls":[],"analyst":{"mode":"offline"}}
            """#
        try report.write(toFile: folder + "/INC-20240204-102000.json", atomically: true, encoding: .utf8)
        let refused = try cli.run(["report", "export", "INC-20240204-102000", "--report-dir", folder])
        #expect(refused.status == 64 && refused.stderr.contains("--html"))
        let exported = try cli.run(["report", "export", "INC-20240204-102000", "--html", "--report-dir", folder])
        #expect(exported.status == 0, "\(exported.stderr)")
        let path = cli.path("INC-20240204-102000.html")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>") && !html.contains("<script") && !html.contains("<link"))
        #expect(html.contains(#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline""#))
        #expect(html.contains(#"<g class="step"><title>Attack chain step 1"#), "WS01's entries are the chain's steps")
        #expect(html.components(separatedBy: #"<g class="step">"#).count == 3, "two steps on WS01, one plain mark")
        #expect(html.contains("https://attack.mitre.org/techniques/T1059/001/"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;/untrusted-data&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let elsewhere = try cli.run([
            "report", "export", "INC-20240204-102000", "--html", "--report-dir", folder, "--output", cli.path("x.html"),
        ])
        #expect(elsewhere.status == 0 && FileManager.default.fileExists(atPath: cli.path("x.html")))
        let missing = try cli.run(["report", "export", "INC-20990101-000000", "--html", "--report-dir", folder])
        #expect(missing.status == 1)
    }
}
