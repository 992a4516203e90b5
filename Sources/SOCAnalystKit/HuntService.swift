import Foundation
public import SOCDetection
public import SOCModel
public import SOCParsers
public import SOCStore

/// Runs Sigma rules over log files or over an event store: parsing (or reading the store's next page) overlaps
/// detection, detections from a store are saved in it for investigations to cite, and the run is tallied by level,
/// tactic and rule.
///
/// ```swift
/// let rules = try SigmaRuleSet.load(paths: ["rules/windows"])
/// let summary = try await HuntService(rules: rules).hunt(.files(["logs/"])) { detections in print(detections.count) }
/// print(summary.detections, summary.byLevel)
/// ```
public struct HuntService: Sendable {
    /// What to hunt.
    public enum Target: Sendable {
        /// Log files or folders, parsed as `ingest` parses them (`format` forces one format).
        case files([String], format: LogFormat? = nil)
        /// The events of a store in a window (`nil`: all of them); detections are saved in the store when it keeps them.
        case store(any EventStore, window: TimeRange?)
    }

    private let engine: SigmaEngine

    /// Prepares a hunt with these rules (compiled once).
    public init(rules: SigmaRuleSet) { self.init(engine: SigmaEngine(rules: rules.rules)) }

    /// Prepares a hunt with rules already compiled (``RuleSetCache``).
    public init(engine: SigmaEngine) { self.engine = engine }

    /// Hunts `target`, handing each batch's detections to `report` in event order.
    /// - Parameters:
    ///   - target: Files or a store.
    ///   - report: Receives the detections of each batch (possibly empty batches are skipped).
    /// - Returns: The tallies, the files' rejected records and any warning (detections that could not be saved).
    /// - Throws: ``IngestError`` for unreadable inputs, ``EventStoreError`` when the store cannot be read.
    public func hunt(_ target: Target, report: ([Detection]) async throws -> Void) async throws -> HuntSummary {
        var summary = HuntSummary()
        let started = ContinuousClock.now
        func tally(_ detections: [Detection]) async throws {
            guard !detections.isEmpty else { return }
            summary.count(detections)
            try await report(detections)
        }
        switch target {
        case .store(let store, let window):
            var filter = EventFilter(timeRange: window)
            filter.limit = .max
            // The store keeps the detections for investigations to cite. If it cannot (a read-only cluster account),
            // the hunt goes on and says so once.
            var saving = store.keepsDetections
            func handle(_ found: [Detection]) async throws {
                try await tally(found)
                guard saving, !found.isEmpty else { return }
                do {
                    try await store.saveDetections(found.map(\.stored))
                } catch let error as EventStoreError {
                    saving = false
                    summary.warnings.append("detections are reported but not saved: \(error)")
                }
            }
            // The engine works on one page while the store reads the next.
            let engine = self.engine
            var pending: Task<[Detection], Never>?
            try await store.forEachEvent(filter, pageSize: 4000) { page in
                summary.events += page.count
                let detecting = Task.detached { engine.detect(page) }
                if let pending { try await handle(await pending.value) }
                pending = detecting
            }
            if let pending { try await handle(await pending.value) }
        case .files(let paths, let format):
            // Parsing runs on a task of its own, so the next batch is parsed while the engine works on this one.
            var request = IngestService.Request(
                paths: paths,
                format: format,
                options: ParseContext.Options(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))
            )
            request.batchSize = 8192
            let parsing = try ParsedBatches(request)
            try await parsing.forEachBatch { batch in
                summary.events += batch.count
                try await tally(engine.detect(batch))
            }
            summary.files = await parsing.files
        }
        summary.seconds = (ContinuousClock.now - started).timeInterval
        return summary
    }
}

/// What a hunt found, tallied.
public struct HuntSummary: Sendable {
    /// Events read.
    public var events = 0
    /// Detections by rule level.
    public var byLevel: [SigmaLevel: Int] = [:]
    /// Detections by ATT&CK tactic.
    public var byTactic: [String: Int] = [:]
    /// Detections by rule title, with the rule's level.
    public var byRule: [String: RuleTally] = [:]
    /// The files read (hunting files): events and rejected records per file.
    public var files: [IngestReport.File] = []
    /// Things that went wrong without stopping the hunt.
    public var warnings: [String] = []
    /// Wall time.
    public var seconds = 0.0

    /// One rule's detections.
    public struct RuleTally: Sendable, Equatable {
        /// The rule's level.
        public var level: SigmaLevel
        /// How many detections.
        public var count: Int
    }

    /// Every detection.
    public var detections: Int { byLevel.values.reduce(0, +) }

    /// The rules that fired most, most severe first among equals, then by title: where triage starts.
    public func topRules(_ count: Int) -> [(title: String, tally: RuleTally)] {
        byRule.sorted { ($0.value.count, $0.value.level, $1.key) > ($1.value.count, $1.value.level, $0.key) }
            .prefix(count).map { ($0.key, $0.value) }
    }

    mutating func count(_ detections: [Detection]) {
        for detection in detections {
            byLevel[detection.level, default: 0] += 1
            for tactic in detection.tactics { byTactic[tactic, default: 0] += 1 }
            byRule[detection.title, default: RuleTally(level: detection.level, count: 0)].count += 1
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
