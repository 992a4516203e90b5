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
        case title, level, techniques, tags
        case eventID = "event_id"
        case timestamp, host, fields
    }
}

/// Runs a rule set over events. Rules are compiled once and bucketed by the channel and event id of their log
/// source, so an event meets only the rules that can match it.
public final class SigmaEngine: Sendable {
    private let buckets: [String: [(rule: SigmaRule, alternative: LogSourceMap.Alternative)]]
    private let logSources: LogSourceMap

    /// Creates an engine for `rules`.
    public init(rules: [SigmaRule], logSources: LogSourceMap = .bundled) {
        var buckets: [String: [(SigmaRule, LogSourceMap.Alternative)]] = [:]
        for rule in rules {
            for alternative in rule.scope {
                for key in Self.keys(alternative) { buckets[key, default: []].append((rule, alternative)) }
            }
        }
        self.buckets = buckets
        self.logSources = logSources
    }

    private static func keys(_ alternative: LogSourceMap.Alternative) -> [String] {
        if let channel = alternative.channel?.lowercased() {
            return alternative.eventIDs.isEmpty ? ["\(channel)|*"] : alternative.eventIDs.map { "\(channel)|\($0)" }
        }
        if let format = alternative.format { return ["format:\(format)"] }
        return ["*"]
    }

    /// The detections for one event (each rule at most once).
    public func detect(_ event: SecurityEvent) -> [Detection] {
        let view = EventView(event, logSources: logSources)
        let channel = view.channel?.lowercased() ?? ""
        var keys = ["\(channel)|\(view.eventCode ?? "")", "\(channel)|*", "*"]
        if let format = view.format { keys.append("format:\(format)") }
        var seen = Set<String>()
        var detections: [Detection] = []
        for key in keys {
            for (rule, alternative) in buckets[key] ?? [] where !seen.contains(rule.id) && alternative.covers(view) {
                guard rule.evaluate(view, fields: alternative.fields) else { continue }
                seen.insert(rule.id)
                var fields: [String: String] = [:]
                for field in rule.testedFields {
                    if let value = view.values(field, renames: alternative.fields).first { fields[field] = value }
                }
                detections.append(
                    Detection(
                        ruleID: rule.id, title: rule.title, level: rule.level, techniques: rule.techniques, tags: rule.tags,
                        eventID: event.id.hex, timestamp: event.timestamp?.iso8601, host: event.string(ECSField.hostName), fields: fields
                    )
                )
            }
        }
        return detections
    }
}
