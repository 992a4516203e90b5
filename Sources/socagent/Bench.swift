import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCDetection
import SOCModel

/// `socagent bench ingest`
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure socagent on generated data (results for BENCHMARKS.md).",
        subcommands: [
            IngestBenchmark.self, QueryBenchmark.self, AnalyzeBenchmark.self, HuntBenchmark.self, FuzzBenchmark.self,
            Generate.self, CapturesBenchmark.self, EVTXBenchmarkCommand.self,
        ]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write generated Winlogbeat 8 ECS JSON lines to a file."
        )
        @Option(help: "How many events.") var events = 1_000_000
        @Option(help: "Document shape: ecs (after the Elastic pipeline, ~730 B) or raw (winlog.* only, ~330 B).")
        var shape = "ecs"
        @Argument(help: "The output file.") var output: String

        func validate() throws {
            if SyntheticEvents.Shape(rawValue: shape) == nil { throw ValidationError("--shape must be ecs or raw") }
            try Bench.requireCount("--events", events, in: Bench.eventCounts)
        }

        func run() throws {
            let bytes = try SyntheticEvents(shape: SyntheticEvents.Shape(rawValue: shape) ?? .ecs).write(
                count: events,
                to: output
            )
            print("wrote \(Terminal.grouped(events)) events (\(bytes >> 20) MiB) to \(output)")
        }
    }

    struct IngestBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract:
                "Generate events (or use --input), ingest them into a fresh store, report events/s, MB/s and peak RSS."
        )
        @Option(help: "How many events to generate.") var events = 1_000_000
        @Option(help: "Document shape when generating: ecs (~730 B) or raw (~330 B).") var shape = "ecs"
        @Option(help: "Ingest this file instead of generating one.") var input: String?
        @Option(help: "Where to put the generated file and the store.") var directory = FileManager.default
            .temporaryDirectory.path
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Only parse (no store), to separate parsing from storage costs.") var parseOnly = false
        @Flag(help: "Parse everything into memory first, then time the store alone (small inputs only).")
        var storeOnly = false
        @Option(help: "Threads parsing each batch with --parse-only (default: all cores but one).") var parsingThreads:
            Int?

        func validate() throws {
            try Bench.requireCount("--events", events, in: Bench.eventCounts)
            if let parsingThreads { try Bench.requireCount("--parsing-threads", parsingThreads, in: 1...256) }
        }

        func run() async throws {
            let data =
                input ?? (directory as NSString).appendingPathComponent("socagent-bench-\(shape)-\(events).jsonl")
            if input == nil && !FileManager.default.fileExists(atPath: data) {
                Terminal.writeError("generating \(Terminal.grouped(events)) events into \(data)\n")
                _ = try SyntheticEvents(shape: SyntheticEvents.Shape(rawValue: shape) ?? .ecs).write(
                    count: events,
                    to: data
                )
            }
            if parseOnly {
                let result = try Benchmarks.parse(file: data, threads: parsingThreads)
                try printJSON(result, when: json) {
                    "parsed \(Terminal.grouped(result.events)) events (\(Int(result.megabytes)) MB) in \(String(format: "%.2f", result.seconds)) s: \(Terminal.grouped(Int(result.eventsPerSecond))) events/s, peak RSS \(Int(result.peakRSSMegabytes)) MB"
                }
                return
            }
            if storeOnly {
                let result = try await Benchmarks.store(file: data, directory: directory)
                try printJSON(result, when: json) {
                    "store only: \(Terminal.grouped(result.events)) events appended in \(String(format: "%.2f", result.appendSeconds)) s, indexes and full text in \(String(format: "%.2f", result.indexSeconds)) s"
                }
                return
            }
            let result = try await Benchmarks.ingest(file: data, directory: directory)
            try printJSON(result, when: json) {
                "ingested \(Terminal.grouped(result.events)) events (\(String(format: "%.0f", result.megabytes)) MB) in \(String(format: "%.2f", result.seconds)) s: \(Terminal.grouped(Int(result.eventsPerSecond))) events/s, \(String(format: "%.1f", result.megabytesPerSecond)) MB/s, peak RSS \(String(format: "%.0f", result.peakRSSMegabytes)) MB, \(result.rejected) rejected"
            }
        }
    }
}

/// Prints `result` as one line of JSON (keys sorted), or `text()` for people.
private func printJSON(_ result: some Encodable, when json: Bool, text: () -> String) throws {
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    } else {
        print(text())
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

        func validate() throws { try Bench.requireCount("--runs", runs, in: Bench.runCounts) }

        func run() async throws {
            let store = try await storeOptions.open(mustExist: true)
            let result = try await Benchmarks.queries(store, runs: runs) { row in
                if !json {
                    print(
                        "\(row.query.padding(toLength: 62, withPad: " ", startingAt: 0)) \(String(format: "%8.1f", row.medianMilliseconds)) ms  (\(row.result))"
                    )
                }
            }
            try printJSON(result, when: json) { "store: \(Terminal.grouped(result.events)) events" }
        }
    }

    /// `socagent bench analyze`
    struct AnalyzeBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "analyze",
            abstract:
                "Time offline investigations of the demo's alert on a store of the demo's attack in N background events."
        )
        @Option(help: "Background events around the attack.") var events = 1_000_000
        @Option(help: "The store to build (or reuse, when it exists).") var store: String
        @Option(help: "Investigations to time; the median is reported.") var runs = 9

        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            try Bench.requireCount("--events", events, in: Bench.eventCounts)
            try Bench.requireCount("--runs", runs, in: Bench.runCounts)
        }

        func run() async throws {
            let result = try await Benchmarks.analyze(storePath: store, backgroundEvents: events, runs: runs) {
                Terminal.writeError($0 + "\n")
            }
            try printJSON(result, when: json) {
                "store: \(Terminal.grouped(result.events)) events; \(result.runs) investigations (\(result.toolCalls) tool calls each, severity \(result.severity.rawValue)): median \(String(format: "%.1f", result.medianMilliseconds)) ms, min \(String(format: "%.1f", result.minimumMilliseconds)) ms, max \(String(format: "%.1f", result.maximumMilliseconds)) ms"
            }
        }
    }
}

extension Bench {
    /// `socagent bench hunt --rules PATH --input FILE`
    struct HuntBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hunt",
            abstract:
                "Time each stage of hunting: loading the rules, compiling them, parsing the events, and the rule phase alone (events already in memory) on one core and on all.",
            discussion:
                "The rule phase is the figure comparable with Zircolite's (its events are already in SQLite when its rules run)."
        )
        @Option(name: .long, help: "A Sigma rule file or directory (repeat for more).") var rules: [String]
        @Option(help: "A log file of events (read whole into memory).") var input: String
        @Option(help: "Repeat the rule phase this many times; the fastest run is reported.") var runs = 3
        @Flag(help: "Print JSON.") var json = false

        func validate() throws { try Bench.requireCount("--runs", runs, in: Bench.runCounts) }

        func run() throws {
            let result = try Benchmarks.hunt(rules: rules, input: input, runs: runs)
            func rate(_ seconds: Double) -> String { Terminal.grouped(Int(Double(result.events) / seconds)) }
            try printJSON(result, when: json) {
                """
                \(result.rules) rules loaded in \(String(format: "%.2f", result.loadSeconds)) s, compiled in \(String(format: "%.2f", result.compileSeconds)) s; from the rule cache in \(result.cachedLoadSeconds.map { String(format: "%.2f s", $0) } ?? "n/a (no cache)")
                \(Terminal.grouped(result.events)) events parsed in \(String(format: "%.2f", result.parseSeconds)) s (one core, \(rate(result.parseSeconds)) events/s)
                rule phase, one core: \(String(format: "%.2f", result.rulePhaseOneCoreSeconds)) s, \(rate(result.rulePhaseOneCoreSeconds)) events/s, \(Terminal.grouped(result.detections)) detections
                rule phase, \(result.cores) cores: \(String(format: "%.2f", result.rulePhaseAllCoresSeconds)) s, \(rate(result.rulePhaseAllCoresSeconds)) events/s (\(String(format: "%.1f", result.rulePhaseAllCoresCPUSeconds)) CPU s)
                """
            }
        }
    }
}

extension Bench {
    /// `socagent bench fuzz --target lines --seeds ../shared/data/loghub --iterations 1000000`
    struct FuzzBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fuzz",
            abstract:
                "Feed mutated real inputs to a parser: no crash, no hang, bounded memory (a seeded, reproducible run).",
            discussion: """
                Targets: lines (every log format's parser), json, xml, lucene, sigma, date-math, evtx. Seeds are \
                records of the files given (log files for lines, .yml rules for sigma, .xml for xml, the first chunk \
                of .evtx files for evtx, lines for the rest) plus built-in ones; each input is a seed mutated by bit \
                flips, truncations, splices and hostile tokens (for evtx: chunk header fields, record sizes, BinXML \
                tokens and offsets). The same --seed gives the same inputs; progress names the iteration every \
                100,000 inputs.
                """
        )
        @Option(help: "lines, json, xml, lucene, sigma, date-math or evtx.") var target: String
        @Option(parsing: .upToNextOption, help: "Seed files or folders.") var seeds: [String] = []
        @Option(help: "How many inputs.") var iterations = 1_000_000
        @Option(help: "The random seed.") var seed: UInt64 = 1
        @Option(help: "Write each input to this file before it runs (slow): a crash leaves its input there.")
        var trace: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
            if Fuzzing.Target(rawValue: target) == nil {
                throw ValidationError(
                    "--target must be one of \(Fuzzing.Target.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }

        func run() throws {
            let target = Fuzzing.Target(rawValue: self.target) ?? .lines
            let pool = try Fuzzing.seeds(for: target, paths: seeds)
            Terminal.writeError("fuzz \(target.rawValue): \(pool.count) seeds, seed \(seed)\n")
            let result = Fuzzing.run(target, seeds: pool, iterations: iterations, seed: seed, trace: trace) {
                iteration in
                Terminal.writeError("  \(target.rawValue): iteration \(Terminal.grouped(iteration))\n")
            }
            try printJSON(result, when: json) {
                "\(target.rawValue): \(Terminal.grouped(result.inputs)) inputs (\(Terminal.grouped(result.accepted)) accepted) in \(String(format: "%.1f", result.seconds)) s, slowest \(String(format: "%.2f", result.slowestMilliseconds)) ms (iteration \(result.slowestIteration)), peak RSS \(Int(result.peakRSSMegabytes)) MB — no crash"
            }
        }
    }
}

extension Bench {
    /// The event counts the benchmarks generate: at least one, and no more than a disk holds.
    static let eventCounts = 1...1_000_000_000
    /// The repetitions a benchmark takes.
    static let runCounts = 1...1_000

    /// A usage error (exit 64) unless `value` is in `range`.
    static func requireCount(_ name: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(name) must be from \(range.lowerBound) to \(Terminal.grouped(range.upperBound))")
        }
    }
}

extension Bench {
    /// `socagent bench captures --rules RULES DATASET...`
    struct CapturesBenchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "captures",
            abstract:
                "Triage each labelled attack capture alone (ingest, hunt with --rules, triage offline) and report the share that yields a MEDIUM-or-higher incident, by tactic.",
            discussion:
                "DATASET: a folder with a jsonl/ tree of tactic folders (../shared/data/evtx-attack-samples, ../shared/data/evtx-to-mitre-attack); Antivirus is left out."
        )
        @Option(name: .long, help: "A Sigma rule file or directory (repeat for more).") var rules: [String]
        @Argument(help: "Data set folders.") var dataSets: [String]
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Print each capture's outcome on standard error as it is triaged.") var verbose = false

        func run() async throws {
            let set = try SigmaRuleSet.load(paths: rules)
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
                "socagent-captures-\(getpid())"
            ).path
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let result = try await CaptureEvaluation.run(
                captures: try CaptureEvaluation.captures(in: dataSets),
                rules: set,
                scratch: scratch
            ) { capture in
                if verbose {
                    Terminal.writeError(
                        "\(capture.severity?.rawValue ?? "-")\t\(capture.tactic)\t\(capture.alerts) alerts\t\(capture.rules.joined(separator: ","))\t\(capture.path)\n"
                    )
                }
            }
            try printJSON(result, when: json) {
                var lines = result.byTactic.sorted { $0.key < $1.key }.map { tactic, counts in
                    "\(tactic): \(counts[1]) of \(counts[0]) MEDIUM or higher"
                }
                lines.append(
                    "all: \(result.mediumOrHigher) of \(result.total) (\(String(format: "%.1f", 100 * Double(result.mediumOrHigher) / Double(max(1, result.total)))) %)"
                )
                return lines.joined(separator: "\n")
            }
        }
    }
}

extension Bench {
    /// `socagent bench evtx FILES... --records 1000000`
    struct EVTXBenchmarkCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evtx",
            abstract: "Read .evtx files, looped to --records, on one core and on all: records/s and MB/s.",
            discussion: """
                Two depths: "records" is the reader alone (chunks, templates, substitutions, into the records the \
                Windows normalizer takes); "events" is the parse ingest does (normalized ECS events with their \
                identifiers and originals). Files are held in memory for "records" and read from disk for "events".
                """
        )
        @Argument(help: ".evtx files or folders.") var paths: [String]
        @Option(help: "Read the files again until at least this many records are read.") var records = 1_000_000
        @Option(help: "Threads for the all-cores runs (default: every core).") var threads = ProcessInfo.processInfo
            .activeProcessorCount
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            try Bench.requireCount("--records", records, in: Bench.eventCounts)
            try Bench.requireCount("--threads", threads, in: 1...256)
        }

        func run() throws {
            let result = try EVTXBenchmark.run(paths: paths, records: records, cores: threads)
            try printJSON(result, when: json) {
                var lines = [
                    "\(result.files) files, \(Terminal.grouped(result.recordsPerPass)) records a pass, \(result.passes) passes"
                ]
                for measurement in result.measurements {
                    lines.append(
                        "\(measurement.depth), \(measurement.threads) thread(s): \(Terminal.grouped(measurement.records)) records in \(String(format: "%.2f", measurement.seconds)) s = \(Terminal.grouped(Int(measurement.recordsPerSecond))) records/s, \(String(format: "%.1f", measurement.megabytesPerSecond)) MB/s"
                    )
                }
                lines.append("peak RSS \(Int(result.peakRSSMegabytes)) MB")
                return lines.joined(separator: "\n")
            }
        }
    }
}
