import Foundation
import Testing

/// With `SOCAGENT_REPORT_KEY` (or `--report-key-file`) the analyst writes sealed reports and every reader opens them;
/// without the key, reading is a clear error.
@Suite struct SealedReportCommandTests {
    @Test func reportsAreSealedAndReadWithTheKeyOnly() throws {
        let cli = try IngestCommandTests()
        let key = String(repeating: "fedcba9876543210", count: 4)
        let alert = "Failed login attempt from 45.142.212.61 for user 'admin' at 2024-02-04 10:15:23"
        try Data("Feb  4 10:15:23 web sshd[1]: Failed password for admin from 45.142.212.61 port 22 ssh2\n".utf8)
            .write(to: URL(fileURLWithPath: cli.path("auth.log")))
        #expect(try cli.run(["ingest", cli.path("auth.log"), "--store", cli.path("s.db")]).status == 0)
        let analyzed = try cli.run(
            [
                "analyze", "--offline", "--json", "--report-dir", cli.path("reports"), "--store", cli.path("s.db"),
                alert,
            ],
            environment: ["SOCAGENT_REPORT_KEY": key]
        )
        #expect(analyzed.status == 0, "\(analyzed.stderr)")
        let id = try #require(analyzed.json?["incident_id"] as? String)
        let file = try Data(contentsOf: URL(fileURLWithPath: cli.path("reports/\(id).json")))
        #expect(file.starts(with: Array("SOCR".utf8)))
        #expect(file.range(of: Data("45.142.212.61".utf8)) == nil)

        let withKey = try cli.run(
            ["report", "show", id, "--json", "--report-dir", cli.path("reports")],
            environment: ["SOCAGENT_REPORT_KEY": key]
        )
        #expect(withKey.status == 0, "\(withKey.stderr)")
        #expect(withKey.json?["incident_id"] as? String == id)

        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: cli.path("report.key")))
        let withFile = try cli.run([
            "report", "list", "--report-dir", cli.path("reports"), "--report-key-file", cli.path("report.key"),
        ])
        #expect(withFile.status == 0, "\(withFile.stderr)")
        #expect(withFile.stdout.contains(id))

        let withoutKey = try cli.run(["report", "show", id, "--report-dir", cli.path("reports")])
        #expect(withoutKey.status != 0)
        #expect(withoutKey.stderr.contains("is encrypted; set SOCAGENT_REPORT_KEY"), "\(withoutKey.stderr)")
        #expect(!withoutKey.stderr.contains(key))
    }
}
