import ArgumentParser
import Foundation
import SOCAgent
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCReports

/// `socagent analyze "TEXT" | --alert FILE`
struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Investigate an alert or a free-text event and write an incident report.",
        discussion: """
            The investigation looks around the event's own time (±24 h), runs the read-only tools (threat \
            intelligence, failed logins, brute force, suspicious processes, connections, Lucene queries) for the \
            indicators found, correlates them, applies the severity rubric and writes reports/INC-YYYYMMDD-HHMMSS.json \
            (mode 0600, never overwritten). With ANTHROPIC_API_KEY set (and no --offline) Claude drives the tools \
            (ANTHROPIC_MODEL, ANTHROPIC_BASE_URL); else with OPENAI_BASE_URL a local model behind an \
            OpenAI-compatible server does (OPENAI_MODEL, OPENAI_API_KEY); the deterministic evidence sets a severity \
            floor neither can lower. Settings come from flags, the environment, then .env in the working directory.
            """
    )

    @Argument(help: "The alert or event text (or use --alert).")
    var text: String?

    @Option(help: "Read the alert from a file: an ECS event, a Sentinel incident or row, a raw log line.")
    var alert: String?

    @OptionGroup var storeOptions: StoreOptions

    @OptionGroup var reports: ReportDirectoryOption

    @Flag(
        help:
            "No model and no Internet intelligence: the deterministic analyst with imported KEV/NVD, blocklists and cached answers."
    )
    var offline = false

    @OptionGroup var intelOptions: IntelOptions

    @Flag(help: "Print the report's JSON on standard output.")
    var json = false

    @Option(
        name: .customLong("allow-read"),
        help: ArgumentHelp(
            "A folder the analyst's parse_log_file may read (repeatable; default: the --alert file's folder).",
            discussion: "Dotfiles, dot-folders and SQLite files (the store, the intel cache) are never read.",
            valueName: "DIR"
        )
    )
    var allowRead: [String] = []

    func validate() throws {
        guard (text == nil) != (alert == nil) else {
            throw ValidationError("give the alert text or --alert FILE (one of them)")
        }
        try Self.validateReadable(allowRead)
    }

    /// Checks `--allow-read` folders: existing folders, never `/`.
    static func validateReadable(_ folders: [String]) throws {
        for folder in folders {
            let resolved = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw ValidationError("--allow-read \(folder): not a folder")
            }
            guard resolved != "/" else {
                throw ValidationError("--allow-read /: the whole file system is never readable")
            }
        }
    }

    func run() async throws {
        var configuration = storeOptions.configuration(mustExist: true)
        configuration.reportDirectory = reports.reportDir
        configuration.reportKeyFile = reports.reportKeyFile
        configuration.intelDatabase = intelOptions.intelDB
        configuration.offline = offline
        storeOptions.tls.warnAboutTheConnection(configuration)
        var analyst: SOCAnalyst
        do {
            analyst = try await SOCAnalyst(configuration: configuration)
        } catch {
            throw CleanError("\(error)")
        }
        ClusterTLSOptions.reportRepairs(analyst.store)
        // Explicit roots only: the alert file's folder and --allow-read folders, never the working directory as such
        // (run from `/` or a project folder it exposed /etc, /proc and .env).
        analyst.readableRoots =
            (alert.map { [URL(fileURLWithPath: $0).deletingLastPathComponent().path] } ?? []) + allowRead
        let report: IncidentReport
        if let alert {
            do {
                report = await analyst.analyze(
                    try AlertReader.read(file: alert, referenceTime: await analyst.referenceTime())
                )
            } catch {
                throw CleanError("\(error)")
            }
        } else {
            report = await analyst.analyze(text ?? "")
        }
        try ReportOutput.writeAndShow(report, to: analyst.reports, json: json)
    }
}
