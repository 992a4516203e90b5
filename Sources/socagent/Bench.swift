import ArgumentParser
import Foundation
import SOCAgent
import SOCAnalystKit
import SOCDetection
import SOCHTTP
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCThreatIntel

/// `socagent bench ingest`
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure socagent on generated data (results for BENCHMARKS.md).",
        subcommands: [IngestBenchmark.self, QueryBenchmark.self, AnalyzeBenchmark.self, HuntBenchmark.self, Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write generated Winlogbeat 8 ECS JSON lines to a file.")
        @Option(help: "How many events.") var events = 1_000_000
        @Option(help: "Document shape: ecs (after the Elastic pipeline, ~730 B) or raw (winlog.* only, ~330 B).") var shape = "ecs"
        @Argument(help: "The output file.") var output: String

        func validate() throws {
            if SyntheticEvents.Shape(rawValue: shape) == nil { throw ValidationError("--shape must be ecs or raw") }
        }

        func run() throws {
            let bytes = try SyntheticEvents(shape: SyntheticEvents.Shape(rawValue: shape) ?? .ecs).write(count: events, to: output)
            print("wrote \(Terminal.grouped(events)) events (\(bytes >> 20) MiB) to \(output)")
        }
    }

    struct IngestBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Generate events (or use --input), ingest them into a fresh store, report events/s, MB/s and peak RSS."
        )
        @Option(help: "How many events to generate.") var events = 1_000_000
        @Option(help: "Document shape when generating: ecs (~730 B) or raw (~330 B).") var shape = "ecs"
        @Option(help: "Ingest this file instead of generating one.") var input: String?
        @Option(help: "Where to put the generated file and the store.") var directory = FileManager.default.temporaryDirectory.path
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Only parse (no store), to separate parsing from storage costs.") var parseOnly = false
        @Flag(help: "Parse everything into memory first, then time the store alone (small inputs only).") var storeOnly = false
        @Option(help: "Threads parsing each batch with --parse-only (default: all cores but one).") var parsingThreads: Int?

        func run() async throws {
            let data = input ?? (directory as NSString).appendingPathComponent("socagent-bench-\(shape)-\(events).jsonl")
            if input == nil && !FileManager.default.fileExists(atPath: data) {
                Terminal.writeError("generating \(Terminal.grouped(events)) events into \(data)\n")
                _ = try SyntheticEvents(shape: SyntheticEvents.Shape(rawValue: shape) ?? .ecs).write(count: events, to: data)
            }
            if parseOnly {
                let started = ContinuousClock.now
                var reader = try EventFileReader(path: data, options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)))
                if let parsingThreads { reader.parsingThreads = max(1, parsingThreads) }
                while try reader.nextBatch() != nil {}
                let seconds = (ContinuousClock.now - started).timeInterval
                print("parsed \(Terminal.grouped(reader.summary.events)) events (\(reader.summary.bytes / 1_000_000) MB) in \(String(format: "%.2f", seconds)) s: \(Terminal.grouped(Int(Double(reader.summary.events) / seconds))) events/s, peak RSS \(Terminal.peakResidentBytes / 1_000_000) MB")
                return
            }
            if storeOnly {
                var reader = try EventFileReader(path: data, options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)))
                var batches: [[SecurityEvent]] = []
                while let batch = try reader.nextBatch() { batches.append(batch) }
                let path = (directory as NSString).appendingPathComponent("socagent-store-only.db")
                for suffix in ["", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                let store = try SQLiteEventStore(path: path)
                let started = ContinuousClock.now
                try await store.beginBulkLoad()
                for batch in batches { _ = try await store.append(batch) }
                let appended = ContinuousClock.now
                try await store.finishBulkLoad()
                let finished = ContinuousClock.now
                print("store only: \(Terminal.grouped(reader.summary.events)) events appended in \(appended - started), indexes and full text in \(finished - appended)")
                return
            }
            let storePath = (directory as NSString).appendingPathComponent("socagent-bench-\(ProcessInfo.processInfo.processIdentifier).db")
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }
            }
            let store = try SQLiteEventStore(path: storePath)
            let request = IngestService.Request(paths: [data], options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)))
            let report = try await IngestService(store: store).run(request)
            let megabytes = Double(report.bytes) / 1_000_000
            let result: [String: Double] = [
                "events": Double(report.events),
                "seconds": report.seconds,
                "events_per_second": Double(report.events) / report.seconds,
                "megabytes_per_second": megabytes / report.seconds,
                "peak_rss_megabytes": Double(Terminal.peakResidentBytes) / 1_000_000,
                "rejected": Double(report.rejected),
            ]
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(
                    "ingested \(Terminal.grouped(report.events)) events (\(String(format: "%.0f", megabytes)) MB) in \(String(format: "%.2f", report.seconds)) s: \(Terminal.grouped(Int(result["events_per_second"] ?? 0))) events/s, \(String(format: "%.1f", result["megabytes_per_second"] ?? 0)) MB/s, peak RSS \(String(format: "%.0f", result["peak_rss_megabytes"] ?? 0)) MB, \(report.rejected) rejected"
                )
            }
        }
    }
}

extension Bench {
    /// `socagent bench query --store PATH`
    struct QueryBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Time each investigation query and Lucene searches on a store (median of several runs)."
        )
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Runs per query; the median is reported.") var runs = 5
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try await storeOptions.open(mustExist: true)
            let count = try await store.count()
            let all = EventFilter(limit: 100)
            let now = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
            let cases: [(String, @Sendable () async throws -> Int)] = [
                ("brute-force (all time, top 20)", { try await store.bruteForce(EventFilter(limit: 20), minimumFailures: 5).count }),
                ("failed-logins (newest 100)", { try await store.failedLogins(all).count }),
                ("processes (newest 100 flagged)", { try await store.suspiciousProcesses(all).count }),
                ("connections (newest 100 public)", { try await store.networkConnections(all, includePrivate: false).count }),
                ("search term event.code:4625 (total + 20)", {
                    try await store.search(try LuceneParser.parse("event.code:4625"), filter: EventFilter(limit: 20), now: now).total
                }),
                ("search term source.ip:45.142.212.7 (total + 20)", {
                    try await store.search(try LuceneParser.parse("source.ip:45.142.212.7"), filter: EventFilter(limit: 20), now: now).total
                }),
                ("search full text message:\"failed to log on\" (total + 20)", {
                    try await store.search(try LuceneParser.parse(#"message:"failed to log on""#), filter: EventFilter(limit: 20), now: now).total
                }),
                ("search wildcard process.command_line:*whoami* (total + 20)", {
                    try await store.search(try LuceneParser.parse("process.command_line:*whoami*"), filter: EventFilter(limit: 20), now: now).total
                }),
            ]
            var results: [[String: String]] = []
            for (name, body) in cases {
                var times: [Double] = []
                var answer = 0
                for _ in 0..<max(1, runs) {
                    let started = ContinuousClock.now
                    answer = try await body()
                    let elapsed = ContinuousClock.now - started
                    times.append(elapsed.timeInterval * 1000)
                }
                let median = times.sorted()[times.count / 2]
                results.append(["query": name, "median_ms": String(format: "%.1f", median), "result": String(answer)])
                if !json { print("\(name.padding(toLength: 62, withPad: " ", startingAt: 0)) \(String(format: "%8.1f", median)) ms  (\(answer))") }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(["events": String(count), "results": "\(results)"]), as: UTF8.self))
            } else {
                print("store: \(Terminal.grouped(count)) events")
            }
        }
    }

    /// `socagent bench analyze`
    struct AnalyzeBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "analyze",
            abstract: "Time offline investigations of the demo's alert on a store of the demo's attack in N background events."
        )
        @Option(help: "Background events around the attack.") var events = 1_000_000
        @Option(help: "The store to build (or reuse, when it exists).") var store: String
        @Option(help: "Investigations to time; the median is reported.") var runs = 9

        func run() async throws {
            let sqlite = try SQLiteEventStore(path: store)
            if try await sqlite.count() == 0 {
                let file = store + ".jsonl"
                let written = try AttackScenario.write(to: file, backgroundEvents: events)
                let report = try await IngestService(store: sqlite).run(
                    IngestService.Request(paths: [file], format: nil, options: .init(referenceTime: Timestamp(year: 2024, month: 2, day: 5)!)))
                try? FileManager.default.removeItem(atPath: file)
                Terminal.writeError("built \(store): \(Terminal.grouped(report.inserted)) of \(Terminal.grouped(written)) events in \(String(format: "%.1f", report.seconds)) s\n")
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-bench-\(UUID().uuidString)")
            let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
            defer { try? FileManager.default.removeItem(at: directory) }
            let intel = IntelConfiguration.offlineService(database)
            var times: [Double] = []
            var severity = ""
            var calls = 0
            for _ in 0..<max(1, runs) {
                let started = ContinuousClock.now
                let report = await DeterministicAnalyst().investigate(Alert(text: AttackScenario.seedEvent), store: sqlite, intel: intel)
                times.append((ContinuousClock.now - started).timeInterval * 1000)
                severity = report.severity.rawValue
                calls = report.toolCalls.count
            }
            times.sort()
            let count = try await sqlite.count()
            print("store: \(Terminal.grouped(count)) events; \(runs) investigations (\(calls) tool calls each, severity \(severity)): median \(String(format: "%.1f", times[times.count / 2])) ms, min \(String(format: "%.1f", times.first ?? 0)) ms, max \(String(format: "%.1f", times.last ?? 0)) ms")
        }
    }
}

extension Bench {
    /// `socagent bench hunt --rules PATH --input FILE`
    struct HuntBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hunt",
            abstract: "Time each stage of hunting: loading the rules, compiling them, parsing the events, and the rule phase alone (events already in memory) on one core and on all.",
            discussion: "The rule phase is the figure comparable with Zircolite's (its events are already in SQLite when its rules run)."
        )
        @Option(name: .long, help: "A Sigma rule file or directory (repeat for more).") var rules: [String]
        @Option(help: "A log file of events (read whole into memory).") var input: String
        @Option(help: "Repeat the rule phase this many times; the fastest run is reported.") var runs = 3
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let clock = ContinuousClock()
            let started = clock.now
            let set = try SigmaRuleSet.load(paths: rules)
            let loaded = clock.now
            let engine = SigmaEngine(rules: set.rules)
            let compiled = clock.now
            var reader = try EventFileReader(path: input, options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)))
            var batches: [[SecurityEvent]] = []
            while let batch = try reader.nextBatch() { batches.append(batch) }
            let parsed = clock.now
            let events = batches.reduce(0) { $0 + $1.count }
            func phase(threads: Int) -> (seconds: Double, cpu: Double, detections: Int) {
                var best: (seconds: Double, cpu: Double, detections: Int) = (.infinity, 0, 0)
                for _ in 0..<max(1, runs) {
                    let cpuBefore = Terminal.processCPUSeconds
                    let start = clock.now
                    var detections = 0
                    for batch in batches { detections += engine.detect(batch, threads: threads).count }
                    let seconds = (clock.now - start).timeInterval
                    if seconds < best.seconds { best = (seconds, Terminal.processCPUSeconds - cpuBefore, detections) }
                }
                return best
            }
            let single = phase(threads: 1)
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let all = phase(threads: cores)
            let result: [String: Double] = [
                "rules": Double(set.rules.count),
                "events": Double(events),
                "detections": Double(all.detections),
                "load_seconds": (loaded - started).timeInterval,
                "compile_seconds": (compiled - loaded).timeInterval,
                "parse_seconds": (parsed - compiled).timeInterval,
                "rule_phase_one_core_seconds": single.seconds,
                "rule_phase_one_core_events_per_second": Double(events) / single.seconds,
                "rule_phase_all_cores_seconds": all.seconds,
                "rule_phase_all_cores_events_per_second": Double(events) / all.seconds,
                "rule_phase_all_cores_cpu_seconds": all.cpu,
                "cores": Double(cores),
            ]
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            func rate(_ seconds: Double) -> String { Terminal.grouped(Int(Double(events) / seconds)) }
            print("""
                \(set.rules.count) rules loaded in \(String(format: "%.2f", (loaded - started).timeInterval)) s, compiled in \(String(format: "%.2f", (compiled - loaded).timeInterval)) s
                \(Terminal.grouped(events)) events parsed in \(String(format: "%.2f", (parsed - compiled).timeInterval)) s (one core, \(rate((parsed - compiled).timeInterval)) events/s)
                rule phase, one core: \(String(format: "%.2f", single.seconds)) s, \(rate(single.seconds)) events/s, \(Terminal.grouped(single.detections)) detections
                rule phase, \(cores) cores: \(String(format: "%.2f", all.seconds)) s, \(rate(all.seconds)) events/s (\(String(format: "%.1f", all.cpu)) CPU s)
                """)
        }
    }
}
