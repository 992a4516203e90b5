import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCThreatIntel

/// `socagent demo`
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Investigate a realistic attack end to end, offline: no keys, no servers.",
        discussion: """
            Builds a day of Windows activity in a temporary store with a brute force from 45.142.212.61 against \
            'admin' on DC01, a successful logon, an encoded PowerShell launch and an outbound connection; then \
            investigates the example event "\(AttackScenario.seedEvent)" and shows the report.
            """
    )

    @Option(
        help:
            "The SQLite store the demo's events are written to and left in (default: $SOCAGENT_STORE, else ./\(Self.defaultStore); never a cluster)."
    )
    var store: String?

    @OptionGroup var reports: ReportDirectoryOption

    @Flag(help: "Print the report's JSON instead of Markdown.")
    var json = false

    /// The demo's own store, so its synthetic events never land in ./socagent.db by accident.
    static let defaultStore = "demo.db"

    func validate() throws {
        if let store, StoreLocation.isCluster(store) {
            throw ValidationError("the demo writes synthetic events: give it a SQLite file, not a cluster")
        }
    }

    func run() async throws {
        let environment = AnalystEnvironment.current()
        // A flag, then SOCAGENT_STORE (never ELK_HOST: synthetic events do not belong in a cluster), then demo.db.
        let location = store ?? environment["SOCAGENT_STORE"] ?? Self.defaultStore
        guard !StoreLocation.isCluster(location) else {
            throw CleanError("the demo writes synthetic events: SOCAGENT_STORE names a cluster; pass --store FILE")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-demo-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = directory.appendingPathComponent("winlogbeat.jsonl").path
        let count = try AttackScenario.write(to: logs)
        // Offline intelligence in the temporary folder: nothing is sent anywhere, and no cached answer changes the demo.
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        var configuration = SOCAnalyst.Configuration(
            store: location,
            reportDirectory: reports.reportDir,
            offline: true,
            environment: environment
        )
        configuration.intelDatabase = database.path
        configuration.reportKeyFile = reports.reportKeyFile
        let analyst: SOCAnalyst
        do {
            analyst = try await SOCAnalyst(configuration: configuration)
        } catch {
            throw CleanError("\(error)")
        }
        let ingested = try await IngestService(store: analyst.store).run(
            IngestService.Request(
                paths: [logs],
                format: nil,
                options: .init(referenceTime: AttackScenario.referenceTime)
            )
        )
        Terminal.writeError(
            "demo: \(Terminal.grouped(ingested.inserted)) of \(Terminal.grouped(count)) generated events stored in \(location); investigating \"\(AttackScenario.seedEvent)\"\n"
        )
        var report = await analyst.analyze(AttackScenario.seedEvent)
        report.synthetic = true  // generated data: marked in the JSON and the title, never taken for a real incident
        try ReportOutput.writeAndShow(report, to: analyst.reports, json: json)
    }
}
