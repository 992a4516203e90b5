import SOCModel

/// Parses Lucene `query_string` syntax as Elasticsearch reads it: `field:value`, quoted phrases, `*`/`?`
/// wildcards (leading ones too), `/regex/`, `term~N`, ranges `[a TO b]`, `{a TO b}`, `>=a`, `<b`, `AND`/`OR`/`NOT`,
/// `&&`/`||`/`!`, `+`/`-`, grouping with `field:(…)`, `_exists_:field`, `^boost`, and `\` escapes.
///
/// Operators combine with Lucene's rules, not algebra's: `a AND b OR c` is `+a +b c`. Unfielded words written
/// next to each other with no operator form one chunk, as Elasticsearch 6+ treats them ("whitespace is not an
/// operator"). Errors name the column and what was expected.
///
/// ```swift
/// let query = try LuceneParser.parse("event.code:4625 AND source.ip:\"203.0.113.0/24\"")
/// ```
public struct LuceneParser {
    /// Characters that must be escaped in terms.
    static let reserved: Set<Character> = [
        "+", "-", "=", "&", "|", ">", "<", "!", "(", ")", "{", "}", "[", "]", "^", "\"", "~", "*", "?", ":", "\\", "/",
    ]

    /// The default operator between clauses that have none.
    public enum DefaultOperator: Sendable {
        /// Clauses are optional (Lucene's and Elasticsearch's default).
        case or
        /// Clauses are required.
        case and
    }

    private let characters: [Character]
    private var position = 0
    private let defaultOperator: DefaultOperator
    private var depth = 0
    private static let maximumDepth = 64
    private static let maximumLength = 16_384

    /// Parses a query.
    /// - Parameters:
    ///   - text: The query.
    ///   - defaultOperator: How clauses without an operator combine.
    /// - Throws: ``LuceneSyntaxError`` with the 1-based column and what was expected.
    public static func parse(
        _ text: String,
        defaultOperator: DefaultOperator = .or
    ) throws(LuceneSyntaxError) -> LuceneQuery {
        guard text.count <= maximumLength else {
            throw LuceneSyntaxError(
                column: maximumLength + 1,
                message: "the query is longer than \(maximumLength) characters"
            )
        }
        var parser = LuceneParser(characters: Array(text), defaultOperator: defaultOperator)
        parser.skipWhitespace()
        if parser.atEnd { throw LuceneSyntaxError(column: 1, message: "expected a query but it is empty") }
        let query = try parser.parseQuery(field: nil)
        parser.skipWhitespace()
        if !parser.atEnd {
            throw parser.error(
                parser.peek == ")"
                    ? "unbalanced ')'" : "expected an operator or a term but found '\(parser.peek ?? " ")'"
            )
        }
        return query
    }

    private init(characters: [Character], defaultOperator: DefaultOperator) {
        self.characters = characters
        self.defaultOperator = defaultOperator
    }

    private var atEnd: Bool { position >= characters.count }
    private var peek: Character? { atEnd ? nil : characters[position] }

    private func error(_ message: String, at column: Int? = nil) -> LuceneSyntaxError {
        LuceneSyntaxError(column: (column ?? position) + 1, message: message)
    }

    private mutating func skipWhitespace() {
        while let character = peek, character.isWhitespace { position += 1 }
    }

    private func startsWord(_ word: String) -> Bool {
        let letters = Array(word)
        guard position + letters.count <= characters.count else { return false }
        for (offset, letter) in letters.enumerated() where characters[position + offset] != letter { return false }
        let after = position + letters.count
        return after == characters.count || characters[after].isWhitespace || characters[after] == "("
            || characters[after] == ")"
    }

    private enum Conjunction { case none, and, or }
    private enum Modifier { case none, required, prohibited }

    /// Query := (Conjunction? Modifier? Clause)*, until the end or a closing parenthesis.
    private mutating func parseQuery(field: String?) throws(LuceneSyntaxError) -> LuceneQuery {
        var clauses: [LuceneClause] = []
        var first = true
        while true {
            skipWhitespace()
            if atEnd || peek == ")" { break }
            var conjunction = Conjunction.none
            if startsWord("AND") || (peek == "&" && position + 1 < characters.count && characters[position + 1] == "&")
            {
                conjunction = .and
                position += startsWord("AND") ? 3 : 2
            } else if startsWord("OR")
                || (peek == "|" && position + 1 < characters.count && characters[position + 1] == "|")
            {
                conjunction = .or
                position += 2
            }
            if conjunction != .none {
                if first {
                    throw error(
                        "expected a term before '\(conjunction == .and ? "AND" : "OR")'",
                        at: position - (conjunction == .and ? 3 : 2)
                    )
                }
                skipWhitespace()
                if atEnd || peek == ")" {
                    throw error(
                        "expected a term after '\(conjunction == .and ? "AND" : "OR")' but the query \(atEnd ? "ended" : "group closed")"
                    )
                }
            }
            var modifier = Modifier.none
            if peek == "+" {
                modifier = .required
                position += 1
            } else if peek == "-" {
                modifier = .prohibited
                position += 1
            } else if startsWord("NOT") {
                modifier = .prohibited
                position += 3
                skipWhitespace()
            } else if peek == "!" {
                modifier = .prohibited
                position += 1
                skipWhitespace()
            }
            if atEnd || peek == ")" {
                throw error("expected a term after an operator but the query \(atEnd ? "ended" : "group closed")")
            }
            let start = position
            var query = try parseClause(field: field)
            // Unfielded bare words side by side, with no operator, form one chunk (Elasticsearch 6+).
            if case .term(nil, let value) = query, conjunction == .none, modifier == .none,
                let last = clauses.last, last.occur == (defaultOperator == .and ? .must : .should),
                case .term(nil, let previous) = last.query, !first, characters[start - 1].isWhitespace,
                lastClauseWasBareWord
            {
                clauses[clauses.count - 1].query = .term(field: nil, value: previous + " " + value)
                lastClauseWasBareWord = isBareWord(start: start)
                first = false
                continue
            }
            lastClauseWasBareWord = field == nil && isBareWord(start: start)
            if case .term = query {} else { lastClauseWasBareWord = false }
            add(&clauses, conjunction: conjunction, modifier: modifier, query: &query)
            first = false
        }
        if clauses.count == 1, clauses[0].occur != .mustNot { return clauses[0].query }
        if clauses.isEmpty { throw error("expected a term") }
        return .boolean(clauses)
    }

    private var lastClauseWasBareWord = false

    /// Whether the clause that started at `start` was a plain word (no field, quotes, wildcards or brackets).
    private func isBareWord(start: Int) -> Bool {
        guard start < characters.count else { return false }
        var index = start
        while index < position {
            let character = characters[index]
            if character == "\\" {
                index += 2
                continue
            }
            if character == ":" || character == "\"" || character == "(" || character == "*" || character == "?"
                || character == "~" || character == "^" || character == "/"
            {
                return false
            }
            index += 1
        }
        return true
    }

    /// Lucene's `addClause`: a conjunction changes the previous clause's occur as well as this one's.
    private func add(
        _ clauses: inout [LuceneClause],
        conjunction: Conjunction,
        modifier: Modifier,
        query: inout LuceneQuery
    ) {
        if let last = clauses.indices.last, conjunction == .and, clauses[last].occur != .mustNot {
            clauses[last].occur = .must
        }
        if let last = clauses.indices.last, defaultOperator == .and, conjunction == .or, clauses[last].occur != .mustNot
        {
            clauses[last].occur = .should
        }
        let prohibited = modifier == .prohibited
        let required: Bool
        switch defaultOperator {
        case .or: required = modifier == .required || (conjunction == .and && !prohibited)
        case .and: required = !prohibited && conjunction != .or
        }
        clauses.append(LuceneClause(prohibited ? .mustNot : (required ? .must : .should), query))
    }

    /// Clause := [field ':'] (term | phrase | regex | range | '(' query ')') ['^' boost]
    private mutating func parseClause(field inherited: String?) throws(LuceneSyntaxError) -> LuceneQuery {
        var field = inherited
        let start = position
        if let name = try readFieldName() {
            guard inherited == nil else {
                throw error("a field inside 'field:(…)' is not supported", at: start)
            }
            if name.contains("*") && name != "*" {
                throw error("field name wildcards ('\(name)') are not supported", at: start)
            }
            field = FieldSemantics.resolve(name)
            skipWhitespace()
            if atEnd { throw error("expected a value after '\(name):' but the query ended") }
        }
        var query: LuceneQuery
        switch peek {
        case "(":
            let opening = position
            position += 1
            depth += 1
            guard depth <= Self.maximumDepth else {
                throw error("groups nested deeper than \(Self.maximumDepth) levels")
            }
            let inner = try parseQuery(field: field)
            skipWhitespace()
            guard peek == ")" else {
                throw error(
                    "expected ')' to close the group opened at column \(opening + 1) but the query \(atEnd ? "ended" : "continued")"
                )
            }
            position += 1
            depth -= 1
            query = inner
        case "\"":
            query = try parsePhrase(field: field)
        case "/":
            query = try parseRegex(field: field)
        case "[", "{":
            guard let field else { throw error("a range needs a field, such as '@timestamp:[a TO b]'") }
            query = try parseRange(field: field)
        case ">", "<":
            guard let field else { throw error("a comparison needs a field, such as 'destination.port:>=443'") }
            query = try parseComparison(field: field)
        default:
            query = try parseTerm(field: field)
        }
        if peek == "^" {
            position += 1
            let number = readNumber()
            guard let boost = Double(number), boost.isFinite, boost >= 0 else {
                throw error("expected a number after '^'")
            }
            query = .boosted(query, boost)
        }
        return query
    }

    /// A field name followed by `:`, or `nil` (the position is restored) when the next token is not a field.
    private mutating func readFieldName() throws(LuceneSyntaxError) -> String? {
        let start = position
        var name = ""
        while let character = peek {
            if character == "\\" {
                position += 1
                guard let escaped = peek else { throw error("expected a character after '\\' but the query ended") }
                name.append(escaped)
                position += 1
                continue
            }
            if character == ":" {
                guard !name.isEmpty else { break }
                position += 1
                return name
            }
            if character.isWhitespace || (Self.reserved.contains(character) && character != "*" && character != "-") {
                break
            }
            name.append(character)
            position += 1
        }
        position = start
        return nil
    }

    private mutating func parseTerm(field: String?) throws(LuceneSyntaxError) -> LuceneQuery {
        let start = position
        var value = ""
        var pattern = ""
        var hasWildcard = false
        while let character = peek {
            if character == "\\" {
                position += 1
                guard let escaped = peek else { throw error("expected a character after '\\' but the query ended") }
                value.append(escaped)
                pattern +=
                    (escaped == "*" || escaped == "?" || escaped == "\\") ? "\\" + String(escaped) : String(escaped)
                position += 1
                continue
            }
            if character.isWhitespace { break }
            if character == "*" || character == "?" {
                hasWildcard = true
                value.append(character)
                pattern.append(character)
                position += 1
                continue
            }
            // '-', '+' and '!' are ordinary inside a term (WS-042).
            if position > start, character == "-" || character == "+" || character == "!" {
                value.append(character)
                pattern.append(character)
                position += 1
                continue
            }
            if Self.reserved.contains(character) {
                if character == "~" || character == "^" || character == ")" { break }
                if position == start {
                    throw error(
                        character == ":"
                            ? "expected a field name before ':'"
                            : "unexpected '\(character)'; escape it as '\\\(character)' or quote the value"
                    )
                }
                if character == ":" {
                    throw error("unexpected ':' (a field name cannot be followed by another; escape it as '\\:')")
                }
                throw error("unexpected '\(character)' in a term; escape it as '\\\(character)' or quote the value")
            }
            value.append(character)
            pattern.append(character)
            position += 1
        }
        guard position > start else { throw error("expected a term") }
        if (value == "AND" || value == "OR" || value == "NOT") && !characters[start...].starts(with: ["\\"]) {
            throw error("'\(value)' is an operator; a term was expected here", at: start)
        }
        if peek == "~" {
            position += 1
            let number = readNumber()
            // Checked as a Double first: `~99999999999999999999` must be an error, not a trap converting it.
            guard number.isEmpty || Double(number).map({ (0...2).contains($0) }) == true else {
                throw error("fuzzy edit distance must be 0, 1 or 2")
            }
            let distance = number.isEmpty ? 2 : Int(Double(number) ?? 2)
            return .fuzzy(field: field, term: value, distance: distance)
        }
        if hasWildcard {
            if value == "*" { return field == nil || field == "*" ? .all : .exists(field: field ?? "") }
            return .wildcard(field: field, pattern: pattern)
        }
        if field == "_exists_" { return .exists(field: value) }
        if field == "*" && value == "*" { return .all }
        return .term(field: field, value: value)
    }

    private mutating func parsePhrase(field: String?) throws(LuceneSyntaxError) -> LuceneQuery {
        let start = position
        position += 1
        var text = ""
        while true {
            guard let character = peek else {
                throw error("unterminated phrase: the '\"' at column \(start + 1) is never closed", at: start)
            }
            position += 1
            if character == "\\" {
                guard let escaped = peek else { throw error("unterminated phrase", at: start) }
                text.append(escaped)
                position += 1
            } else if character == "\"" {
                break
            } else {
                text.append(character)
            }
        }
        var slop: Int?
        if peek == "~" {
            position += 1
            let number = readNumber()
            guard let value = Int(number.isEmpty ? "0" : number) else { throw error("expected a number after '~'") }
            slop = value
        }
        if field == "_exists_" { return .exists(field: text) }
        return .phrase(field: field, text: text, slop: slop)
    }

    private mutating func parseRegex(field: String?) throws(LuceneSyntaxError) -> LuceneQuery {
        let start = position
        position += 1
        var pattern = ""
        while true {
            guard let character = peek else {
                throw error(
                    "unterminated regular expression: the '/' at column \(start + 1) is never closed",
                    at: start
                )
            }
            position += 1
            if character == "\\", peek == "/" {
                pattern.append("/")
                position += 1
            } else if character == "/" {
                break
            } else {
                pattern.append(character)
            }
        }
        // Validated here, with the engine that will run it, so a pattern it cannot run (a backreference,
        // lookaround) is a query error rather than a silent non-match.
        do {
            _ = try LinearRegex(pattern)
        } catch {
            throw self.error("regular expression: \(error.message)", at: start)
        }
        return .regex(field: field, pattern: pattern)
    }

    private mutating func parseRange(field: String) throws(LuceneSyntaxError) -> LuceneQuery {
        let opening = peek
        position += 1
        skipWhitespace()
        let lower = try readRangeValue()
        skipWhitespace()
        guard startsWord("TO") else { throw error("expected 'TO' in the range") }
        position += 2
        skipWhitespace()
        let upper = try readRangeValue()
        skipWhitespace()
        guard let closing = peek, closing == "]" || closing == "}" else {
            throw error("expected ']' or '}' to close the range")
        }
        position += 1
        try checkDates(field, lower, upper)
        return .range(
            field: field,
            lower: lower.map { LuceneBound($0, inclusive: opening == "[") },
            upper: upper.map { LuceneBound($0, inclusive: closing == "]") }
        )
    }

    /// A range end: a quoted or plain value; `*` (unquoted) is an open end.
    private mutating func readRangeValue() throws(LuceneSyntaxError) -> String? {
        if peek == "\"" {
            guard case .phrase(_, let text, _) = try parsePhrase(field: nil) else { return nil }
            return text
        }
        let value = try readBareValue(endingAt: ["]", "}"])
        guard !value.isEmpty else { throw error(atEnd ? "the range is not closed" : "expected a range value") }
        return value == "*" ? nil : value
    }

    /// An unquoted value up to whitespace or one of `terminators`, with backslash escapes removed.
    private mutating func readBareValue(endingAt terminators: Set<Character>) throws(LuceneSyntaxError) -> String {
        var value = ""
        while let character = peek, !character.isWhitespace, !terminators.contains(character) {
            position += 1
            if character == "\\" {
                guard let escaped = peek else { throw error("expected a character after '\\'") }
                value.append(escaped)
                position += 1
            } else {
                value.append(character)
            }
        }
        return value
    }

    private mutating func parseComparison(field: String) throws(LuceneSyntaxError) -> LuceneQuery {
        let greater = peek == ">"
        position += 1
        var inclusive = false
        if peek == "=" {
            inclusive = true
            position += 1
        }
        var value = ""
        if peek == "\"" {
            guard case .phrase(_, let text, _) = try parsePhrase(field: nil) else { throw error("expected a value") }
            value = text
        } else {
            value = try readBareValue(endingAt: [")"])
        }
        guard !value.isEmpty else {
            throw error("expected a value after '\(greater ? ">" : "<")\(inclusive ? "=" : "")'")
        }
        try checkDates(field, greater ? value : nil, greater ? nil : value)
        let bound = LuceneBound(value, inclusive: inclusive)
        return greater ? .range(field: field, lower: bound, upper: nil) : .range(field: field, lower: nil, upper: bound)
    }

    /// For a date field, that each bound is a date or date math within ``Timestamp/supportedRange``: a bound such as
    /// `now-99999999999999d` is a syntax error rather than a range that silently matches nothing.
    private func checkDates(_ field: String, _ bounds: String?...) throws(LuceneSyntaxError) {
        guard FieldSemantics.of(field) == .date else { return }
        // The parser has no clock; any `now` in the supported years tells a valid expression from an invalid one.
        let reference = Timestamp(microsecondsSinceEpoch: 1_700_000_000_000_000)
        for case let bound? in bounds where DateMath.resolve(bound, now: reference, roundUp: false) == nil {
            throw error("'\(bound.prefix(60))' is not a date or date math in the years 0 to 9999")
        }
    }

    private mutating func readNumber() -> String {
        var number = ""
        while let character = peek, character.isNumber || character == "." {
            number.append(character)
            position += 1
        }
        return number
    }
}

/// A query that is not valid Lucene syntax: the column (1-based) and what was expected.
public struct LuceneSyntaxError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The 1-based column of the problem.
    public var column: Int
    /// What was wrong or expected.
    public var message: String
    /// Creates an error.
    public init(column: Int, message: String) {
        self.column = column
        self.message = message
    }
    /// `column N: message`.
    public var description: String { "column \(column): \(message)" }
}
