import Foundation
public import SOCModel

/// Rules loaded from files, and why the others were not.
public struct SigmaRuleSet: Sendable {
    /// The rules that compiled.
    public var rules: [SigmaRule]
    /// The rules that did not, each with its reason.
    public var diagnostics: [SigmaDiagnostic]

    /// Loads every `.yml`/`.yaml` file under `paths` (files or directories, recursively).
    public static func load(paths: [String], logSources: LogSourceMap = .bundled) throws -> SigmaRuleSet {
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
        var set = SigmaRuleSet(rules: [], diagnostics: [])
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                set.diagnostics.append(SigmaDiagnostic(path: file, reason: "cannot read the file as UTF-8"))
                continue
            }
            switch SigmaRule.load(yaml: text, path: file, logSources: logSources) {
            case .success(let rule): set.rules.append(rule)
            case .failure(let diagnostic): set.diagnostics.append(diagnostic)
            }
        }
        return set
    }

    /// Keeps the rules at or above `level`, with one of `statuses` and one of `tags` (each filter optional).
    public func filtered(minimumLevel: String?, statuses: Set<String>?, tags: Set<String>?) -> SigmaRuleSet {
        let order = ["informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4]
        let floor = minimumLevel.flatMap { order[$0.lowercased()] } ?? 0
        return SigmaRuleSet(
            rules: rules.filter { rule in
                (order[rule.level] ?? 2) >= floor && (statuses.map { $0.contains(rule.status) } ?? true)
                    && (tags.map { wanted in rule.tags.contains { wanted.contains($0.lowercased()) } } ?? true)
            },
            diagnostics: diagnostics
        )
    }
}

/// A rule that matched an event.
public struct Detection: Sendable, Codable, Hashable {
    /// The rule id.
    public var ruleID: String
    /// The rule title.
    public var title: String
    /// The rule level.
    public var level: String
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
}

/// Runs a rule set over events. Rules are compiled once (selections by index, fields by slot) and bucketed by the
/// channel and event id of their log source, so an event meets only the rules that can match it. Within a bucket, a
/// literal prefilter (one Aho–Corasick pass over each of the event's fields that some rule needs a literal in) skips
/// the rules whose required literals the event lacks.
public final class SigmaEngine: @unchecked Sendable {
    // Immutable after init; the registry is only read while detecting.
    private let buckets: [String: Bucket]
    /// By event field name, the automaton of the literals required in it.
    private let automata: [String: LiteralAutomaton]
    /// The automaton of keyword literals, run over the message and the original record.
    private let fullTextAutomaton: LiteralAutomaton?
    private let registry: FieldRegistry

    /// The rules of one log-source key, with what the prefilter needs to skip them.
    private struct Bucket {
        var entries: [(rule: CompiledRule, scope: CompiledScope)] = []
        /// Per entry, the bit mask of its clauses (all must be satisfied); 0 for entries evaluated for every event.
        var clauseMasks: [UInt8] = []
        /// By required literal id, the (entry, clause bit) pairs it satisfies.
        var clausesByLiteral: [Int32: [(entry: Int32, bit: UInt8)]] = [:]
    }

    /// Creates an engine for `rules`.
    public convenience init(rules: [SigmaRule], logSources: LogSourceMap = .bundled) {
        self.init(rules: rules, logSources: logSources, prefilter: true)
    }

    /// Creates an engine; without the prefilter every rule of a bucket is evaluated (the reference the prefilter is
    /// tested against).
    init(rules: [SigmaRule], logSources: LogSourceMap, prefilter: Bool) {
        let registry = FieldRegistry()
        var buckets: [String: Bucket] = [:]
        var literalIDs: [RequiredLiteral: Int32] = [:]
        for rule in rules {
            let compiled = CompiledRule(rule, registry: registry, logSources: logSources)
            for scope in compiled.scopes {
                let requirement = prefilter ? scope.condition.requirement(scope.selections) : nil
                for key in Self.keys(scope.alternative) {
                    var bucket = buckets[key] ?? Bucket()
                    let entry = Int32(bucket.entries.count)
                    bucket.entries.append((compiled, scope))
                    let clauses = requirement?.clauses ?? []
                    bucket.clauseMasks.append(UInt8(truncatingIfNeeded: (1 << clauses.count) - 1))
                    for (number, clause) in clauses.enumerated() {
                        for literal in clause {
                            let id = literalIDs[literal] ?? Int32(literalIDs.count)
                            literalIDs[literal] = id
                            bucket.clausesByLiteral[id, default: []].append((entry, UInt8(1 << number)))
                        }
                    }
                    buckets[key] = bucket
                }
            }
        }
        // A literal goes to every event field its slot may be read from: scanning a field the slot would not prefer
        // can only add candidates, never lose one.
        var literalsByField: [String: [(id: Int32, bytes: [UInt8])]] = [:]
        var fullTextLiterals: [(id: Int32, bytes: [UInt8])] = []
        for (literal, id) in literalIDs {
            if literal.slot == RequiredLiteral.fullText {
                fullTextLiterals.append((id, literal.bytes))
                continue
            }
            for key in registry.candidates[literal.slot] { literalsByField[key.name, default: []].append((id, literal.bytes)) }
        }
        // Fields that are candidates of the same slots (process.command_line and winlog.event_data.CommandLine) have
        // the same literals: they share one automaton.
        var shared: [[Int32]: LiteralAutomaton] = [:]
        self.automata = literalsByField.mapValues { literals in
            let sorted = literals.sorted { $0.id < $1.id }
            let ids = sorted.map(\.id)
            if let automaton = shared[ids] { return automaton }
            let automaton = LiteralAutomaton(sorted)
            shared[ids] = automaton
            return automaton
        }
        self.fullTextAutomaton = fullTextLiterals.isEmpty ? nil : LiteralAutomaton(fullTextLiterals.sorted { $0.id < $1.id })
        self.buckets = buckets
        self.registry = registry
    }

    private static func keys(_ alternative: LogSourceMap.Alternative) -> [String] {
        if let channel = alternative.channel {
            return alternative.eventIDs.isEmpty ? ["\(channel)|*"] : alternative.eventIDs.map { "\(channel)|\($0)" }
        }
        if let format = alternative.format { return ["format:\(format)"] }
        return ["*"]
    }

    /// The detections for one event (each rule at most once).
    public func detect(_ event: SecurityEvent) -> [Detection] {
        detect(event, cache: SlotCache(slots: registry.candidates.count))
    }

    private func detect(_ event: SecurityEvent, cache: SlotCache) -> [Detection] {
        let view = EventView(event, registry: registry, cache: cache)
        let channel = view.lowerChannel ?? ""
        var keys = ["\(channel)|\(view.eventCode ?? "")", "\(channel)|*", "*"]
        if let format = view.format { keys.append("format:\(format)") }
        var detections: [Detection] = []
        var matched: [ObjectIdentifier] = []
        let hits = literalHits(event)
        for key in keys {
            guard let bucket = buckets[key] else { continue }
            // An entry is a candidate when every one of its clauses has a literal that occurred. Only candidates
            // are touched: reading every entry would retain each shared rule (contended across threads).
            var satisfied = [UInt8](repeating: 0, count: bucket.entries.count)
            for id in hits {
                for (entry, bit) in bucket.clausesByLiteral[id] ?? [] { satisfied[Int(entry)] |= bit }
            }
            for index in bucket.clauseMasks.indices where satisfied[index] == bucket.clauseMasks[index] {
                let entry = bucket.entries[index]
                guard entry.scope.alternative.covers(view), entry.scope.condition.evaluate(entry.scope.selections, view),
                    !matched.contains(ObjectIdentifier(entry.rule))
                else { continue }
                matched.append(ObjectIdentifier(entry.rule))
                detections.append(detection(entry.rule.rule, scope: entry.scope, view: view))
            }
        }
        return detections
    }

    /// The ids of the required literals that occur in the event's fields (lower-cased), each once. Event-data
    /// names written with spaces ("Threat Name") are scanned as Sigma writes them (ThreatName).
    private func literalHits(_ event: SecurityEvent) -> [Int32] {
        var hits: [Int32] = []
        event.fields.forEach { name, value in
            var automaton = automata[name]
            if automaton == nil, name.utf8.contains(0x20) { automaton = automata[EventView.spaceless(name)] }
            guard let automaton else { return }
            for string in value.stringValues { automaton.scan(string, into: &hits) }
        }
        if let fullTextAutomaton {
            if let message = event.string(ECSField.message) { fullTextAutomaton.scan(message, into: &hits) }
            fullTextAutomaton.scan(event.original, into: &hits)
        }
        // Common literals (a backslash, ".exe") occur many times; each needs looking up once.
        hits.sort()
        var unique = 0
        for index in hits.indices where index == 0 || hits[index] != hits[index - 1] {
            hits[unique] = hits[index]
            unique += 1
        }
        hits.removeLast(hits.count - unique)
        return hits
    }

    /// The detections for a batch of events, in event order, the batch split across the processor's cores.
    public func detect(_ events: [SecurityEvent]) -> [Detection] {
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, events.count / 64)
        guard workers > 1 else {
            let cache = SlotCache(slots: registry.candidates.count)
            return events.flatMap { detect($0, cache: cache) }
        }
        let results = UnsafeMutableBufferPointer<[Detection]>.allocate(capacity: workers)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        let slots = Slots(results)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = (events.count * worker / workers)..<(events.count * (worker + 1) / workers)
            let cache = SlotCache(slots: registry.candidates.count)
            var found: [Detection] = []
            for event in events[range] { found += detect(event, cache: cache) }
            slots.buffer[worker] = found  // each worker writes its own slot only
        }
        return results.flatMap { $0 }
    }

    /// Per-worker result slots; workers write disjoint elements.
    private struct Slots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<[Detection]>
        init(_ buffer: UnsafeMutableBufferPointer<[Detection]>) { self.buffer = buffer }
    }

    private func detection(_ sigma: SigmaRule, scope: CompiledScope, view: EventView) -> Detection {
        var fields: [String: String] = [:]
        for (name, slot) in scope.reported {
            if let value = view.values(slot: slot, lowered: false).first { fields[name] = value.string }
        }
        let event = view.event
        return Detection(
            ruleID: sigma.id, title: sigma.title, level: sigma.level, techniques: sigma.techniques, tactics: sigma.tactics, tags: sigma.tags,
            eventID: event.id.hex, timestamp: event.timestamp?.iso8601, host: event.string(ECSField.hostName), fields: fields
        )
    }
}
