import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCDetection
import SOCModel
import SOCParsers
import SOCStore

/// `socagent hunt --rules PATH... (LOGS... | --store PATH)`
struct Hunt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Sigma rules over log files or over the event store.",
        discussion: """
            Rules: SigmaHQ YAML files or directories. Log files are parsed as `ingest` parses them (any format); with \
            --store the stored events are hunted — all of them unless --since/--until/--hours narrow the window — and the detections are saved in the \
            store (a cluster's in the socagent-detections index) for investigations to cite. A summary of rules \
            loaded, rules skipped (with reasons) and detections by level goes to standard error; detections go to standard output (a table, or JSON lines with --json).
            """
    )

    @Option(name: .long, help: "A Sigma rule file or directory (repeat --rules for more).")
    var rules: [String]

    @Argument(help: "Log files or directories to hunt (or use --store).")
    var logs: [String] = []

    @Option(
        help:
            "Hunt this store's events instead of log files: a SQLite file or a cluster URL (its detections are saved in it). Cluster credentials: ELK_USERNAME/ELK_PASSWORD or ELK_API_KEY."
    )
    var store: String?

    @OptionGroup var tls: ClusterTLSOptions

    @Option(help: "Only rules at or above this level: informational, low, medium, high, critical.")
    var level: String?

    @Option(
        parsing: .upToNextOption,
        help: "Only rules with one of these statuses (stable, test, experimental…; spaces or commas)."
    )
    var status: [String] = []

    @Option(
        parsing: .upToNextOption,
        help: "Only rules with one of these tags (attack.t1059.001, attack.execution…; spaces or commas)."
    )
    var tags: [String] = []

    @Option(help: "The format of every log file, instead of sniffing it.")
    var format: String?

    @Flag(help: "List every skipped rule with its reason.")
    var verbose = false

    @Flag(help: "Print detections as JSON lines.")
    var json = false

    @Flag(
        help:
            "Parse and compile the rules without the rule cache ($SOCAGENT_CACHE_DIR/rules, else $XDG_CACHE_HOME/socagent/rules or ~/.cache/socagent/rules)."
    )
    var noRuleCache = false

    @OptionGroup var window: WindowOptions

    /// The values of a list option, given space- or comma-separated, lower-cased; `nil` when none were given.
    private static func choices(_ values: [String]) -> Set<String>? {
        let all = values.flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }.filter { !$0.isEmpty }
        return all.isEmpty ? nil : Set(all)
    }

    func validate() throws {
        if logs.isEmpty == (store == nil) {
            throw ValidationError("give log files to hunt, or --store, but not both")
        }
        if let level, SigmaLevel(rawValue: level.lowercased()) == nil {
            throw ValidationError("--level must be informational, low, medium, high or critical")
        }
        if let format, LogFormat.named(format) == nil { throw ValidationError("unknown format '\(format)'") }
    }

    func run() async throws {
        let filter = SigmaRuleFilter(
            minimumLevel: level.flatMap { SigmaLevel(rawValue: $0.lowercased()) },
            statuses: Self.choices(status),
            tags: Self.choices(tags)
        )
        let prepared: PreparedRules
        do {
            prepared =
                noRuleCache
                ? try PreparedRules.compile(paths: rules, filter: filter)
                : try RuleSetCache(
                    directory: RuleSetCache.standardDirectory(environment: AnalystEnvironment.current().values)
                )
                .prepare(paths: rules, filter: filter)
        } catch {
            throw CleanError("\(error)")
        }
        if let warning = prepared.cacheWarning { Terminal.writeError("warning: \(warning)\n") }
        let diagnostics = prepared.diagnostics
        Terminal.writeError(
            "rules: \(prepared.selectedCount) loaded\(prepared.selectedCount != prepared.loadedCount ? " (of \(prepared.loadedCount), by --level/--status/--tags)" : ""), \(diagnostics.count) skipped\(prepared.fromCache ? " (compiled rules from the cache)" : "")\n"
        )
        var reasons: [String: Int] = [:]
        for diagnostic in diagnostics { reasons[diagnostic.reason, default: 0] += 1 }
        for (reason, count) in reasons.sorted(by: { $0.value > $1.value }).prefix(verbose ? .max : 5) {
            Terminal.writeError("  skipped \(count) × \(reason)\n")
        }
        if verbose { for diagnostic in diagnostics { Terminal.writeError("  \(diagnostic)\n") } }
        let target: HuntService.Target
        if let store {
            let window =
                window.all || window.since != nil || window.until != nil || window.hours != nil ? window.timeRange : nil
            target = .store(try await tls.open(tls.configuration(store: store, mustExist: true)), window: window)
        } else {
            target = .files(logs, format: format.flatMap(LogFormat.named))
        }
        var rows: [[String]] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let summary: HuntSummary
        do {
            summary = try await HuntService(engine: prepared.engine).hunt(target) { detections in
                for detection in detections {
                    if json {
                        print(String(decoding: try encoder.encode(detection), as: UTF8.self))
                    } else if rows.count < 10_000 {
                        rows.append([
                            detection.timestamp ?? "", detection.level.rawValue, detection.host ?? "", detection.title,
                            detection.techniques.joined(separator: ","),
                        ])
                    }
                }
            }
        } catch let error as EventStoreError {
            throw CleanError("\(error)")
        } catch let error as IngestError {
            throw CleanError("\(error)")
        }
        for warning in summary.warnings { Terminal.writeError("warning: \(warning)\n") }
        for file in summary.files where file.rejected > 0 {
            let first = file.errors.first.map { " (first: \($0))" } ?? ""
            Terminal.writeError("warning: \(file.path): \(file.rejected) records could not be parsed\(first)\n")
        }
        if !json && !rows.isEmpty {
            print(Table.render(["time", "level", "host", "rule", "ATT&CK"], rows, maximumWidth: 70))
            if summary.detections > rows.count {
                Terminal.writeError(
                    "the table shows the first \(Terminal.grouped(rows.count)) of \(Terminal.grouped(summary.detections)) detections; --json prints them all\n"
                )
            }
        }
        let levels = SigmaLevel.allCases.reversed().compactMap { level in
            summary.byLevel[level].map { "\(level) \($0)" }
        }
        Terminal.writeError(
            "\(Terminal.grouped(summary.events)) events, \(Terminal.grouped(summary.detections)) detections (\(levels.isEmpty ? "none" : levels.joined(separator: ", "))) in \(String(format: "%.2f", summary.seconds)) s\n"
        )
        if !summary.byTactic.isEmpty {
            let tactics = summary.byTactic.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                "\($0.key) \($0.value)"
            }
            Terminal.writeError("by ATT&CK tactic: \(tactics.joined(separator: ", "))\n")
        }
        let top = summary.topRules(10)
        if !top.isEmpty {
            Terminal.writeError(
                "top rules: \(top.map { "\($0.title) (\($0.tally.level)) \(Terminal.grouped($0.tally.count))" }.joined(separator: "; "))\n"
            )
        }
    }
}
