import SOCModel

/// A rule's `condition`: selections combined with `and`, `or`, `not`, parentheses, and `1 of`/`all of` a name
/// pattern or `them`.
indirect enum SigmaCondition: Sendable {
    case selection(String)
    case and([SigmaCondition])
    case or([SigmaCondition])
    case not(SigmaCondition)
    case anyOf([String])
    case allOf([String])

    func evaluate(_ selection: (String) -> Bool) -> Bool {
        switch self {
        case .selection(let name): return selection(name)
        case .and(let parts): return parts.allSatisfy { $0.evaluate(selection) }
        case .or(let parts): return parts.contains { $0.evaluate(selection) }
        case .not(let inner): return !inner.evaluate(selection)
        case .anyOf(let names): return names.contains(where: selection)
        case .allOf(let names): return names.allSatisfy(selection)
        }
    }

    /// Parses a condition; names must be selections of the rule.
    static func parse(_ text: String, selections: [String]) throws -> SigmaCondition {
        var parser = Parser(tokens: tokenize(text), selections: selections)
        let condition = try parser.or()
        if parser.peek == "|" { throw SigmaCompileError("aggregations ('| count() …') are not supported") }
        guard parser.atEnd else { throw SigmaCompileError("unexpected '\(parser.peek ?? "")'") }
        return condition
    }

    private static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text {
            if character == "(" || character == ")" || character == "|" {
                if !current.isEmpty { tokens.append(current) }
                current = ""
                tokens.append(String(character))
            } else if character.isWhitespace {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private struct Parser {
        let tokens: [String]
        let selections: [String]
        var index = 0

        var atEnd: Bool { index >= tokens.count }
        var peek: String? { atEnd ? nil : tokens[index] }

        mutating func or() throws -> SigmaCondition {
            var parts = [try and()]
            while peek?.lowercased() == "or" {
                index += 1
                parts.append(try and())
            }
            return parts.count == 1 ? parts[0] : .or(parts)
        }

        mutating func and() throws -> SigmaCondition {
            var parts = [try unary()]
            while peek?.lowercased() == "and" {
                index += 1
                parts.append(try unary())
            }
            return parts.count == 1 ? parts[0] : .and(parts)
        }

        mutating func unary() throws -> SigmaCondition {
            guard let token = peek else { throw SigmaCompileError("the condition ends early") }
            switch token.lowercased() {
            case "not":
                index += 1
                return .not(try unary())
            case "(":
                index += 1
                let inner = try or()
                guard peek == ")" else { throw SigmaCompileError("missing ')'") }
                index += 1
                return inner
            case "1", "all", "any":
                index += 1
                guard peek?.lowercased() == "of", index + 1 < tokens.count else {
                    throw SigmaCompileError("expected 'of' after '\(token)'")
                }
                index += 1
                let target = tokens[index]
                index += 1
                let names = matching(target)
                guard !names.isEmpty else { throw SigmaCompileError("'\(target)' names no selection") }
                return token.lowercased() == "all" ? .allOf(names) : .anyOf(names)
            case "|":
                throw SigmaCompileError("aggregations ('| count() …') are not supported")
            default:
                if token.first?.isNumber == true { throw SigmaCompileError("'\(token) of' is not supported") }
                index += 1
                guard selections.contains(token) else { throw SigmaCompileError("unknown selection '\(token)'") }
                return .selection(token)
            }
        }

        /// Selections matching `them` or a name pattern with `*`.
        func matching(_ pattern: String) -> [String] {
            if pattern == "them" { return selections.filter { !$0.hasPrefix("_") }.sorted() }
            return selections.filter { Wildcard.matches(pattern, $0) }.sorted()
        }
    }
}
