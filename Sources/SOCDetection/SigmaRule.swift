import Foundation
public import SOCModel
import Yams

/// A Sigma rule, compiled and ready to evaluate.
///
/// ```swift
/// let result = SigmaRule.load(yaml: text, path: "proc_creation_win_susp.yml", logSources: .bundled)
/// if case .success(let rule) = result { let detections = SigmaEngine(rules: [rule]).detect(event) }
/// ```
public struct SigmaRule: Sendable {
    /// The rule's id (a UUID).
    public let id: String
    /// The title.
    public let title: String
    /// The rule's level (medium when it gives none or an unknown one).
    public let level: SigmaLevel
    /// `stable`, `test`, `experimental`, `deprecated`, `unsupported`.
    public let status: String
    /// Tags, such as `attack.t1059.001`.
    public let tags: [String]
    /// The ATT&CK technique ids among the tags, upper case (`T1059.001`).
    public let techniques: [String]
    /// The ATT&CK tactics among the tags, as ATT&CK names them (`privilege-escalation`), whichever separator the
    /// rule used.
    public let tactics: [String]

    /// The ATT&CK Enterprise tactics (with `stealth`, SigmaHQ's name for defense evasion since ATT&CK v18).
    public static let attackTactics: Set<String> = [
        "reconnaissance", "resource-development", "initial-access", "execution", "persistence", "privilege-escalation",
        "defense-evasion", "stealth", "defense-impairment", "credential-access", "discovery", "lateral-movement",
        "collection", "command-and-control", "exfiltration", "impact",
    ]
    /// Known false positives, for people.
    public let falsePositives: [String]
    /// Where the rule was read from.
    public let path: String
    /// The log source as written: product, category, service.
    public let logSource: (product: String?, category: String?, service: String?)
    /// The events the rule applies to, and how its fields are named on them.
    let scope: [LogSourceMap.Alternative]
    let condition: SigmaCondition
    let selections: [String: SigmaSelection]

    /// The fields the rule's selections test, for reporting what matched.
    public var testedFields: [String] { Array(Set(selections.values.flatMap(\.fieldNames))).sorted() }

    /// Loads one rule from YAML; a rule that cannot run gives a ``SigmaDiagnostic`` with the reason.
    public static func load(yaml: String, path: String, logSources: LogSourceMap) -> Result<SigmaRule, SigmaDiagnostic>
    {
        let nodes: [Node]
        do {
            // Composed with no tag rules: the default rules are regular expressions, run for every scalar and
            // again when hashing keys, and were two thirds of loading 2,407 rules. `YAMLValue` resolves instead.
            // UTF-8 named here: the default reads the whole environment on every call.
            nodes = try Array(Yams.compose_all(yaml: yaml, .basic, .default, .utf8))
        } catch {
            return .failure(
                SigmaDiagnostic(path: path, reason: "invalid YAML: \(String(describing: error).prefix(160))")
            )
        }
        // Composing keeps an alias as a shared reference to its anchor's node; building dictionaries and arrays
        // copies it. Nine levels of aliases in 1 KB expand to gigabytes, so the expansion is measured first.
        if let excess = YAMLExpansion.excess(of: nodes) {
            return .failure(SigmaDiagnostic(path: path, reason: "skipped: the YAML expands to \(excess)"))
        }
        let documents: [Any] = nodes.map(YAMLValue.any)
        guard documents.count == 1, let document = documents.first as? [String: Any] else {
            return .failure(
                SigmaDiagnostic(
                    path: path,
                    reason: documents.count > 1
                        ? "rule collections (several YAML documents) are not supported"
                        : "not a Sigma rule (expected a mapping)"
                )
            )
        }
        do {
            return .success(try SigmaRule(document: document, path: path, logSources: logSources))
        } catch let diagnostic as SigmaDiagnostic {
            return .failure(diagnostic)
        } catch {
            return .failure(SigmaDiagnostic(path: path, reason: "\(error)"))
        }
    }

    init(document: [String: Any], path: String, logSources: LogSourceMap) throws {
        self.path = path
        guard let title = document["title"] as? String else {
            throw SigmaDiagnostic(path: path, reason: "missing title")
        }
        self.title = title
        id = (document["id"] as? String) ?? path
        level = SigmaLevel(lenient: document["level"] as? String)
        status = (document["status"] as? String)?.lowercased() ?? "experimental"
        tags = (document["tags"] as? [Any])?.compactMap { $0 as? String } ?? []
        techniques = tags.compactMap { tag in
            let lower = tag.lowercased()
            guard lower.hasPrefix("attack.t"), lower.dropFirst(8).first?.isNumber == true else { return nil }
            return String(tag.dropFirst(7)).uppercased()
        }
        tactics = tags.compactMap { tag in
            let name = tag.lowercased().replacingOccurrences(of: "_", with: "-")
            guard name.hasPrefix("attack.") else { return nil }
            let tactic = String(name.dropFirst(7))
            return Self.attackTactics.contains(tactic) ? tactic : nil
        }
        falsePositives = (document["falsepositives"] as? [Any])?.compactMap { "\($0)" } ?? []
        let source = document["logsource"] as? [String: Any] ?? [:]
        logSource = (source["product"] as? String, source["category"] as? String, source["service"] as? String)
        guard
            let scope = logSources.alternatives(
                product: logSource.product,
                category: logSource.category,
                service: logSource.service
            )
        else {
            let name = [logSource.product, logSource.category, logSource.service].compactMap { $0 }.joined(
                separator: "/"
            )
            throw SigmaDiagnostic(path: path, reason: "unsupported log source \(name.isEmpty ? "(none)" : name)")
        }
        self.scope = scope
        guard let detection = document["detection"] as? [String: Any] else {
            throw SigmaDiagnostic(path: path, reason: "missing detection")
        }
        var selections: [String: SigmaSelection] = [:]
        for (name, value) in detection where name != "condition" && name != "timeframe" {
            do {
                selections[name] = try SigmaSelection(value)
            } catch let error as SigmaCompileError {
                throw SigmaDiagnostic(path: path, reason: "selection '\(name)': \(error.reason)")
            }
        }
        if detection["timeframe"] != nil {
            throw SigmaDiagnostic(path: path, reason: "correlation with a timeframe is not supported")
        }
        let conditions: [String]
        if let text = detection["condition"] as? String {
            conditions = [text]
        } else if let list = detection["condition"] as? [Any] {
            conditions = list.compactMap { $0 as? String }
        } else {
            throw SigmaDiagnostic(path: path, reason: "missing condition")
        }
        do {
            let parsed = try conditions.map { try SigmaCondition.parse($0, selections: Array(selections.keys)) }
            condition = parsed.count == 1 ? parsed[0] : .or(parsed)
        } catch let error as SigmaCompileError {
            throw SigmaDiagnostic(path: path, reason: "condition: \(error.reason)")
        }
        self.selections = selections
    }
}

/// Why a rule was not loaded, with the file it came from.
public struct SigmaDiagnostic: Error, Sendable, CustomStringConvertible, Hashable {
    /// The rule file.
    public var path: String
    /// The reason, for people.
    public var reason: String
    /// Creates a diagnostic.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}

struct SigmaCompileError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The size a YAML document reaches once its aliases are expanded, measured without expanding them.
enum YAMLExpansion {
    /// The most nodes a rule file may expand to (the largest SigmaHQ rule has a few hundred).
    static let maximumNodes = 100_000
    /// The most bytes of scalar text a rule file may expand to.
    static let maximumBytes = 4 << 20

    /// What exceeds a limit (`more than 100000 nodes`), or `nil` when the documents are within both. Stops counting
    /// at the first limit, so the cost is bounded by the limits, not by the expansion.
    static func excess(of documents: [Node]) -> String? {
        var nodes = 0
        var bytes = 0
        var pending = documents
        while let node = pending.popLast() {
            nodes += 1
            if nodes > maximumNodes { return "more than \(maximumNodes) nodes" }
            switch node {
            case .scalar(let scalar):
                bytes += scalar.string.utf8.count
                if bytes > maximumBytes { return "more than \(maximumBytes) bytes of text" }
            case .mapping(let mapping):
                for pair in mapping {
                    pending.append(pair.key)
                    pending.append(pair.value)
                }
            case .sequence(let sequence):
                pending.append(contentsOf: sequence)
            case .alias:
                break
            }
        }
        return nil
    }
}

/// Plain Swift values from composed YAML, resolving untagged plain scalars exactly as Yams' default resolver does
/// (YAML 1.1): booleans (`yes`, `Off`…) and nulls (`~`, `null`, empty) by table, and numbers and dates with Yams'
/// own regular expressions, run only on scalars starting with a digit, a sign or a dot.
enum YAMLValue {
    /// The value of `node`: `String`, `Int`, `Double`, `Bool`, `Date`, `NSNull`, `[Any]` or `[String: Any]` (keys
    /// as written).
    static func any(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            return value(of: scalar)
        case .sequence(let sequence):
            return sequence.map(any)
        case .mapping(let mapping):
            var dictionary: [String: Any] = [:]
            dictionary.reserveCapacity(mapping.count)
            for (key, value) in mapping { dictionary[key.string ?? "\(any(key))"] = any(value) }
            return dictionary
        case .alias:
            return NSNull()
        }
    }

    private static func value(of scalar: Node.Scalar) -> Any {
        switch scalar.tag.description {
        case "":  // untagged
            guard scalar.style == .plain || scalar.style == .any else { return scalar.string }
            let text = scalar.string
            if let boolean = booleans[text] { return boolean }
            if nulls.contains(text) { return NSNull() }
            guard let first = text.utf8.first, numericFirstBytes.contains(first) else { return text }
            return Node.scalar(Node.Scalar(text, Tag(.implicit, .default, .default), .plain)).any
        case "!", Tag.Name.str.rawValue:
            return scalar.string
        default:  // an explicit tag: Yams constructs it
            return Node.scalar(scalar).any
        }
    }

    /// Yams' `bool` rule and the values it constructs.
    private static let booleans: [String: Bool] = {
        var table: [String: Bool] = [:]
        for (word, value) in [
            ("yes", true), ("no", false), ("true", true), ("false", false), ("on", true), ("off", false),
        ] {
            for spelling in [word, word.prefix(1).uppercased() + word.dropFirst(), word.uppercased()] {
                table[spelling] = value
            }
        }
        return table
    }()
    /// Yams' `null` rule.
    private static let nulls: Set<String> = ["~", "null", "Null", "NULL", ""]
    /// The first bytes of what Yams' `int`, `float` and `timestamp` rules accept (`.inf` and `.nan` included).
    private static let numericFirstBytes = Set("0123456789+-.".utf8)
}
