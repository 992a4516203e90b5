import ArgumentParser
import Dispatch
import Foundation
import Logging
import SOCAnalystKit
import SOCModel
import SOCReports
import SOCStore
import SOCTriage

/// `socagent triage [LOGS...] [--rules DIR]... [--follow]`
struct Triage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work the alert queue: alerts in, incidents out — once, or continuously with --follow.",
        discussion: """
            Ingests the LOGS given, hunts new events with the --rules given (default: none beyond the behavioural \
            detections: brute force and spraying, logons after them, flagged processes), reads the Sigma detections \
            the store holds and the alert files in --inbox folders (Elastic Security alerts, Sentinel incidents, ECS \
            events; JSON or JSON lines) or on standard input (--stdin), groups alerts that share a host, account or \
            address within --group-window into incidents, investigates each incident whose alerts changed and writes \
            a new revision of its report (reports/INC-….json; earlier ones in INC-….revisions/). Progress is kept in \
            the store: a run stopped at any point resumes without losing or repeating anything.
            """
    )

    @Argument(help: "Log files or folders to ingest first (with --follow, folders are watched for new files).")
    var logs: [String] = []

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: "A Sigma rule file or directory to hunt new events with (repeatable).")
    var rules: [String] = []

    @Option(name: .long, help: "A folder of alert files to read (repeatable; watched with --follow).")
    var inbox: [String] = []

    @Flag(name: .customLong("stdin"), help: "Read alerts from standard input (JSON or JSON lines).")
    var standardInput = false

    @OptionGroup var window: WindowOptions

    @Option(help: "Alerts sharing a host, account or address within this many seconds join one incident.")
    var groupWindow: Double = 7200

    @Option(help: "Investigations run at once.")
    var parallel: Int = 2

    @Flag(help: "No model and no Internet intelligence: the deterministic analyst with local sources.")
    var offline = false

    @OptionGroup var reports: ReportDirectoryOption

    @OptionGroup var intelOptions: IntelOptions

    @Option(
        help:
            "With a cluster store: keep triage state in this SQLite file instead of the cluster's socagent-triage-* indices."
    )
    var state: String?

    @Flag(help: "Keep going: watch the LOGS folders and inboxes, hunt and read new alerts every --interval.")
    var follow = false

    @Option(help: "Seconds between passes with --follow.")
    var interval: Double = 60

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func validate() throws {
        guard groupWindow > 0, groupWindow <= 366 * 86400 else {
            throw ValidationError("--group-window must be above 0 and at most a year (in seconds)")
        }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be 1 to 64") }
        guard interval >= 0.2, interval <= 86400 else { throw ValidationError("--interval must be 0.2 to 86400 s") }
        if follow && standardInput {
            throw ValidationError("--stdin is read once; it cannot be combined with --follow")
        }
    }

    func run() async throws {
        var configuration = storeOptions.configuration()
        configuration.reportDirectory = reports.reportDir
        configuration.reportKeyFile = reports.reportKeyFile
        configuration.intelDatabase = intelOptions.intelDB
        configuration.offline = offline
        storeOptions.tls.warnAboutTheConnection(configuration)
        let analyst: SOCAnalyst
        let service: TriageService
        var request = TriageRequest()
        request.rules = rules
        request.statePath = state
        request.options = TriageService.Options(
            groupWindowSeconds: groupWindow,
            parallelInvestigations: parallel,
            window: window.all || (window.since == nil && window.until == nil && window.hours == nil)
                ? nil : window.timeRange
        )
        do {
            analyst = try await SOCAnalyst(configuration: configuration)
            service = try analyst.triageService(request)
        } catch {
            throw CleanError("\(error)")
        }
        ClusterTLSOptions.reportRepairs(analyst.store)
        let stop = StopSignal()
        var watcher = LogWatcher(paths: logs)
        var total = TriageOutcome()
        repeat {
            let changed = watcher.changedFiles()
            if !changed.isEmpty {
                let ingested = try await analyst.ingest(changed)
                for file in ingested.files {
                    for problem in file.errors.prefix(5) { Terminal.writeError("warning: \(file.path): \(problem)\n") }
                }
            }
            var batch = AlertFiles.Batch()
            if !inbox.isEmpty {
                batch = try await AlertFiles.read(
                    folders: inbox,
                    referenceTime: await analyst.referenceTime(),
                    cursor: { try await service.cursor($0) }
                )
            }
            if standardInput {
                AlertFiles.read(path: "-", referenceTime: await analyst.referenceTime(), into: &batch)
            }
            for problem in batch.problems { Terminal.writeError("warning: \(problem)\n") }
            let pass: TriageService.Pass
            do {
                pass = try await service.run(
                    extraAlerts: batch.alerts,
                    cursors: batch.cursors,
                    now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
                )
            } catch {
                throw CleanError("\(error)")
            }
            for failure in pass.failures {
                Terminal.writeError("warning: investigation failed, retried next pass: \(failure)\n")
            }
            total.add(pass, reports: analyst.reports)
            if follow { status(pass, total: total) }
            if follow { await stop.sleep(seconds: interval) }
        } while follow && !stop.requested
        if follow { Terminal.writeError("\nstopped: \(total.alerts) alerts, \(total.newIncidents) new incidents\n") }
        try printOutcome(total, store: analyst)
        // A one-off run whose investigations could not all be written says so in its status.
        if !follow && !total.failures.isEmpty { throw ExitCode(1) }
    }

    /// A status line on a terminal; a structured log line (swift-log, standard error) otherwise.
    private func status(_ pass: TriageService.Pass, total: TriageOutcome) {
        if Terminal.standardErrorIsTerminal {
            Terminal.writeError(
                "\r\u{1B}[2K\(Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970).iso8601Milliseconds) alerts \(total.alerts) (+\(pass.alerts)), incidents new \(total.newIncidents), updated \(total.updatedIncidents), investigated \(pass.incidents.count)"
            )
            return
        }
        Self.logger.info(
            "triage pass",
            metadata: [
                "alerts": "\(pass.alerts)", "new_incidents": "\(pass.newIncidents)",
                "updated_incidents": "\(pass.updatedIncidents)", "investigated": "\(pass.incidents.count)",
                "incidents": .array(pass.incidents.map { .string("\($0.id) \($0.severity?.rawValue ?? "-")") }),
            ]
        )
    }

    static let logger: Logger = {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        return Logger(label: "socagent.triage")
    }()

    private func printOutcome(_ outcome: TriageOutcome, store analyst: SOCAnalyst) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
            return
        }
        print(
            "\(outcome.alerts) new alert\(outcome.alerts == 1 ? "" : "s"), \(outcome.newIncidents) new incident\(outcome.newIncidents == 1 ? "" : "s"), \(outcome.updatedIncidents) updated"
        )
        if !outcome.incidents.isEmpty {
            IncidentTable.print(outcome.incidents.map(\.incident))
        }
    }
}

/// What `triage --json` prints.
struct TriageOutcome: Encodable {
    struct Line: Encodable {
        var incident: TriageIncident
        var report: String

        enum CodingKeys: String, CodingKey {
            case id, severity, status, title, hosts, users
            case sourceIPs = "source_ips"
            case techniques = "attack_techniques"
            case alerts
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
            case report
            case revisions = "report_revisions"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(incident.id, forKey: .id)
            try container.encodeIfPresent(incident.severity, forKey: .severity)
            try container.encode(incident.status, forKey: .status)
            try container.encode(incident.title, forKey: .title)
            try container.encode(incident.hosts, forKey: .hosts)
            try container.encode(incident.users, forKey: .users)
            try container.encode(incident.addresses, forKey: .sourceIPs)
            try container.encode(incident.techniques, forKey: .techniques)
            try container.encode(incident.alertCount, forKey: .alerts)
            try container.encode(incident.firstSeen.iso8601Milliseconds, forKey: .firstSeen)
            try container.encode(incident.lastSeen.iso8601Milliseconds, forKey: .lastSeen)
            try container.encode(report, forKey: .report)
            try container.encode(incident.reportRevisions, forKey: .revisions)
        }
    }

    var alerts = 0
    var newIncidents = 0
    var updatedIncidents = 0
    var incidents: [Line] = []
    /// Investigations that failed (their incidents stay due).
    var failures: [String] = []
    /// Seconds spent reading sources, grouping and investigating, over all passes.
    var seconds: [String: Double] = ["reading": 0, "grouping": 0, "investigating": 0]

    enum CodingKeys: String, CodingKey {
        case alerts
        case newIncidents = "new_incidents"
        case updatedIncidents = "updated_incidents"
        case incidents, failures, seconds
    }

    mutating func add(_ pass: TriageService.Pass, reports: ReportStore) {
        failures += pass.failures
        seconds["reading", default: 0] += pass.readingSeconds
        seconds["grouping", default: 0] += pass.groupingSeconds
        seconds["investigating", default: 0] += pass.investigatingSeconds
        alerts += pass.alerts
        newIncidents += pass.newIncidents
        updatedIncidents += pass.updatedIncidents
        for incident in pass.incidents {
            let line = Line(incident: incident, report: reports.directory + "/" + incident.id + ".json")
            if let index = incidents.firstIndex(where: { $0.incident.id == incident.id }) {
                incidents[index] = line
            } else {
                incidents.append(line)
            }
        }
    }
}

/// The log files under the LOGS paths that are new or changed since the last look.
struct LogWatcher {
    let paths: [String]
    private var seen: [String: String] = [:]

    init(paths: [String]) { self.paths = paths }

    mutating func changedFiles() -> [String] {
        var changed: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files: [String]
            if isDirectory.boolValue {
                let enumerator = FileManager.default.enumerator(atPath: path)
                var found: [String] = []
                while let name = enumerator?.nextObject() as? String {
                    let last = (name as NSString).lastPathComponent
                    if last.hasPrefix(".") || last.hasSuffix(".tmp") || last.hasSuffix(".part") { continue }
                    found.append(path + "/" + name)
                }
                files = found.sorted()
            } else {
                files = [path]
            }
            for file in files {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
                    (attributes[.type] as? FileAttributeType) == .typeRegular
                else { continue }
                let mark =
                    "\((attributes[.size] as? NSNumber)?.int64Value ?? 0):\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
                if seen[file] != mark {
                    seen[file] = mark
                    changed.append(file)
                }
            }
        }
        return changed
    }
}

/// SIGINT/SIGTERM ask the loop to stop after the pass in progress (its investigations finish and are recorded); a
/// second signal stops at once (every step is a transaction, so nothing recorded is lost).
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received() }
            source.resume()
            sources.append(source)
        }
    }

    private func received() {
        lock.lock()
        count += 1
        let now = count
        lock.unlock()
        if now == 1 {
            Terminal.writeError("\nstopping after this pass (signal again to stop now)\n")
        } else {
            exit(130)
        }
    }

    var requested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count > 0
    }

    /// Sleeps up to `seconds`, waking early when a stop is requested.
    func sleep(seconds: Double) async {
        var left = seconds
        while left > 0, !requested {
            let step = min(left, 0.2)
            try? await Task.sleep(for: .milliseconds(Int(step * 1000)))
            left -= step
        }
    }
}
