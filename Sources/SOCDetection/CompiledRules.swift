import SOCModel

/// The engine's compiled form of the rules: selections by index, fields by slot number. The literal prefilter is
/// derived from it and ``RuleProgram`` lays it out flat for evaluation (the parsed ``SigmaRule`` stays the readable
/// form).
final class FieldRegistry {
    /// Per slot, the event fields that may hold it, in order of preference, with their hashes computed once.
    private(set) var candidates: [[FieldKey]] = []
    /// Per slot, its Windows event-data name without the prefix, for providers that write it with spaces.
    private(set) var eventDataNames: [String?] = []
    private var slots: [[String]: Int] = [:]

    func slot(_ names: [String]) -> Int {
        if let slot = slots[names] { return slot }
        candidates.append(names.map(FieldKey.init))
        eventDataNames.append(
            names.first { $0.hasPrefix(ECSField.winlogEventDataPrefix) }.map {
                String($0.dropFirst(ECSField.winlogEventDataPrefix.count))
            }
        )
        slots[names] = candidates.count - 1
        return candidates.count - 1
    }
}

final class CompiledRule: Sendable {
    let rule: SigmaRule
    let scopes: [CompiledScope]

    init(_ rule: SigmaRule, registry: FieldRegistry, logSources: LogSourceMap) {
        self.rule = rule
        scopes = rule.scope.map {
            CompiledScope(rule: rule, alternative: $0, registry: registry, logSources: logSources)
        }
    }
}

final class CompiledScope: Sendable {
    let alternative: LogSourceMap.Alternative
    let selections: [CompiledSelection]
    let condition: CompiledCondition
    /// The rule's fields (Sigma names) and their slots, to report what matched.
    let reported: [(name: String, slot: Int)]

    init(rule: SigmaRule, alternative: LogSourceMap.Alternative, registry: FieldRegistry, logSources: LogSourceMap) {
        self.alternative = alternative
        let names = rule.selections.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        func slot(_ field: String) -> Int {
            registry.slot(logSources.candidates(for: field, renames: alternative.fields))
        }
        selections = names.map { name in
            switch rule.selections[name]?.body {
            case .maps(let maps)?:
                return .maps(
                    maps.map { conditions in
                        conditions.map { condition in
                            CompiledFieldCondition(
                                condition,
                                slot: slot(condition.field),
                                references: condition.fieldReference?.map(slot)
                            )
                        }
                    }
                )
            case .keywords(let tests)?: return .keywords(tests)
            case nil: return .keywords([])
            }
        }
        condition = CompiledCondition(rule.condition, index: index)
        reported = rule.testedFields.map { ($0, slot($0)) }
    }
}

enum CompiledSelection: Sendable {
    case maps([[CompiledFieldCondition]])
    case keywords([ValueTest])
}

/// A ``FieldCondition`` with its field, and the fields it references, resolved to slots.
struct CompiledFieldCondition: Sendable {
    let condition: FieldCondition
    let slot: Int
    let references: [Int]?
    var tests: [ValueTest] { condition.tests }
    var requireAll: Bool { condition.requireAll }
    var cased: Bool { condition.cased }
    var exists: Bool? { condition.exists }

    init(_ condition: FieldCondition, slot: Int, references: [Int]?) {
        self.condition = condition
        self.slot = slot
        self.references = references
    }
}

indirect enum CompiledCondition: Sendable {
    case selection(Int)
    case and([CompiledCondition])
    case or([CompiledCondition])
    case not(CompiledCondition)
    case anyOf([Int])
    case allOf([Int])

    init(_ condition: SigmaCondition, index: [String: Int]) {
        switch condition {
        case .selection(let name): self = .selection(index[name] ?? -1)
        case .and(let parts): self = .and(parts.map { CompiledCondition($0, index: index) })
        case .or(let parts): self = .or(parts.map { CompiledCondition($0, index: index) })
        case .not(let inner): self = .not(CompiledCondition(inner, index: index))
        case .anyOf(let names): self = .anyOf(names.compactMap { index[$0] })
        case .allOf(let names): self = .allOf(names.compactMap { index[$0] })
        }
    }
}
