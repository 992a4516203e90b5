import ArgumentParser
import Foundation
import SOCAgent
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCReports
import SOCStore
import SOCStoreSQLite
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

    @OptionGroup var reports: ReportDirectoryOption

    @Flag(help: "Print the report's JSON instead of Markdown.")
    var json = false

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = directory.appendingPathComponent("winlogbeat.jsonl").path
        let count = try AttackScenario.write(to: logs)
        let store = try SQLiteEventStore(path: directory.appendingPathComponent("demo.db").path)
        let ingested = try await IngestService(store: store).run(
            IngestService.Request(paths: [logs], format: nil, options: .init(referenceTime: Timestamp(year: 2024, month: 2, day: 5)!)))
        Terminal.writeError("demo: \(Terminal.grouped(ingested.inserted)) of \(Terminal.grouped(count)) generated events stored; investigating \"\(AttackScenario.seedEvent)\"\n")
        // Offline intelligence in the temporary folder: nothing is sent anywhere.
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        let intel = IntelConfiguration.offlineService(database)
        let report = await DeterministicAnalyst().investigate(Alert(text: AttackScenario.seedEvent), store: store, intel: intel)
        try ReportOutput.writeAndShow(report, to: reports.store, json: json)
    }
}
