import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCReports
import SOCStore
import SOCTriage

/// `socagent incidents list|show`
struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The incidents triage made: the queue, and one incident with its alerts and latest report.",
        subcommands: [IncidentsList.self, IncidentsShow.self],
        defaultSubcommand: IncidentsList.self
    )
}

/// Where the incidents are: the store's own triage state, or the state file beside a cluster.
struct IncidentSource: ParsableArguments {
    @OptionGroup var storeOptions: StoreOptions

    @Option(
        help:
            "With a cluster store: keep triage state in this SQLite file instead of the cluster's socagent-triage-* indices."
    )
    var state: String?

    func ledger() async throws -> any TriageLedger {
        let location = storeOptions.resolvedStore
        if StoreLocation.isCluster(location), state == nil {
            do {
                let store = try await storeOptions.open(mustExist: false)
                return try SOCAnalyst.triageLedger(of: store, statePath: nil)
            } catch {
                throw CleanError("\(error)")
            }
        }
        let path = state ?? location
        guard FileManager.default.fileExists(atPath: path) else {
            throw CleanError("no triage state at \(path): run `socagent triage` first")
        }
        do {
            return try SOCAnalyst.openTriageLedger(path: path)
        } catch {
            throw CleanError("\(error)")
        }
    }
}

struct IncidentsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The incident queue, most recent activity first."
    )

    @OptionGroup var source: IncidentSource

    @Option(help: "Only incidents at or above this severity: LOW, MEDIUM, HIGH, CRITICAL.")
    var severity: String?

    @Option(help: "Only incidents with this status: open, acknowledged, closed.")
    var status: String?

    @Option(help: "Only incidents naming this host.")
    var host: String?

    @Option(help: "At most this many.")
    var limit: Int = 100

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let severity, Severity(rawValue: severity.uppercased()) == nil {
            throw ValidationError("--severity must be LOW, MEDIUM, HIGH or CRITICAL")
        }
        if let status, TriageIncident.Status(rawValue: status.lowercased()) == nil {
            throw ValidationError("--status must be open, acknowledged or closed")
        }
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1 to 100000") }
    }

    func run() async throws {
        let query = IncidentQuery(
            minimumSeverity: severity.flatMap { Severity(rawValue: $0.uppercased()) },
            status: status.flatMap { TriageIncident.Status(rawValue: $0.lowercased()) },
            host: host,
            limit: limit
        )
        let incidents = try await source.ledger().incidents(query)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(incidents), as: UTF8.self))
            return
        }
        if incidents.isEmpty {
            print("no incidents\(query.minimumSeverity != nil || query.status != nil || host != nil ? " match" : "")")
            return
        }
        IncidentTable.print(incidents)
    }
}

struct IncidentsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One incident: its alerts by rule, entities, and its latest report."
    )

    @Argument(help: "The incident id, INC-YYYYMMDD-HHMMSS-XXXXXX.")
    var id: String

    @OptionGroup var source: IncidentSource

    @OptionGroup var reports: ReportDirectoryOption

    @Flag(help: "Print the incident's JSON.")
    var json = false

    func run() async throws {
        guard let incident = try await source.ledger().incident(id: id) else {
            throw CleanError("no incident \(DisplayText.visible(String(id.prefix(80))))")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(incident), as: UTF8.self))
            return
        }
        var lines = [
            "\(incident.id)  \(incident.severity?.rawValue ?? "not investigated")  \(incident.status.rawValue)",
            incident.title,
            "\(incident.alertCount) alerts from \(incident.firstSeen.iso8601Milliseconds) to \(incident.lastSeen.iso8601Milliseconds)",
        ]
        if !incident.hosts.isEmpty { lines.append("hosts: " + incident.hosts.joined(separator: ", ")) }
        if !incident.users.isEmpty { lines.append("accounts: " + incident.users.joined(separator: ", ")) }
        if !incident.addresses.isEmpty { lines.append("addresses: " + incident.addresses.joined(separator: ", ")) }
        if !incident.techniques.isEmpty {
            lines.append("ATT&CK: " + incident.techniques.joined(separator: ", "))
        }
        Terminal.show(lines.joined(separator: "\n") + "\n\n")
        print(
            Table.render(
                ["COUNT", "SOURCE", "SEVERITY", "RULE"],
                incident.rules.map { [String($0.count), $0.source.rawValue, $0.severity.rawValue, $0.title] },
                maximumWidth: 90
            )
        )
        if let reportID = incident.reportID, let report = try? reports.store.read(id: reportID) {
            print("")
            try ReportOutput.show(report, json: false, markdown: false)
        }
    }
}

/// The incident queue as a table.
enum IncidentTable {
    static func print(_ incidents: [TriageIncident]) {
        Swift.print(
            Table.render(
                ["ID", "SEVERITY", "STATUS", "ALERTS", "LAST SEEN", "HOSTS", "TITLE"],
                incidents.map {
                    [
                        $0.id, $0.severity?.rawValue ?? "-", $0.status.rawValue, String($0.alertCount),
                        $0.lastSeen.iso8601Milliseconds, $0.hosts.prefix(3).joined(separator: ","), $0.title,
                    ]
                }
            )
        )
    }
}
