import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCReports

/// `socagent report list|show`
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List incident reports, show one as Markdown, or export one as a self-contained HTML page.",
        subcommands: [ReportList.self, ReportShow.self, ReportExport.self]
    )
}

/// Where the reports are.
struct ReportDirectoryOption: ParsableArguments {
    @Option(help: "The reports folder (default: $SOCAGENT_REPORT_DIR or ./reports).")
    var reportDir: String?

    @Option(
        help:
            "A file holding the 256-bit key (64 hex digits or base64) reports are encrypted with (default: $SOCAGENT_REPORT_KEY)."
    )
    var reportKeyFile: String?

    var store: ReportStore {
        var configuration = SOCAnalyst.Configuration(reportDirectory: reportDir)
        configuration.reportKeyFile = reportKeyFile
        return configuration.reports
    }
}

/// `socagent report list`
struct ReportList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the reports, newest first.")

    @OptionGroup var directory: ReportDirectoryOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let reports: [IncidentReport]
        do {
            reports = try directory.store.list()
        } catch {
            throw CleanError("\(error)")
        }
        if json {
            print(try JSONReportRenderer.renderList(reports))
            return
        }
        guard !reports.isEmpty else {
            print("No reports in \(directory.store.directory).")
            return
        }
        print(
            Table.render(
                ["incident", "created", "severity", "summary"],
                reports.map {
                    [
                        $0.incidentID, $0.createdAt, $0.severity.rawValue,
                        $0.summary.replacingOccurrences(of: "\n", with: " "),
                    ]
                },
                maximumWidth: 80
            )
        )
    }
}

/// `socagent report show ID`
struct ReportShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a report: plain text on a terminal, Markdown otherwise (or its JSON), or write it to a file.",
        discussion: "With --output FILE the report is written to FILE as Markdown (or JSON with --json), mode 0600."
    )

    @Argument(help: "The report id, INC-YYYYMMDD-HHMMSS.")
    var id: String

    @OptionGroup var directory: ReportDirectoryOption

    @Flag(help: "Print (or write) the report's JSON instead.")
    var json = false

    @Flag(help: "Markdown even on a terminal.")
    var markdown = false

    @Option(help: "Write the report to this file (Markdown, or JSON with --json) instead of printing it.")
    var output: String?

    func run() async throws {
        let report: IncidentReport
        do {
            report = try directory.store.read(id: id)
        } catch {
            throw CleanError("\(error)")
        }
        guard let output else { return try ReportOutput.show(report, json: json, markdown: markdown) }
        let text = json ? try JSONReportRenderer.render(report) + "\n" : MarkdownRenderer.render(report)
        guard
            FileManager.default.createFile(
                atPath: output,
                contents: Data(text.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            throw CleanError("cannot write \(output)")
        }
        Terminal.writeError("report \(report.incidentID) written to \(output)\n")
    }
}

/// `socagent report export ID --html`
struct ReportExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a report as one self-contained HTML page (the board's incident page), for e-mail or a ticket.",
        discussion:
            "The page has its styles inline, no scripts and no remote resources; it is written mode 0600 and its path printed."
    )

    @Argument(help: "The report id, INC-YYYYMMDD-HHMMSS.")
    var id: String

    @OptionGroup var directory: ReportDirectoryOption

    @Flag(help: "Export as HTML (the one export format; `report show --output` writes Markdown or JSON).")
    var html = false

    @Option(help: "The file to write (default: ID.html in the current folder).")
    var output: String?

    func validate() throws {
        if !html {
            throw ValidationError("give --html: the one export format (report show --output writes Markdown or JSON)")
        }
    }

    func run() async throws {
        let report: IncidentReport
        do {
            report = try directory.store.read(id: id)
        } catch {
            throw CleanError("\(error)")
        }
        let path = output ?? "\(report.incidentID).html"
        do {
            try ReportStore.replace(path, with: Data(IncidentPage.document(report).utf8))
        } catch {
            throw CleanError("cannot write \(path): \(error)")
        }
        // The file's path on standard output, for scripts (`xdg-open "$(socagent report export ID --html)"`).
        print(path)
    }
}

/// Writes a new report and shows it; the path goes to standard error.
enum ReportOutput {
    /// Shows the report, then writes it. A report that cannot be written is still shown, and the error says where it
    /// could not go (exit 1): a finished investigation is never thrown away.
    static func writeAndShow(_ report: IncidentReport, to store: ReportStore, json: Bool) throws {
        let written: (report: IncidentReport, path: String)
        do {
            written = try store.write(report)
        } catch {
            try show(report, json: json)
            throw CleanError("the report was not saved: \(error)")
        }
        try show(written.report, json: json)
        Terminal.writeError("report written: \(written.path)\n")
    }

    /// Prints a report: its JSON; plain text on a terminal; Markdown (log content shown as data) otherwise.
    static func show(_ report: IncidentReport, json: Bool, markdown: Bool = false) throws {
        if json {
            print(try JSONReportRenderer.render(report))
        } else if !markdown && Terminal.standardOutputIsTerminal {
            print(PlainTextRenderer.render(report, width: Terminal.columns), terminator: "")
        } else {
            print(MarkdownRenderer.render(report), terminator: "")
        }
    }
}
