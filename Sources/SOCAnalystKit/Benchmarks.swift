import Foundation
import SOCAgent
import SOCDetection
public import SOCModel
import SOCParsers
public import SOCStore
import SOCStoreSQLite
import SOCThreatIntel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The measurements behind BENCHMARKS.md: each returns a typed, `Encodable` result that `socagent bench … --json`
/// prints as it is.
public enum Benchmarks {
    // MARK: Ingest

    /// Ingesting a file into a fresh SQLite store.
    public struct IngestResult: Sendable, Codable, Equatable {
        public var events: Int
        public var rejected: Int
        public var seconds: Double
        public var eventsPerSecond: Double
        public var megabytesPerSecond: Double
        public var megabytes: Double
        public var peakRSSMegabytes: Double

        enum CodingKeys: String, CodingKey {
            case events, rejected, seconds, megabytes
            case eventsPerSecond = "events_per_second"
            case megabytesPerSecond = "megabytes_per_second"
            case peakRSSMegabytes = "peak_rss_megabytes"
        }
    }

    /// Ingests `file` into a new store in `directory` (removed afterwards).
    public static func ingest(file: String, directory: String) async throws -> IngestResult {
        let storePath = (directory as NSString).appendingPathComponent(
            "socagent-bench-\(ProcessInfo.processInfo.processIdentifier).db"
        )
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }
        }
        let store = try SQLiteEventStore(path: storePath)
        let request = IngestService.Request(paths: [file], options: .init(referenceTime: now))
        let report = try await IngestService(store: store).run(request)
        let megabytes = Double(report.bytes) / 1_000_000
        return IngestResult(
            events: report.events,
            rejected: report.rejected,
            seconds: report.seconds,
            eventsPerSecond: Double(report.events) / report.seconds,
            megabytesPerSecond: megabytes / report.seconds,
            megabytes: megabytes,
            peakRSSMegabytes: Double(ProcessStatistics.peakResidentBytes) / 1_000_000
        )
    }

    /// Parsing a file without storing it.
    public struct ParseResult: Sendable, Codable, Equatable {
        public var events: Int
        public var megabytes: Double
        public var seconds: Double
        public var eventsPerSecond: Double
        public var peakRSSMegabytes: Double

        enum CodingKeys: String, CodingKey {
            case events, megabytes, seconds
            case eventsPerSecond = "events_per_second"
            case peakRSSMegabytes = "peak_rss_megabytes"
        }
    }

    /// Parses `file` (no store), with `threads` parsing threads when given.
    public static func parse(file: String, threads: Int?) throws -> ParseResult {
        let started = ContinuousClock.now
        var reader = try EventFileReader(path: file, options: .init(referenceTime: now))
        if let threads { reader.parsingThreads = max(1, threads) }
        while try reader.nextBatch() != nil {}
        let seconds = (ContinuousClock.now - started).timeInterval
        return ParseResult(
            events: reader.summary.events,
            megabytes: Double(reader.summary.bytes) / 1_000_000,
            seconds: seconds,
            eventsPerSecond: Double(reader.summary.events) / seconds,
            peakRSSMegabytes: Double(ProcessStatistics.peakResidentBytes) / 1_000_000
        )
    }

    /// The store alone: appending already-parsed events, then building indexes and full text.
    public struct StoreResult: Sendable, Codable, Equatable {
        public var events: Int
        public var appendSeconds: Double
        public var indexSeconds: Double

        enum CodingKeys: String, CodingKey {
            case events
            case appendSeconds = "append_seconds"
            case indexSeconds = "index_seconds"
        }
    }

    /// Parses `file` into memory, then times the store alone (small inputs only).
    public static func store(file: String, directory: String) async throws -> StoreResult {
        var reader = try EventFileReader(path: file, options: .init(referenceTime: now))
        var batches: [[SecurityEvent]] = []
        while let batch = try reader.nextBatch() { batches.append(batch) }
        let path = (directory as NSString).appendingPathComponent("socagent-store-only.db")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try SQLiteEventStore(path: path)
        let started = ContinuousClock.now
        try await store.beginBulkLoad()
        for batch in batches { _ = try await store.append(batch) }
        let appended = ContinuousClock.now
        try await store.finishBulkLoad()
        let finished = ContinuousClock.now
        return StoreResult(
            events: reader.summary.events,
            appendSeconds: (appended - started).timeInterval,
            indexSeconds: (finished - appended).timeInterval
        )
    }

    // MARK: Queries

    /// The investigation queries and Lucene searches on a store, each the median of several runs.
    public struct QueryResult: Sendable, Codable, Equatable {
        /// Events in the store.
        public var events: Int
        /// One row per query.
        public var results: [Row]

        /// One query's timing.
        public struct Row: Sendable, Codable, Equatable {
            public var query: String
            public var medianMilliseconds: Double
            /// What it answered (rows, or the search total).
            public var result: Int

            enum CodingKeys: String, CodingKey {
                case query, result
                case medianMilliseconds = "median_ms"
            }
        }
    }

    /// Times each query on `store`, `runs` times; `row` is called as each finishes.
    public static func queries(
        _ store: any EventStore,
        runs: Int,
        row: (QueryResult.Row) -> Void = { _ in }
    ) async throws -> QueryResult {
        let all = EventFilter(limit: 100)
        let now = now
        func search(_ text: String) -> @Sendable () async throws -> Int {
            { try await store.search(try LuceneParser.parse(text), filter: EventFilter(limit: 20), now: now).total }
        }
        let cases: [(String, @Sendable () async throws -> Int)] = [
            (
                "brute-force (all time, top 20)",
                { try await store.bruteForce(EventFilter(limit: 20), minimumFailures: 5).count }
            ),
            ("failed-logins (newest 100)", { try await store.failedLogins(all).count }),
            (
                "failed-logins --source-ip 10.0.0.0/8 (newest 100)",
                { try await store.failedLogins(EventFilter(sourceIP: IPMatcher("10.0.0.0/8"), limit: 100)).count }
            ),
            ("processes (newest 100 flagged)", { try await store.suspiciousProcesses(all).count }),
            (
                "connections (newest 100 public)",
                { try await store.networkConnections(all, includePrivate: false).count }
            ),
            ("search term event.code:4625 (total + 20)", search("event.code:4625")),
            ("search term source.ip:45.142.212.7 (total + 20)", search("source.ip:45.142.212.7")),
            ("search CIDR source.ip:\"10.0.0.0/8\" (total + 20)", search(#"source.ip:"10.0.0.0/8""#)),
            ("search CIDR source.ip:\"172.16.0.0/12\" (total + 20)", search(#"source.ip:"172.16.0.0/12""#)),
            ("search term host.name:WS-0339 (total + 20)", search("host.name:WS-0339")),
            ("search term user.name:user0047 (total + 20)", search("user.name:user0047")),
            ("search full text message:\"failed to log on\" (total + 20)", search(#"message:"failed to log on""#)),
            ("search wildcard process.command_line:*whoami* (total + 20)", search("process.command_line:*whoami*")),
        ]
        var result = QueryResult(events: try await store.count(), results: [])
        for (name, body) in cases {
            var times: [Double] = []
            var answer = 0
            for _ in 0..<max(1, runs) {
                let started = ContinuousClock.now
                answer = try await body()
                times.append((ContinuousClock.now - started).timeInterval * 1000)
            }
            let timing = QueryResult.Row(
                query: name,
                medianMilliseconds: times.sorted()[times.count / 2],
                result: answer
            )
            row(timing)
            result.results.append(timing)
        }
        return result
    }

    // MARK: The analyst

    /// Offline investigations of the demo's alert.
    public struct AnalyzeResult: Sendable, Codable, Equatable {
        public var events: Int
        public var runs: Int
        public var toolCalls: Int
        public var severity: Severity
        public var medianMilliseconds: Double
        public var minimumMilliseconds: Double
        public var maximumMilliseconds: Double

        enum CodingKeys: String, CodingKey {
            case events, runs, severity
            case toolCalls = "tool_calls"
            case medianMilliseconds = "median_ms"
            case minimumMilliseconds = "min_ms"
            case maximumMilliseconds = "max_ms"
        }
    }

    /// Builds (or reuses) a store of the demo's attack in `backgroundEvents` events at `path`, then times `runs`
    /// offline investigations of the demo's alert; `progress` hears about the build.
    public static func analyze(
        storePath path: String,
        backgroundEvents: Int,
        runs: Int,
        progress: (String) -> Void = { _ in }
    ) async throws
        -> AnalyzeResult
    {
        let sqlite = try SQLiteEventStore(path: path)
        if try await sqlite.count() == 0 {
            let file = path + ".jsonl"
            let written = try AttackScenario.write(to: file, backgroundEvents: backgroundEvents)
            let report = try await IngestService(store: sqlite).run(
                IngestService.Request(
                    paths: [file],
                    format: nil,
                    options: .init(referenceTime: AttackScenario.referenceTime)
                )
            )
            try? FileManager.default.removeItem(atPath: file)
            progress(
                "built \(path): \(report.inserted) of \(written) events in \(String(format: "%.1f", report.seconds)) s"
            )
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-bench-\(UUID().uuidString)"
        )
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        defer { try? FileManager.default.removeItem(at: directory) }
        let intel = IntelConfiguration.offlineService(database)
        var times: [Double] = []
        var last: IncidentReport?
        for _ in 0..<max(1, runs) {
            let started = ContinuousClock.now
            last = await DeterministicAnalyst().investigate(
                Alert(text: AttackScenario.seedEvent),
                store: sqlite,
                intel: intel
            )
            times.append((ContinuousClock.now - started).timeInterval * 1000)
        }
        times.sort()
        return AnalyzeResult(
            events: try await sqlite.count(),
            runs: times.count,
            toolCalls: last?.toolCalls.count ?? 0,
            severity: last?.severity ?? .low,
            medianMilliseconds: times[times.count / 2],
            minimumMilliseconds: times.first ?? 0,
            maximumMilliseconds: times.last ?? 0
        )
    }

    // MARK: Hunting

    /// Each stage of hunting: loading and compiling the rules, parsing, and the rule phase on one core and on all.
    public struct HuntResult: Sendable, Codable, Equatable {
        public var rules: Int
        public var events: Int
        public var detections: Int
        public var loadSeconds: Double
        public var compileSeconds: Double
        /// Loading the same rules from a warm ``RuleSetCache`` (reading and hashing the files included); `nil` when
        /// the cache could not be used.
        public var cachedLoadSeconds: Double?
        public var parseSeconds: Double
        public var rulePhaseOneCoreSeconds: Double
        public var rulePhaseOneCoreEventsPerSecond: Double
        public var rulePhaseAllCoresSeconds: Double
        public var rulePhaseAllCoresEventsPerSecond: Double
        public var rulePhaseAllCoresCPUSeconds: Double
        public var cores: Int

        enum CodingKeys: String, CodingKey {
            case rules, events, detections, cores
            case loadSeconds = "load_seconds"
            case compileSeconds = "compile_seconds"
            case cachedLoadSeconds = "cached_load_seconds"
            case parseSeconds = "parse_seconds"
            case rulePhaseOneCoreSeconds = "rule_phase_one_core_seconds"
            case rulePhaseOneCoreEventsPerSecond = "rule_phase_one_core_events_per_second"
            case rulePhaseAllCoresSeconds = "rule_phase_all_cores_seconds"
            case rulePhaseAllCoresEventsPerSecond = "rule_phase_all_cores_events_per_second"
            case rulePhaseAllCoresCPUSeconds = "rule_phase_all_cores_cpu_seconds"
        }
    }

    /// Times hunting `input` (read whole into memory) with `rules`; the rule phase's fastest of `runs`.
    public static func hunt(rules: [String], input: String, runs: Int) throws -> HuntResult {
        let clock = ContinuousClock()
        let started = clock.now
        let set = try SigmaRuleSet.load(paths: rules)
        let loaded = clock.now
        let engine = SigmaEngine(rules: set.rules)
        let compiled = clock.now
        let cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-bench-rules-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: cacheDirectory) }
        let cache = RuleSetCache(directory: cacheDirectory)
        _ = try cache.prepare(paths: rules, filter: SigmaRuleFilter())
        let cachedStart = clock.now
        let cached = try cache.prepare(paths: rules, filter: SigmaRuleFilter())
        // Without a cache (the executable cannot be identified) there is nothing to time.
        let cachedLoadSeconds = cached.fromCache ? (clock.now - cachedStart).timeInterval : nil
        guard cached.selectedCount == set.rules.count else {
            throw BenchmarkError("the rule cache gave back \(cached.selectedCount) rules of \(set.rules.count)")
        }
        let parsing = clock.now
        var reader = try EventFileReader(path: input, options: .init(referenceTime: now))
        var batches: [[SecurityEvent]] = []
        while let batch = try reader.nextBatch() { batches.append(batch) }
        let parsed = clock.now
        let events = batches.reduce(0) { $0 + $1.count }
        func phase(threads: Int) -> (seconds: Double, cpu: Double, detections: Int) {
            var best: (seconds: Double, cpu: Double, detections: Int) = (.infinity, 0, 0)
            for _ in 0..<max(1, runs) {
                let cpuBefore = ProcessStatistics.cpuSeconds
                let start = clock.now
                var detections = 0
                for batch in batches { detections += engine.detect(batch, threads: threads).count }
                let seconds = (clock.now - start).timeInterval
                if seconds < best.seconds { best = (seconds, ProcessStatistics.cpuSeconds - cpuBefore, detections) }
            }
            return best
        }
        let single = phase(threads: 1)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let all = phase(threads: cores)
        return HuntResult(
            rules: set.rules.count,
            events: events,
            detections: all.detections,
            loadSeconds: (loaded - started).timeInterval,
            compileSeconds: (compiled - loaded).timeInterval,
            cachedLoadSeconds: cachedLoadSeconds,
            parseSeconds: (parsed - parsing).timeInterval,
            rulePhaseOneCoreSeconds: single.seconds,
            rulePhaseOneCoreEventsPerSecond: Double(events) / single.seconds,
            rulePhaseAllCoresSeconds: all.seconds,
            rulePhaseAllCoresEventsPerSecond: Double(events) / all.seconds,
            rulePhaseAllCoresCPUSeconds: all.cpu,
            cores: cores
        )
    }

    private static var now: Timestamp { Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970) }
}

/// What this process has used so far.
public enum ProcessStatistics {
    /// CPU time (user and system, all threads), in seconds.
    public static var cpuSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident set size, in bytes.
    public static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #if os(Linux)
        return usage.ru_maxrss * 1024
        #else
        return usage.ru_maxrss
        #endif
    }
}

/// A benchmark whose subject did not do what it is measured doing.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
