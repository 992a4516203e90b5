import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCDetection
import SOCHTTP
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite

/// `socagent hunt --rules PATH... (LOGS... | --store PATH)`
struct Hunt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Sigma rules over log files or over the event store.",
        discussion: """
            Rules: SigmaHQ YAML files or directories. Log files are parsed as `ingest` parses them (any format); with \
            --store the stored events are hunted (in the window, --all by default) and the detections are saved in the \
            store (a cluster's in the socagent-detections index) for investigations to cite. A summary of rules \
            loaded, rules skipped (with reasons) and detections by level goes to standard error; detections go to standard output (a table, or JSON lines with --json).
            """
    )

    @Option(name: .long, help: "A Sigma rule file or directory (repeat --rules for more).")
    var rules: [String]

    @Argument(help: "Log files or directories to hunt (or use --store).")
    var logs: [String] = []

    /// The store to hunt (`--store`, with a cluster's `--ca-file`/`--insecure`); only used when `--store` is given.
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Only rules at or above this level: informational, low, medium, high, critical.")
    var level: String?

    @Option(parsing: .upToNextOption, help: "Only rules with one of these statuses (stable, test, experimental…; spaces or commas).")
    var status: [String] = []

    @Option(parsing: .upToNextOption, help: "Only rules with one of these tags (attack.t1059.001, attack.execution…; spaces or commas).")
    var tags: [String] = []

    @Option(help: "The format of every log file, instead of sniffing it.")
    var format: String?

    @Flag(help: "List every skipped rule with its reason.")
    var verbose = false

    @Flag(help: "Print detections as JSON lines.")
    var json = false

    @OptionGroup var window: WindowOptions

    /// The values of a list option, given space- or comma-separated, lower-cased; `nil` when none were given.
    private static func choices(_ values: [String]) -> Set<String>? {
        let all = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        return all.isEmpty ? nil : Set(all)
    }

    func validate() throws {
        if logs.isEmpty == (storeOptions.store == nil) { throw ValidationError("give log files to hunt, or --store, but not both") }
        if let level, !StoredDetection.levels.contains(level.lowercased()) {
            throw ValidationError("--level must be informational, low, medium, high or critical")
        }
        if let format, LogFormat.named(format) == nil { throw ValidationError("unknown format '\(format)'") }
    }

    func run() async throws {
        let loaded: SigmaRuleSet
        do {
            loaded = try SigmaRuleSet.load(paths: rules)
        } catch {
            throw CleanError("\(error)")
        }
        let set = loaded.filtered(
            minimumLevel: level,
            statuses: Self.choices(status),
            tags: Self.choices(tags)
        )
        Terminal.writeError("rules: \(set.rules.count) loaded\(set.rules.count != loaded.rules.count ? " (of \(loaded.rules.count), by --level/--status/--tags)" : ""), \(set.diagnostics.count) skipped\n")
        var reasons: [String: Int] = [:]
        for diagnostic in set.diagnostics { reasons[diagnostic.reason, default: 0] += 1 }
        for (reason, count) in reasons.sorted(by: { $0.value > $1.value }).prefix(verbose ? .max : 5) {
            Terminal.writeError("  skipped \(count) × \(reason)\n")
        }
        if verbose { for diagnostic in set.diagnostics { Terminal.writeError("  \(diagnostic)\n") } }
        let engine = SigmaEngine(rules: set.rules)
        var byLevel: [String: Int] = [:]
        var byTactic: [String: Int] = [:]
        var byRule: [String: (level: String, count: Int)] = [:]
        var events = 0
        var rows: [[String]] = []
        let started = ContinuousClock.now
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func report(_ detections: [Detection]) throws {
            for detection in detections {
                byLevel[detection.level, default: 0] += 1
                for tactic in detection.tactics { byTactic[tactic, default: 0] += 1 }
                byRule[detection.title, default: (detection.level, 0)].count += 1
                if json {
                    print(String(decoding: try encoder.encode(detection), as: UTF8.self))
                } else if rows.count < 10_000 {
                    rows.append([detection.timestamp ?? "", detection.level, detection.host ?? "", detection.title, detection.techniques.joined(separator: ",")])
                }
            }
        }
        if storeOptions.store != nil {
            var filter = EventFilter(timeRange: window.all || window.since != nil || window.until != nil || window.hours != nil ? window.timeRange : nil)
            filter.limit = .max
            let eventStore = try await storeOptions.open(mustExist: true)
            // The store keeps the detections for investigations to cite. If it cannot (a read-only cluster
            // account), the hunt goes on and says so once.
            var saving = eventStore.keepsDetections
            func handle(_ found: [Detection]) async throws {
                try report(found)
                guard saving, !found.isEmpty else { return }
                do {
                    try await eventStore.saveDetections(found.map(\.stored))
                } catch let error as EventStoreError {
                    saving = false
                    Terminal.writeError("warning: detections are reported but not saved: \(error)\n")
                }
            }
            do {
                // The engine works on one page while the store reads the next.
                var pending: Task<[Detection], Never>?
                try await eventStore.forEachEvent(filter, pageSize: 4000) { page in
                    events += page.count
                    let detecting = Task.detached { engine.detect(page) }
                    if let pending { try await handle(await pending.value) }
                    pending = detecting
                }
                if let pending { try await handle(await pending.value) }
            } catch let error as EventStoreError {
                throw CleanError("\(error)")
            }
        } else {
            // Parsing runs on a task of its own, so the next batch is parsed while the engine works on this one.
            var request = IngestService.Request(paths: logs, format: format.flatMap(LogFormat.named), options: ParseContext.Options(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)))
            request.batchSize = 8192
            let parsing: ParsedBatches
            do {
                parsing = try ParsedBatches(request)
            } catch {
                throw CleanError("\(error)")
            }
            try await parsing.forEachBatch { batch in
                events += batch.count
                try report(engine.detect(batch))
            }
            for file in await parsing.files where file.rejected > 0 {
                let first = file.errors.first.map { " (first: \($0))" } ?? ""
                Terminal.writeError("warning: \(file.path): \(file.rejected) records could not be parsed\(first)\n")
            }
        }
        if !json && !rows.isEmpty {
            print(Table.render(["time", "level", "host", "rule", "ATT&CK"], rows, maximumWidth: 70))
            let total = byLevel.values.reduce(0, +)
            if total > rows.count {
                Terminal.writeError("the table shows the first \(Terminal.grouped(rows.count)) of \(Terminal.grouped(total)) detections; --json prints them all\n")
            }
        }
        let elapsed = (ContinuousClock.now - started).timeInterval
        let levels = StoredDetection.levels.reversed().compactMap { level in byLevel[level].map { "\(level) \($0)" } }
        Terminal.writeError("\(Terminal.grouped(events)) events, \(Terminal.grouped(byLevel.values.reduce(0, +))) detections (\(levels.isEmpty ? "none" : levels.joined(separator: ", "))) in \(String(format: "%.2f", elapsed)) s\n")
        if !byTactic.isEmpty {
            let tactics = byTactic.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
            Terminal.writeError("by ATT&CK tactic: \(tactics.joined(separator: ", "))\n")
        }
        // The rules that fired most, most severe first among equals: where triage starts.
        let rank = StoredDetection.rank(ofLevel:)
        let top = byRule.sorted { ($0.value.count, rank($0.value.level), $1.key) > ($1.value.count, rank($1.value.level), $0.key) }.prefix(10)
        if !top.isEmpty {
            Terminal.writeError("top rules: \(top.map { "\($0.key) (\($0.value.level)) \(Terminal.grouped($0.value.count))" }.joined(separator: "; "))\n")
        }
    }
}
