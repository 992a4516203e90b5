import Foundation
public import SOCAgent
public import SOCDetection
public import SOCLLM
public import SOCModel
public import SOCParsers
public import SOCReports
public import SOCStore
public import SOCThreatIntel

/// socagent as a library: one entry point, built from a configuration, with the analyst's jobs as async methods —
/// investigate an alert, ingest logs, the investigation queries, Lucene search, Sigma hunting and threat intelligence.
///
/// ```swift
/// let analyst = try await SOCAnalyst(configuration: .init(store: "socagent.db", offline: true))
/// try await analyst.ingest(["/var/log/auth.log"])
/// let attacks = try await analyst.bruteForce(EventFilter(limit: 10))
/// let report = await analyst.analyze("Failed password for root from 203.0.113.7 at 2024-02-04 10:15:23")
/// print(report.severity, report.summary)
/// ```
///
/// It is the composition root the `socagent` command line uses too: the store, threat intelligence, the model and
/// the reports folder are built here from ``Configuration`` and ``AnalystEnvironment``.
public struct SOCAnalyst: Sendable {
    /// socagent's version (`socagent --version`).
    public static let version = "0.2.0"

    /// What to open; anything left `nil` comes from the environment (flag > environment > `.env` > default).
    public struct Configuration: Sendable {
        /// The event store: a SQLite path or a cluster URL (default `SOCAGENT_STORE`, `ELK_HOST`, `socagent.db`).
        public var store: String?
        /// For queries: a missing SQLite file is an error rather than a new, empty store.
        public var storeMustExist: Bool
        /// A cluster's TLS options.
        public var cluster: StoreLocation.ClusterOptions
        /// The reports folder (default `SOCAGENT_REPORT_DIR`, `./reports`).
        public var reportDirectory: String?
        /// A file holding the key reports are sealed with (else `SOCAGENT_REPORT_KEY`; neither: plain JSON).
        public var reportKeyFile: String?
        /// The intel database (default `$SOCAGENT_CACHE_DIR/intel.db`, `~/.cache/socagent/intel.db`).
        public var intelDatabase: String?
        /// No model and no Internet intelligence: the deterministic analyst with local sources and cached answers.
        public var offline: Bool
        /// Where keys, URLs and defaults are read.
        public var environment: AnalystEnvironment

        /// Creates a configuration.
        public init(
            store: String? = nil,
            storeMustExist: Bool = false,
            cluster: StoreLocation.ClusterOptions = .init(),
            reportDirectory: String? = nil,
            intelDatabase: String? = nil,
            offline: Bool = false,
            environment: AnalystEnvironment = .current()
        ) {
            self.store = store
            self.storeMustExist = storeMustExist
            self.cluster = cluster
            self.reportDirectory = reportDirectory
            self.intelDatabase = intelDatabase
            self.offline = offline
            self.environment = environment
        }

        /// The store location this configuration resolves to.
        public var storeLocation: String { environment.storeLocation(flag: store) }

        /// The reports folder this configuration resolves to.
        public var reports: ReportStore {
            ReportStore(
                directory: environment.reportDirectory(flag: reportDirectory),
                sealing: ReportSealing.resolve(keyFile: reportKeyFile, environment: environment.values)
            )
        }

        /// Opens the event store.
        /// - Throws: ``EventStoreError`` when it cannot be opened (or is missing and ``storeMustExist``).
        public func openStore() async throws -> any EventStore {
            try await StoreLocation.open(
                storeLocation,
                mustExist: storeMustExist,
                cluster: cluster,
                environment: environment
            )
        }

        /// Threat intelligence: local sources always, the online services whose keys are set unless ``offline``.
        /// - Throws: when the intel database cannot be opened.
        public func makeIntelligence() throws -> ThreatIntelService {
            try IntelConfiguration.makeService(environment: environment, databasePath: intelDatabase, offline: offline)
                .service
        }

        /// The model that drives investigations, or `nil` for the deterministic analyst (always `nil` offline).
        public func makeModel() -> (any LLMProvider)? {
            offline ? nil : AnalystConfiguration.makeProvider(environment: environment)
        }
    }

    /// The event store.
    public let store: any EventStore
    /// Threat intelligence.
    public let intelligence: ThreatIntelService
    /// The model, if one is configured.
    public let model: (any LLMProvider)?
    /// The reports folder.
    public let reports: ReportStore
    /// Folders `parse_log_file` may read during investigations; none unless the caller names them (never `/`,
    /// never dotfiles, never a SQLite file such as the store or the intel cache, whatever the folders).
    public var readableRoots: [String]
    /// Where compiled Sigma rule sets are kept between runs (hunts, triage); `nil` compiles the rules every time.
    public var ruleCache: RuleSetCache?

    /// Opens the store, threat intelligence and the model the configuration names.
    /// - Throws: ``EventStoreError`` when the store cannot be opened; an error when the intel database cannot be.
    public init(configuration: Configuration = Configuration()) async throws {
        self.init(
            store: try await configuration.openStore(),
            intelligence: try configuration.makeIntelligence(),
            model: configuration.makeModel(),
            reports: configuration.reports
        )
        ruleCache = RuleSetCache(
            directory: RuleSetCache.standardDirectory(environment: configuration.environment.values)
        )
    }

    /// An analyst over parts the caller built (tests, embedding programs with their own store).
    public init(
        store: any EventStore,
        intelligence: ThreatIntelService,
        model: (any LLMProvider)? = nil,
        reports: ReportStore,
        readableRoots: [String] = [],
        ruleCache: RuleSetCache? = nil
    ) {
        self.store = store
        self.intelligence = intelligence
        self.model = model
        self.reports = reports
        self.readableRoots = readableRoots
        self.ruleCache = ruleCache
    }

    // MARK: Investigating

    /// Investigates an alert given as text: a pasted log record is read by the ingest parsers (a year-less date is
    /// placed by the store's newest event), anything else as free text; see ``analyze(_:)-(Alert)``.
    public func analyze(_ text: String) async -> IncidentReport {
        await analyze(AlertReader.read(text: text, referenceTime: await referenceTime()))
    }

    /// "Now" for reading alerts: the time of the store's newest event (logs under investigation are often old),
    /// else the current time.
    public func referenceTime() async -> Timestamp {
        let now = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        let newest = try? await store.search(.all, filter: EventFilter(limit: 1), now: now).events.first?.timestamp
        return newest.flatMap { $0 } ?? now
    }

    /// Investigates an alert: the deterministic analyst, and the model over it when one is configured (it can raise
    /// the severity, never lower it). The report is returned, not written (see ``save(_:)``).
    public func analyze(_ alert: Alert) async -> IncidentReport {
        if let model {
            // Local models have small contexts: shorter tool results for them.
            let budget =
                model.kind == .openAICompatible
                ? InvestigationBudget(turns: 6, resultBytes: 1500) : InvestigationBudget()
            return await ModelAnalyst(provider: model, budget: budget)
                .investigate(alert, store: store, intel: intelligence, readableRoots: readableRoots)
        }
        return await DeterministicAnalyst().investigate(
            alert,
            store: store,
            intel: intelligence,
            readableRoots: readableRoots
        )
    }

    /// Writes a report to the reports folder (`INC-YYYYMMDD-HHMMSS.json`, mode 0600, never overwriting).
    /// - Returns: The report with its id, and its path.
    public func save(_ report: IncidentReport) throws -> (report: IncidentReport, path: String) {
        try reports.write(report)
    }

    // MARK: Events

    /// Parses log files or folders into the store.
    /// - Parameters:
    ///   - paths: Files, folders (recursive) or `-` for standard input; `.gz` is read compressed.
    ///   - format: One format for every file instead of sniffing each.
    /// - Returns: What was stored and rejected, per file.
    @discardableResult
    public func ingest(_ paths: [String], format: LogFormat? = nil) async throws -> IngestReport {
        let request = IngestService.Request(
            paths: paths,
            format: format,
            options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))
        )
        return try await IngestService(store: store).run(request)
    }

    /// Failed logins, newest first.
    public func failedLogins(_ filter: EventFilter) async throws -> [EventSummary] {
        try await store.failedLogins(filter)
    }

    /// Process starts and PowerShell activity a process rule flags, newest first.
    public func suspiciousProcesses(_ filter: EventFilter) async throws -> [ProcessFinding] {
        try await store.suspiciousProcesses(filter)
    }

    /// Connections to public destinations (all destinations with `includePrivate`), newest first.
    public func networkConnections(_ filter: EventFilter, includePrivate: Bool = false) async throws -> [EventSummary] {
        try await store.networkConnections(filter, includePrivate: includePrivate)
    }

    /// Failed logins by source address, most failures first, with the successes that followed.
    public func bruteForce(_ filter: EventFilter, minimumFailures: Int = 5) async throws -> [BruteForceSource] {
        try await store.bruteForce(filter, minimumFailures: minimumFailures)
    }

    /// Events matching a Lucene `query_string`: the exact total and the newest `filter.limit` events.
    /// - Throws: ``LuceneSyntaxError`` for a bad query, ``EventStoreError`` when the store fails.
    public func search(_ lucene: String, filter: EventFilter = EventFilter()) async throws -> SearchResult {
        let now = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        return try await store.search(try LuceneParser.parse(lucene), filter: filter, now: now)
    }

    /// Runs Sigma rules over log files or over the store (whose detections are then saved for investigations).
    /// - Parameters:
    ///   - rules: Rule files or folders.
    ///   - logs: Log files to hunt; empty hunts the store, in `window` (`nil`: all of it).
    /// - Returns: The detections, in event order, and the tallies (with any rule-cache problem among the warnings).
    public func hunt(
        rules: [String],
        logs: [String] = [],
        window: TimeRange? = nil
    ) async throws -> (detections: [Detection], summary: HuntSummary) {
        let prepared = try prepareRules(rules)
        var detections: [Detection] = []
        var summary = try await HuntService(engine: prepared.engine).hunt(
            logs.isEmpty ? .store(store, window: window) : .files(logs)
        ) { detections += $0 }
        if let warning = prepared.cacheWarning { summary.warnings.insert(warning, at: 0) }
        return (detections, summary)
    }

    /// The Sigma rules under `paths`, compiled, from ``ruleCache`` when there is one and it holds them.
    /// - Throws: ``SigmaDiagnostic`` for a path that does not exist.
    public func prepareRules(_ paths: [String]) throws -> PreparedRules {
        try ruleCache?.prepare(paths: paths, filter: SigmaRuleFilter())
            ?? PreparedRules.compile(paths: paths, filter: SigmaRuleFilter())
    }

    // MARK: Threat intelligence

    /// Looks up an indicator (an IP, hash, domain or CVE) in every configured source, cached.
    public func lookup(_ indicator: IntelIndicator) async -> IntelReport { await intelligence.lookup(indicator) }
}
