import Foundation
import SOCModel

/// One named search of a rule's `detection`: field conditions (a map, or a list of maps any of which may match) or
/// keywords (a list of strings searched in the whole event).
struct SigmaSelection: Sendable {
    enum Body: Sendable {
        case maps([[FieldCondition]])
        case keywords([ValueTest])
    }
    let body: Body

    var fieldNames: [String] {
        switch body {
        case .maps(let maps): return maps.flatMap { $0.map(\.field) }
        case .keywords: return []
        }
    }

    init(_ value: Any) throws {
        if let map = value as? [String: Any] {
            body = .maps([try Self.conditions(map)])
        } else if let list = value as? [Any] {
            if list.allSatisfy({ $0 is [String: Any] }) {
                body = .maps(try list.map { try Self.conditions($0 as? [String: Any] ?? [:]) })
            } else if list.allSatisfy({ !($0 is [String: Any]) && !($0 is [Any]) }) {
                body = .keywords(try list.map { try ValueTest.make(Self.text($0), modifiers: ["contains"]) })
            } else {
                throw SigmaCompileError("a list that mixes maps and keywords")
            }
        } else if let single = value as? String {
            body = .keywords([try ValueTest.make(single, modifiers: ["contains"])])
        } else {
            throw SigmaCompileError("unsupported selection shape")
        }
    }

    private static func conditions(_ map: [String: Any]) throws -> [FieldCondition] {
        try map.map { key, value in try FieldCondition(key: key, value: value) }
    }

    static func text(_ value: Any?) -> String? {
        switch value {
        case nil, is NSNull: return nil
        case let string as String: return string
        case let bool as Bool: return bool ? "true" : "false"
        case let int as Int: return String(int)
        case let double as Double: return double == double.rounded() ? String(Int(double)) : String(double)
        default: return value.map { "\($0)" }
        }
    }
}

/// `Field|modifier|…: value or [values]`.
struct FieldCondition: Sendable {
    let field: String
    let tests: [ValueTest]
    let requireAll: Bool
    let cased: Bool
    let exists: Bool?
    let fieldReference: [String]?

    init(key: String, value: Any) throws {
        let parts = key.split(separator: "|").map(String.init)
        field = parts.first ?? ""
        let modifiers = Array(parts.dropFirst()).map { $0.lowercased() }
        requireAll = modifiers.contains("all")
        cased = modifiers.contains("cased")
        if modifiers.contains("expand") {
            throw SigmaCompileError("the 'expand' modifier needs placeholder values that are not configured")
        }
        let values: [Any?] = (value as? [Any])?.map { $0 } ?? [value]
        if modifiers.contains("exists") {
            exists = SigmaSelection.text(values.first ?? nil) == "true"
            tests = []
            fieldReference = nil
            return
        }
        exists = nil
        if modifiers.contains("fieldref") {
            fieldReference = values.compactMap { SigmaSelection.text($0) }
            tests = []
            return
        }
        fieldReference = nil
        tests = try values.map { try ValueTest.make(SigmaSelection.text($0), modifiers: modifiers) }
    }
}
