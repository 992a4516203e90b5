import Foundation
public import SOCDetection
public import SOCModel
import SOCReports
import SOCStore
import SOCStoreSQLite
import SOCThreatIntel
import SOCTriage

/// Triage measured on labelled attack captures: each capture alone — ingested into a fresh store, hunted with the
/// given Sigma rules, triaged offline — and the most severe incident it yields, by tactic.
public enum CaptureEvaluation {
    /// One capture's outcome.
    public struct Capture: Sendable, Codable {
        /// The JSON-lines file, relative to its data set.
        public var path: String
        /// The tactic folder it is filed under (`Credential Access`), or the folder name when it has none.
        public var tactic: String
        /// Events read.
        public var events: Int
        /// Alerts triage recorded.
        public var alerts: Int
        /// Incidents it made.
        public var incidents: Int
        /// The most severe incident's severity (nil: no incident).
        public var severity: Severity?
        /// The rubric rules behind the most severe incident's top findings.
        public var rules: [String]
    }

    /// All captures' outcomes, with the share that yields a MEDIUM-or-higher incident by tactic.
    public struct Result: Sendable, Codable {
        public var captures: [Capture]
        /// Tactic → (captures, MEDIUM+).
        public var byTactic: [String: [Int]]
        /// Captures with a MEDIUM+ incident over all captures.
        public var mediumOrHigher: Int
        public var total: Int

        enum CodingKeys: String, CodingKey {
            case captures
            case byTactic = "by_tactic"
            case mediumOrHigher = "medium_or_higher"
            case total
        }
    }

    /// The captures of the data sets' manifests (`manifest.csv`: the `jsonl` column), leaving out `Antivirus`.
    public static func captures(in dataSets: [String]) throws -> [(path: String, tactic: String)] {
        var found: [(String, String)] = []
        for dataSet in dataSets {
            let jsonl = dataSet + "/jsonl"
            let files = (FileManager.default.enumerator(atPath: jsonl)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".jsonl") }.sorted()
            for file in files {
                let folder = String(file.prefix { $0 != "/" })
                guard folder != "Antivirus", file.contains("/") else { continue }
                // `TA0006-Credential Access` → `Credential Access`.
                var tactic = folder
                if tactic.hasPrefix("TA"), let dash = tactic.firstIndex(of: "-") {
                    tactic = String(tactic[tactic.index(after: dash)...])
                }
                found.append((jsonl + "/" + file, tactic.capitalized))
            }
        }
        return found
    }

    /// Triages each capture alone with `rules` and reports the most severe incident of each.
    public static func run(
        captures: [(path: String, tactic: String)],
        rules: SigmaRuleSet,
        scratch: String,
        progress: (Capture) -> Void = { _ in }
    ) async throws -> Result {
        let hunt = HuntService(rules: rules)
        var results: [Capture] = []
        for (index, capture) in captures.enumerated() {
            // Each capture's parsing and rule work runs on a shared thread: let other tasks in between.
            await Task.yield()
            let folder = scratch + "/capture-\(index)"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let store = try SQLiteEventStore(path: folder + "/store.db")
            let database = try IntelDatabase(path: folder + "/intel.db")
            let analyst = SOCAnalyst(
                store: store,
                intelligence: ThreatIntelService(database: database, providers: [], offline: true),
                reports: ReportStore(directory: folder + "/reports")
            )
            let ingested = try await analyst.ingest([capture.path])
            _ = try await hunt.hunt(.store(store, window: nil)) { _ in }
            let pass = try await analyst.triageService(TriageRequest()).run(
                now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
            )
            let incidents = try await store.incidents(IncidentQuery(limit: 10_000))
            let worst = incidents.max { ($0.severity ?? .low) < ($1.severity ?? .low) }
            var rules: [String] = []
            if let worst, let report = try? analyst.reports.read(id: worst.id) {
                for rule in report.findings.filter({ $0.severity == report.severity }).compactMap(\.rule) {
                    rules.appendOnce(rule)
                }
            }
            let result = Capture(
                path: capture.path,
                tactic: capture.tactic,
                events: ingested.files.reduce(0) { $0 + $1.events },
                alerts: pass.alerts,
                incidents: incidents.count,
                severity: worst?.severity,
                rules: rules
            )
            progress(result)
            results.append(result)
        }
        var byTactic: [String: [Int]] = [:]
        for capture in results {
            var counts = byTactic[capture.tactic] ?? [0, 0]
            counts[0] += 1
            if (capture.severity ?? .low) >= .medium { counts[1] += 1 }
            byTactic[capture.tactic] = counts
        }
        return Result(
            captures: results,
            byTactic: byTactic,
            mediumOrHigher: results.filter { ($0.severity ?? .low) >= .medium }.count,
            total: results.count
        )
    }
}
