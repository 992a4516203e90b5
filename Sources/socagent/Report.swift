import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCReports

/// `socagent report list|show`
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List incident reports, or show one as Markdown.",
        subcommands: [ReportList.self, ReportShow.self]
    )
}

/// Where the reports are.
struct ReportDirectoryOption: ParsableArguments {
    @Option(help: "The reports folder (default: $SOCAGENT_REPORT_DIR or ./reports).")
    var reportDir: String?

    var store: ReportStore { SOCAnalyst.Configuration(reportDirectory: reportDir).reports }
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
        abstract: "Show a report as Markdown (or its JSON)."
    )

    @Argument(help: "The report id, INC-YYYYMMDD-HHMMSS.")
    var id: String

    @OptionGroup var directory: ReportDirectoryOption

    @Flag(help: "Print the report's JSON instead.")
    var json = false

    func run() async throws {
        let report: IncidentReport
        do {
            report = try directory.store.read(id: id)
        } catch {
            throw CleanError("\(error)")
        }
        try ReportOutput.show(report, json: json)
    }
}

/// Writes a new report and shows it: Markdown for people, or its JSON; the path goes to standard error.
enum ReportOutput {
    static func writeAndShow(_ report: IncidentReport, to store: ReportStore, json: Bool) throws {
        let written: (report: IncidentReport, path: String)
        do {
            written = try store.write(report)
        } catch {
            throw CleanError("\(error)")
        }
        try show(written.report, json: json)
        Terminal.writeError("report written: \(written.path)\n")
    }

    /// Prints a report: its JSON, or Markdown with log content shown as data.
    static func show(_ report: IncidentReport, json: Bool) throws {
        if json {
            print(try JSONReportRenderer.render(report))
        } else {
            print(MarkdownRenderer.render(report), terminator: "")
        }
    }
}
