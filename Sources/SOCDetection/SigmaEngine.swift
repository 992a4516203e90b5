public import Foundation
public import SOCModel
public import SOCStore
import Synchronization

/// Rules loaded from files, and why the others were not.
public struct SigmaRuleSet: Sendable {
    /// The rules that compiled.
    public var rules: [SigmaRule]
    /// The rules that did not, each with its reason.
    public var diagnostics: [SigmaDiagnostic]

    /// A set of these rules and diagnostics.
    public init(rules: [SigmaRule], diagnostics: [SigmaDiagnostic]) {
        self.rules = rules
        self.diagnostics = diagnostics
    }

    /// Loads every `.yml`/`.yaml` file under `paths` (files or directories, recursively).
    public static func load(paths: [String], logSources: LogSourceMap = .bundled) throws -> SigmaRuleSet {
        load(files: try read(paths: paths), logSources: logSources)
    }

    /// Loads rules already read (``read(paths:)``): each file's path and its bytes (`nil`: it could not be read).
    public static func load(
        files: [(path: String, contents: Data?)],
        logSources: LogSourceMap = .bundled
    )
        -> SigmaRuleSet
    {
        // Parsed on every core (each YAML parser is independent); results keep the file order.
        SigmaRuleSet(
            concurrentMap(files.count) {
                parse(file: files[$0].path, contents: files[$0].contents, logSources: logSources)
            }
        )
    }

    /// Reads every `.yml`/`.yaml` file under `paths` (files or directories, recursively, each directory's in name
    /// order), on every core: each file's path and its bytes, `nil` for a file that cannot be read.
    /// - Throws: ``SigmaDiagnostic`` for a path that does not exist.
    public static func read(paths: [String]) throws -> [(path: String, contents: Data?)] {
        let files = try ruleFiles(paths: paths)
        let contents = concurrentMap(files.count) { FileManager.default.contents(atPath: files[$0]) }
        return Array(zip(files, contents))
    }

    private static func ruleFiles(paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw SigmaDiagnostic(path: path, reason: "no such file or directory")
            }
            if isDirectory.boolValue {
                let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
                files += found.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    private static func parse(
        file: String,
        contents: Data?,
        logSources: LogSourceMap
    )
        -> Result<SigmaRule, SigmaDiagnostic>
    {
        guard let contents, let text = String(data: contents, encoding: .utf8) else {
            return .failure(SigmaDiagnostic(path: file, reason: "cannot read the file as UTF-8"))
        }
        return SigmaRule.load(yaml: text, path: file, logSources: logSources)
    }

    private init(_ results: [Result<SigmaRule, SigmaDiagnostic>]) {
        (rules, diagnostics) = ([], [])
        for result in results {
            switch result {
            case .success(let rule): rules.append(rule)
            case .failure(let diagnostic): diagnostics.append(diagnostic)
            }
        }
    }

    /// Keeps the rules at or above `level`, with one of `statuses` and one of `tags` (each filter optional).
    public func filtered(minimumLevel: SigmaLevel?, statuses: Set<String>?, tags: Set<String>?) -> SigmaRuleSet {
        let floor = minimumLevel ?? .informational
        return SigmaRuleSet(
            rules: rules.filter { rule in
                rule.level >= floor && (statuses.map { $0.contains(rule.status) } ?? true)
                    && (tags.map { wanted in rule.tags.contains { wanted.contains($0.lowercased()) } } ?? true)
            },
            diagnostics: diagnostics
        )
    }
}

/// Which of the loaded rules to run: `hunt --level/--status/--tags`.
public struct SigmaRuleFilter: Sendable, Hashable {
    /// Only rules at or above this level.
    public var minimumLevel: SigmaLevel?
    /// Only rules with one of these statuses.
    public var statuses: Set<String>?
    /// Only rules with one of these tags (lower case).
    public var tags: Set<String>?

    /// A filter; `nil` parts keep every rule.
    public init(minimumLevel: SigmaLevel? = nil, statuses: Set<String>? = nil, tags: Set<String>? = nil) {
        (self.minimumLevel, self.statuses, self.tags) = (minimumLevel, statuses, tags)
    }

    /// The filter as text that differs whenever the filter does (a cache key part).
    public var key: String {
        func list(_ values: Set<String>?) -> String {
            values.map { $0.sorted().map { "\($0.utf8.count):\($0)" }.joined(separator: ",") } ?? "-"
        }
        return "level=\(minimumLevel?.rawValue ?? "-");statuses=\(list(statuses));tags=\(list(tags))"
    }

    /// The rules of `set` this filter keeps.
    public func apply(to set: SigmaRuleSet) -> SigmaRuleSet {
        set.filtered(minimumLevel: minimumLevel, statuses: statuses, tags: tags)
    }
}

/// A rule that matched an event.
public struct Detection: Sendable, Codable, Hashable {
    /// The rule id.
    public var ruleID: String
    /// The rule title.
    public var title: String
    /// The rule level.
    public var level: SigmaLevel
    /// ATT&CK technique ids from the rule's tags.
    public var techniques: [String]
    /// ATT&CK tactics from the rule's tags (`execution`, `privilege-escalation`).
    public var tactics: [String]
    /// All the rule's tags.
    public var tags: [String]
    /// The matched event's id.
    public var eventID: String
    /// The event's time, ISO 8601.
    public var timestamp: String?
    /// The event's host.
    public var host: String?
    /// The values of the fields the rule tests, as the event has them.
    public var fields: [String: String]

    enum CodingKeys: String, CodingKey {
        case ruleID = "rule_id"
        case title, level, techniques, tactics, tags
        case eventID = "event_id"
        case timestamp, host, fields
    }

    /// The detection as an event store keeps it.
    public var stored: StoredDetection {
        StoredDetection(
            ruleID: ruleID,
            title: title,
            level: level,
            techniques: techniques,
            eventID: eventID,
            timestamp: timestamp,
            host: host,
            fields: fields
        )
    }
}

/// Runs a rule set over events. Rules are compiled once (selections by index, fields by slot) and bucketed by the
/// channel and event id of their log source, so an event meets only the rules that can match it. Within those
/// buckets, a literal prefilter (one Aho–Corasick pass over each of the event's fields that some rule needs a literal
/// in) skips the rules whose required literals the event lacks. An event's detections come in rule order.
public final class SigmaEngine: @unchecked Sendable {
    // Immutable after init; detecting only reads it (each thread has its own ``Scratch``). Internal rather than
    // private for ``archive()`` and `init(archive:)`.
    let registry: FieldRegistry
    /// Per rule, what a detection reports of it.
    let rules: [RuleSummary]
    /// Per compiled scope, when it applies and what it reports.
    let scopes: [ScopeSummary]
    /// Every (rule scope, bucket) pair, in rule order; a rule's detections follow this order.
    let entries: [Entry]
    /// Per entry, its bucket.
    let entryBucket: [Int32]
    /// Per entry, the bit mask of its prefilter clauses (all must be satisfied); 0 for entries always evaluated.
    let entryMask: [UInt8]
    /// By required literal id, where its postings start in ``postings`` (one more element than literals).
    let postingStart: [Int32]
    /// The (entry, clause bit) pairs each literal satisfies, grouped by literal.
    let postings: [Posting]
    /// Bucket numbers by log-source key (`security|4688`, `security|*`, `*`, `format:auditd`).
    let bucketNumbers: [String: Int32]
    /// Per bucket, the entries without prefilter clauses.
    let alwaysEvaluated: [[Int32]]
    /// By event field, the automaton of the literals required in it (an index in ``automatonList``).
    let automata: [FieldKey: Int32]
    let automatonList: [LiteralAutomaton]
    /// The automaton of keyword literals, run over the message and the original record.
    let fullTextAutomaton: LiteralAutomaton?
    let literalCount: Int
    /// The conditions of every scope, laid out flat.
    let program: RuleProgram
    /// Scratch spaces kept between batches (one per thread detecting at a time), so a batch neither allocates and
    /// zeroes them again nor forgets the routes and field automata they have learned.
    private let scratches = ScratchPool()

    /// What a detection reports of its rule.
    struct RuleSummary {
        let id: String
        let title: String
        let level: SigmaLevel
        let techniques: [String]
        let tactics: [String]
        let tags: [String]
    }

    /// A compiled scope: the events it applies to, and the rule's fields (Sigma names) and their slots, to report
    /// what matched. A class: every candidate entry reads it, and copying a reference costs one retain where copying
    /// the alternative's sets and strings cost seven.
    final class ScopeSummary: Sendable {
        let alternative: LogSourceMap.Alternative
        let reported: [(name: String, slot: Int)]

        init(alternative: LogSourceMap.Alternative, reported: [(name: String, slot: Int)]) {
            self.alternative = alternative
            self.reported = reported
        }
    }

    struct Entry: BitwiseCopyable {
        /// The rule's position in the rule set, to report each rule once per event.
        let ruleNumber: Int32
        /// An index in ``scopes``.
        let scope: Int32
        /// The scope's condition in ``program``.
        let root: Int32
    }

    struct Posting: BitwiseCopyable {
        let entry: Int32
        let bit: UInt8
    }

    /// Creates an engine for `rules`.
    public convenience init(rules: [SigmaRule], logSources: LogSourceMap = .bundled) {
        self.init(rules: rules, logSources: logSources, prefilter: true)
    }

    /// Creates an engine; without the prefilter every rule of a bucket is evaluated (the reference the prefilter is
    /// tested against).
    convenience init(rules: [SigmaRule], logSources: LogSourceMap, prefilter: Bool) {
        let registry = FieldRegistry()
        var scopes: [CompiledScope] = []
        var entryScopes: [(ruleNumber: Int32, scope: Int32)] = []
        var entryBucket: [Int32] = []
        var entryMask: [UInt8] = []
        var bucketNumbers: [String: Int32] = [:]
        var alwaysEvaluated: [[Int32]] = []
        var literalIDs: [RequiredLiteral: Int32] = [:]
        var literalPostings: [[Posting]] = []
        for (ruleNumber, rule) in rules.enumerated() {
            let compiled = CompiledRule(rule, registry: registry, logSources: logSources)
            for scope in compiled.scopes {
                // A scope in several buckets (one per event id) is laid out once.
                scopes.append(scope)
                let clauses = (prefilter ? scope.condition.requirement(scope.selections) : nil)?.clauses ?? []
                for key in Self.keys(scope.alternative) {
                    let bucket = bucketNumbers[key] ?? Int32(bucketNumbers.count)
                    if bucketNumbers[key] == nil {
                        bucketNumbers[key] = bucket
                        alwaysEvaluated.append([])
                    }
                    let entry = Int32(entryScopes.count)
                    entryScopes.append((Int32(ruleNumber), Int32(scopes.count - 1)))
                    entryBucket.append(bucket)
                    entryMask.append(UInt8(truncatingIfNeeded: (1 << clauses.count) - 1))
                    if clauses.isEmpty { alwaysEvaluated[Int(bucket)].append(entry) }
                    for (number, clause) in clauses.enumerated() {
                        for literal in clause {
                            let id = literalIDs[literal] ?? Int32(literalIDs.count)
                            if literalIDs[literal] == nil {
                                literalIDs[literal] = id
                                literalPostings.append([])
                            }
                            literalPostings[Int(id)].append(Posting(entry: entry, bit: UInt8(1 << number)))
                        }
                    }
                }
            }
        }
        var postingStart: [Int32] = [0]
        for list in literalPostings { postingStart.append(postingStart[postingStart.count - 1] + Int32(list.count)) }
        // A literal goes to every event field its slot may be read from: scanning a field the slot would not prefer
        // can only add candidates, never lose one.
        var literalsByField: [FieldKey: [(id: Int32, bytes: [UInt8])]] = [:]
        var fullTextLiterals: [(id: Int32, bytes: [UInt8])] = []
        for (literal, id) in literalIDs {
            if literal.slot == RequiredLiteral.fullText {
                fullTextLiterals.append((id, literal.bytes))
                continue
            }
            for key in registry.candidates[literal.slot] {
                literalsByField[key, default: []].append((id, literal.bytes))
            }
        }
        // Fields that are candidates of the same slots (process.command_line and winlog.event_data.CommandLine) have
        // the same literals: they share one automaton.
        var shared: [[Int32]: Int32] = [:]
        var literalSets: [[(id: Int32, bytes: [UInt8])]] = []
        let automata = literalsByField.mapValues { literals in
            let sorted = literals.sorted { $0.id < $1.id }
            let ids = sorted.map(\.id)
            if let index = shared[ids] { return index }
            literalSets.append(sorted)
            shared[ids] = Int32(literalSets.count - 1)
            return Int32(literalSets.count - 1)
        }
        if !fullTextLiterals.isEmpty { literalSets.append(fullTextLiterals.sorted { $0.id < $1.id }) }
        // Built on every core: the command-line automaton alone is a third of compiling the SigmaHQ rules.
        var built = LiteralAutomaton.build(literalSets)
        let fullTextAutomaton = fullTextLiterals.isEmpty ? nil : built.removeLast()
        let program = RuleProgram(scopes)
        self.init(
            registry: registry,
            rules: rules.map {
                RuleSummary(
                    id: $0.id,
                    title: $0.title,
                    level: $0.level,
                    techniques: $0.techniques,
                    tactics: $0.tactics,
                    tags: $0.tags
                )
            },
            scopes: scopes.map { ScopeSummary(alternative: $0.alternative, reported: $0.reported) },
            entries: entryScopes.map {
                Entry(ruleNumber: $0.ruleNumber, scope: $0.scope, root: program.roots[Int($0.scope)])
            },
            entryBucket: entryBucket,
            entryMask: entryMask,
            postingStart: postingStart,
            postings: literalPostings.flatMap { $0 },
            bucketNumbers: bucketNumbers,
            alwaysEvaluated: alwaysEvaluated,
            automata: automata,
            automatonList: built,
            fullTextAutomaton: fullTextAutomaton,
            literalCount: literalIDs.count,
            program: program
        )
    }

    /// An engine from its parts, compiled or read from an archive.
    init(
        registry: FieldRegistry,
        rules: [RuleSummary],
        scopes: [ScopeSummary],
        entries: [Entry],
        entryBucket: [Int32],
        entryMask: [UInt8],
        postingStart: [Int32],
        postings: [Posting],
        bucketNumbers: [String: Int32],
        alwaysEvaluated: [[Int32]],
        automata: [FieldKey: Int32],
        automatonList: [LiteralAutomaton],
        fullTextAutomaton: LiteralAutomaton?,
        literalCount: Int,
        program: RuleProgram
    ) {
        self.registry = registry
        self.rules = rules
        self.scopes = scopes
        self.entries = entries
        self.entryBucket = entryBucket
        self.entryMask = entryMask
        self.postingStart = postingStart
        self.postings = postings
        self.bucketNumbers = bucketNumbers
        self.alwaysEvaluated = alwaysEvaluated
        self.automata = automata
        self.automatonList = automatonList
        self.fullTextAutomaton = fullTextAutomaton
        self.literalCount = literalCount
        self.program = program
    }

    /// The number of rules the engine runs.
    public var ruleCount: Int { rules.count }

    private static func keys(_ alternative: LogSourceMap.Alternative) -> [String] {
        if let channel = alternative.channel {
            return alternative.eventIDs.isEmpty
                ? ["\(channel)|*"] : alternative.eventIDs.sorted().map { "\(channel)|\($0)" }
        }
        if let format = alternative.format { return ["format:\(format)"] }
        return ["*"]
    }

    /// One thread's working memory, reused from event to event so that detecting allocates little.
    /// One thread's working memory while detecting. `@unchecked Sendable`: it moves between threads only through
    /// ``ScratchPool``, and only the thread that took it uses it until it is given back.
    final class Scratch: @unchecked Sendable {
        let slots: SlotCache
        /// Literal ids found in the current event (may repeat).
        var hits: [Int32] = []
        /// Per literal, the event generation it was last handled in (each literal is handled once per event).
        var literalStamps: [UInt32]
        var generation: UInt32 = 0
        /// Per entry, the clause bits satisfied in the current event; only ``touched`` entries are non-zero.
        var satisfied: [UInt8]
        var touched: [Int32] = []
        var candidates: [Int32] = []
        /// Per bucket, whether the current event belongs to it.
        var active: [Bool]
        var matchedRules: [Int32] = []
        /// The buckets of each (channel, event code, format) seen so far.
        var routes: [Route: [Int32]] = [:]
        /// The automaton of each event field seen so far (an index in ``automatonList``, -1 for none), for at most
        /// ``maximumRememberedFields`` names.
        var fieldAutomata: [FieldKey: Int32] = [:]
        static let maximumRememberedFields = 4_096

        init(engine: SigmaEngine) {
            slots = SlotCache(slots: engine.registry.candidates.count)
            literalStamps = Array(repeating: 0, count: engine.literalCount)
            satisfied = Array(repeating: 0, count: engine.entries.count)
            active = Array(repeating: false, count: engine.alwaysEvaluated.count)
        }
    }

    struct Route: Hashable {
        let channel: String?
        let code: String?
        let format: String?
    }

    /// The detections for one event (each rule at most once).
    public func detect(_ event: SecurityEvent) -> [Detection] {
        detect(event, scratch: Scratch(engine: self))
    }

    private func detect(_ event: SecurityEvent, scratch: Scratch) -> [Detection] {
        let view = EventView(event, registry: registry, cache: scratch.slots)
        let route = Route(channel: view.lowerChannel, code: view.eventCode, format: view.format)
        let buckets =
            scratch.routes[route]
            ?? {
                let keys =
                    ["\(route.channel ?? "")|\(route.code ?? "")", "\(route.channel ?? "")|*", "*"]
                    + (route.format.map { ["format:\($0)"] } ?? [])
                let found = keys.compactMap { bucketNumbers[$0] }
                scratch.routes[route] = found
                return found
            }()
        guard !buckets.isEmpty else { return [] }
        for bucket in buckets { scratch.active[Int(bucket)] = true }
        collectLiteralHits(event, into: scratch)
        // An entry is a candidate when every one of its clauses has a literal that occurred.
        scratch.generation &+= 1
        if scratch.generation == 0 {  // wrapped: forget every stamp
            scratch.generation = 1
            for index in scratch.literalStamps.indices { scratch.literalStamps[index] = 0 }
        }
        for id in scratch.hits where scratch.literalStamps[Int(id)] != scratch.generation {
            scratch.literalStamps[Int(id)] = scratch.generation
            for index in Int(postingStart[Int(id)])..<Int(postingStart[Int(id) + 1]) {
                let posting = postings[index]
                let entry = Int(posting.entry)
                guard scratch.active[Int(entryBucket[entry])] else { continue }
                if scratch.satisfied[entry] == 0 { scratch.touched.append(posting.entry) }
                scratch.satisfied[entry] |= posting.bit
            }
        }
        scratch.candidates.removeAll(keepingCapacity: true)
        for entry in scratch.touched {
            if scratch.satisfied[Int(entry)] == entryMask[Int(entry)] { scratch.candidates.append(entry) }
            scratch.satisfied[Int(entry)] = 0
        }
        scratch.touched.removeAll(keepingCapacity: true)
        for bucket in buckets {
            scratch.candidates += alwaysEvaluated[Int(bucket)]
            scratch.active[Int(bucket)] = false
        }
        guard !scratch.candidates.isEmpty else { return [] }
        scratch.candidates.sort()
        var detections: [Detection] = []
        scratch.matchedRules.removeAll(keepingCapacity: true)
        for index in scratch.candidates {
            let entry = entries[Int(index)]
            let scope = scopes[Int(entry.scope)]
            guard !scratch.matchedRules.contains(entry.ruleNumber), scope.alternative.covers(view),
                program.evaluate(entry.root, view)
            else { continue }
            scratch.matchedRules.append(entry.ruleNumber)
            detections.append(detection(rules[Int(entry.ruleNumber)], scope: scope, view: view))
        }
        return detections
    }

    /// Puts into `scratch.hits` the ids of the required literals that occur in the event's fields (lower-cased).
    /// Event-data names written with spaces ("Threat Name") are scanned as Sigma writes them (ThreatName).
    private func collectLiteralHits(_ event: SecurityEvent, into scratch: Scratch) {
        scratch.hits.removeAll(keepingCapacity: true)
        event.fields.forEachKeyed { key, value in
            let index =
                scratch.fieldAutomata[key]
                ?? {
                    var found = automata[key]
                    if found == nil, key.name.contains(" ") {
                        found = automata[FieldKey(EventView.spaceless(key.name))]
                    }
                    // Field names come from the logs: the memo stops growing rather than hold every name a log invents.
                    if scratch.fieldAutomata.count < Scratch.maximumRememberedFields {
                        scratch.fieldAutomata[key] = found ?? -1
                    }
                    return found ?? -1
                }()
            guard index >= 0 else { return }
            let automaton = automatonList[Int(index)]
            value.forEachString { automaton.scan($0, into: &scratch.hits) }
        }
        if let fullTextAutomaton {
            if let message = event.fields[EventView.messageKey]?.stringValue {
                fullTextAutomaton.scan(message, into: &scratch.hits)
            }
            fullTextAutomaton.scan(event.original, into: &scratch.hits)
        }
    }

    /// The detections for a batch of events, in event order, on `threads` workers (by default one per active
    /// processor core).
    ///
    /// The workers claim the batch a slice of ``detectionSlice`` events at a time rather than half each: a worker
    /// that shares its core with other work (the parser of the next batch) takes fewer slices, and no core waits
    /// for it at the end of the batch.
    public func detect(_ events: [SecurityEvent], threads: Int? = nil) -> [Detection] {
        let workers = min(threads ?? ProcessInfo.processInfo.activeProcessorCount, events.count / 64)
        guard workers > 1 else {
            let scratch = scratches.take() ?? Scratch(engine: self)
            defer { scratches.give(scratch) }
            return events.flatMap { detect($0, scratch: scratch) }
        }
        let slices = (events.count + Self.detectionSlice - 1) / Self.detectionSlice
        let found = concurrentMap(slices, workers: workers) {
            scratches.take() ?? Scratch(engine: self)
        } _: { slice, scratch in
            var found: [Detection] = []
            for event in events[slice * Self.detectionSlice..<min(events.count, (slice + 1) * Self.detectionSlice)] {
                found += detect(event, scratch: scratch)
            }
            return found
        } finish: { scratch in
            scratches.give(scratch)
        }
        return found.flatMap { $0 }
    }

    /// How many events a worker claims at a time.
    static let detectionSlice = 256

    /// Scratch spaces not in use.
    private final class ScratchPool: Sendable {
        private let idle = Mutex<[Scratch]>([])

        func take() -> Scratch? { idle.withLock { $0.popLast() } }

        func give(_ scratch: Scratch) { idle.withLock { $0.append(scratch) } }
    }

    private func detection(_ sigma: RuleSummary, scope: ScopeSummary, view: EventView) -> Detection {
        var fields: [String: String] = [:]
        for (name, slot) in scope.reported {
            if let value = view.strings(slot: slot).first { fields[name] = value }
        }
        let event = view.event
        return Detection(
            ruleID: sigma.id,
            title: sigma.title,
            level: sigma.level,
            techniques: sigma.techniques,
            tactics: sigma.tactics,
            tags: sigma.tags,
            eventID: event.id.hex,
            timestamp: event.timestamp?.iso8601,
            host: event.string(ECSField.hostName),
            fields: fields
        )
    }
}
