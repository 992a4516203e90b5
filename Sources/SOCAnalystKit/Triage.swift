import Foundation
public import SOCAgent
public import SOCDetection
public import SOCModel
import SOCParsers
public import SOCStore
import SOCStoreElasticsearch
import SOCStoreSQLite
public import SOCTriage

/// What `socagent triage` is asked to do.
public struct TriageRequest: Sendable {
    /// Log files or folders to ingest first.
    public var logs: [String] = []
    /// Sigma rule files or folders to hunt new events with (none: the behavioural detections only).
    public var rules: [String] = []
    /// Folders whose alert files (JSON, JSON lines: Elastic Security alerts, Sentinel incidents, ECS events) are read.
    public var inboxes: [String] = []
    /// Read alerts from standard input as well.
    public var standardInput = false
    /// How triage works (window, grouping, parallel investigations).
    public var options = TriageService.Options()
    /// Where triage keeps its state when the store is a cluster: a SQLite file, or nil for the cluster's own
    /// `socagent-triage-*` indices.
    public var statePath: String?

    public init() {}
}

extension SOCAnalyst {
    /// The triage loop over this analyst's store, intelligence, model and reports folder.
    /// - Throws: ``EventStoreError`` when the state file cannot be opened; ``SigmaLoadError``-style errors for rules.
    public func triageService(_ request: TriageRequest) throws -> TriageService {
        let ledger = try Self.triageLedger(of: store, statePath: request.statePath)
        var hunter: TriageService.Hunter?
        if !request.rules.isEmpty {
            // A cache problem costs a compile and nothing else; `socagent hunt` is where it is reported.
            let hunt = HuntService(engine: try prepareRules(request.rules).engine)
            let store = self.store
            hunter = { window in _ = try await hunt.hunt(.store(store, window: window)) { _ in } }
        }
        let store = self.store
        let intelligence = self.intelligence
        let model = self.model
        let roots = readableRoots
        return TriageService(
            store: store,
            ledger: ledger,
            feed: store as? any StoreChangeFeed,
            reports: reports,
            options: request.options,
            hunter: hunter,
            behaviourScans: BehaviourScans.standard,
            investigator: { incident, alerts in
                if let model {
                    return await ModelAnalyst(provider: model).investigate(
                        incident: incident,
                        alerts: alerts,
                        store: store,
                        intel: intelligence,
                        readableRoots: roots
                    )
                }
                return await DeterministicAnalyst().investigate(
                    incident: incident,
                    alerts: alerts,
                    store: store,
                    intel: intelligence,
                    readableRoots: roots
                )
            }
        )
    }
}

/// Alert files: every record of a JSON or JSON-lines file (or standard input) as an ``Alert``.
public enum AlertFiles {
    /// What reading alert files gave: the alerts, the cursors that mark the files read, and what was refused.
    public struct Batch: Sendable {
        public var alerts: [Alert] = []
        public var cursors: [String: String] = [:]
        /// `file:line:column: reason` for records that could not be read (the others are kept).
        public var problems: [String] = []

        public init() {}
    }

    /// The files in `folders` (not hidden, not temporary) that changed since their cursor, read as alerts.
    /// - Parameter cursor: The recorded cursor of a file (`size:mtime`), or nil.
    public static func read(
        folders: [String],
        referenceTime: Timestamp,
        cursor: (String) async throws -> String?
    ) async throws -> Batch {
        var batch = Batch()
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") && !name.hasSuffix(".tmp") && !name.hasSuffix(".part")
            {
                let path = folder + "/" + name
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                    (attributes[.type] as? FileAttributeType) == .typeRegular
                else { continue }
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                let mark = "\(size):\(modified)"
                let key = "inbox:" + path
                if try await cursor(key) == mark { continue }
                read(path: path, referenceTime: referenceTime, into: &batch)
                batch.cursors[key] = mark
            }
        }
        return batch
    }

    /// Every record of `path` (`-`: standard input) as an alert, into `batch`.
    public static func read(path: String, referenceTime: Timestamp, into batch: inout Batch) {
        do {
            var reader = try EventFileReader(path: path, options: .init(referenceTime: referenceTime))
            try collect(&reader, name: path, into: &batch)
        } catch {
            batch.problems.append("\(path): \(error)")
        }
    }

    /// Every record of `text` (a posted body: JSON, JSON lines or plain text) as an alert, into `batch`; problems
    /// are named `name:line:column`.
    public static func read(text: String, name: String, referenceTime: Timestamp, into batch: inout Batch) {
        do {
            var reader = try EventFileReader(text: text, name: name, options: .init(referenceTime: referenceTime))
            try collect(&reader, name: name, into: &batch)
        } catch {
            batch.problems.append("\(name): \(error)")
        }
    }

    private static func collect(_ reader: inout EventFileReader, name: String, into batch: inout Batch) throws {
        while let events = try reader.nextBatch() {
            batch.alerts += events.map(Alert.init(record:))
        }
        batch.problems += reader.summary.errors.prefix(20).map { "\(name):\($0.line):\($0.column ?? 1): \($0.reason)" }
    }
}

extension SOCAnalyst {
    /// Opens the triage state in a SQLite file (a socagent store) for reading and updating incidents.
    /// - Throws: ``EventStoreError`` when it cannot be opened.
    public static func openTriageLedger(path: String) throws -> any TriageLedger {
        try SQLiteEventStore(path: path)
    }

    /// Where triage over `store` keeps its state: the SQLite store's own tables; for a cluster, the SQLite file
    /// `statePath` when one is given, else the cluster's own `socagent-triage-*` indices.
    /// - Throws: ``EventStoreError`` when the state file cannot be opened.
    public static func triageLedger(of store: any EventStore, statePath: String?) throws -> any TriageLedger {
        if let sqlite = store as? SQLiteEventStore { return sqlite }
        if let statePath { return try SQLiteEventStore(path: statePath) }
        if let cluster = store as? ElasticsearchEventStore { return cluster.triageLedger() }
        throw EventStoreError(.cannotOpen, "this store keeps no triage state; give a state file with --state")
    }
}
