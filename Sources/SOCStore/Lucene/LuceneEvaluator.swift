public import SOCModel

/// Evaluates a ``LuceneQuery`` against one event in memory, with Elasticsearch's `query_string` semantics on an ECS
/// mapping (see ``FieldSemantics``). The in-memory store uses it, and it is the reference the SQLite compilation is
/// tested against.
public struct LuceneEvaluator: Sendable {
    /// What `now` is for date math.
    public let now: Timestamp

    /// Creates an evaluator.
    public init(now: Timestamp) { self.now = now }

    /// Whether `event` matches `query`.
    public func matches(_ query: LuceneQuery, _ event: SecurityEvent) -> Bool {
        switch query {
        case .all: return true
        case .boosted(let inner, _): return matches(inner, event)
        case .boolean(let clauses):
            let must = clauses.filter { $0.occur == .must }
            let should = clauses.filter { $0.occur == .should }
            let mustNot = clauses.filter { $0.occur == .mustNot }
            if mustNot.contains(where: { matches($0.query, event) }) { return false }
            if !must.isEmpty { return must.allSatisfy { matches($0.query, event) } }
            if !should.isEmpty { return should.contains { matches($0.query, event) } }
            return true  // only prohibited clauses: everything else matches (Elasticsearch adds match_all)
        case .exists(let field):
            return !values(field, event).isEmpty
        case .term(let field, let value):
            return test(
                field,
                event,
                keyword: { $0.text == value || ($0.integer != nil && Int64(value) == $0.integer) },
                ip: { IPMatcher(value)?.matches($0) ?? false },
                date: { time in dateRange(value).map { $0.contains(time) } ?? false },
                text: { words in !Set(FieldSemantics.words(value)).isDisjoint(with: words) }
            )
        case .phrase(let field, let text, _):
            let phrase = FieldSemantics.words(text)
            return test(
                field,
                event,
                keyword: { $0.text == text },
                ip: { IPMatcher(text)?.matches($0) ?? false },
                date: { time in dateRange(text).map { $0.contains(time) } ?? false },
                text: { words in LuceneEvaluator.containsPhrase(words, phrase) }
            )
        case .wildcard(let field, let pattern):
            let lowered = pattern.lowercased()
            return test(
                field,
                event,
                keyword: { WildcardPattern.matches(pattern, $0.text) },
                ip: { WildcardPattern.matches(pattern, $0.description) },
                date: { _ in false },
                text: { words in words.contains { WildcardPattern.matches(lowered, $0) } }
            )
        case .regex(let field, let pattern):
            // The parser has checked the pattern; the linear-time engine bounds each match by the value's length.
            guard let regex = try? LinearRegex(pattern) else { return false }
            return test(
                field,
                event,
                keyword: { regex.matchesWhole($0.text) },
                ip: { regex.matchesWhole($0.description) },
                date: { _ in false },
                text: { words in words.contains { regex.matchesWhole($0) } }
            )
        case .fuzzy(let field, let term, let distance):
            let lowered = term.lowercased()
            return test(
                field,
                event,
                keyword: { EditDistance.within($0.text, term, distance) },
                ip: { _ in false },
                date: { _ in false },
                text: { words in words.contains { EditDistance.within($0, lowered, distance) } }
            )
        case .range(let field, let lower, let upper):
            return rangeMatches(field, lower, upper, event)
        }
    }

    /// A field value in the forms the matchers need.
    struct Value {
        let text: String
        let integer: Int64?
    }

    func values(_ field: String, _ event: SecurityEvent) -> [Value] {
        if field == ECSField.timestamp { return event.timestamp.map { [Value(text: $0.iso8601, integer: nil)] } ?? [] }
        guard let value = event[field] else { return [] }
        switch value {
        case .string(let text): return text.isEmpty ? [] : [Value(text: text, integer: nil)]
        case .integer(let number): return [Value(text: String(number), integer: number)]
        case .strings(let texts): return texts.map { Value(text: $0, integer: nil) }
        }
    }

    /// Applies the matcher for the field's semantics; with no field, keyword matching over every field and
    /// text matching over `message`.
    private func test(
        _ field: String?,
        _ event: SecurityEvent,
        keyword: (Value) -> Bool,
        ip: (IPAddress) -> Bool,
        date: (Timestamp) -> Bool,
        text: ([String]) -> Bool
    ) -> Bool {
        guard let field else {
            for (name, _) in event.fields where name != ECSField.message {
                if values(name, event).contains(where: keyword) { return true }
            }
            if let message = event.string(ECSField.message) { return text(FieldSemantics.words(message)) }
            return false
        }
        switch FieldSemantics.of(field) {
        case .text:
            return values(field, event).contains { text(FieldSemantics.words($0.text)) }
        case .ip:
            return values(field, event).contains { IPAddress($0.text).map(ip) ?? false }
        case .date:
            if field == ECSField.timestamp { return event.timestamp.map(date) ?? false }
            return values(field, event).contains { value in TimestampLike.parse(value.text).map(date) ?? false }
        case .keyword:
            return values(field, event).contains(where: keyword)
        }
    }

    /// The instants a date term covers: `2024-05-02` is the whole day, as Elasticsearch rounds it.
    private func dateRange(_ text: String) -> TimeRange? {
        guard let start = DateMath.resolve(text, now: now, roundUp: false),
            let end = DateMath.resolve(text, now: now, roundUp: true)
        else {
            return nil
        }
        return TimeRange(start: start, end: Timestamp(microsecondsSinceEpoch: end.microsecondsSinceEpoch + 1))
    }

    private func rangeMatches(
        _ field: String,
        _ lower: LuceneBound?,
        _ upper: LuceneBound?,
        _ event: SecurityEvent
    ) -> Bool {
        switch FieldSemantics.of(field) {
        case .date:
            // gt and lte round up, gte and lt round down (Elasticsearch's date math rules).
            let low = lower.flatMap { DateMath.resolve($0.value, now: now, roundUp: !$0.inclusive) }
            let high = upper.flatMap { DateMath.resolve($0.value, now: now, roundUp: $0.inclusive) }
            if (lower != nil && low == nil) || (upper != nil && high == nil) { return false }
            let times: [Timestamp] =
                field == ECSField.timestamp
                ? (event.timestamp.map { [$0] } ?? [])
                : values(field, event).compactMap { TimestampLike.parse($0.text) }
            return times.contains { time in
                if let low, let lower { if lower.inclusive ? time < low : time <= low { return false } }
                if let high, let upper { if upper.inclusive ? time > high : time >= high { return false } }
                return true
            }
        case .ip:
            let low = lower.flatMap { IPAddress($0.value) }
            let high = upper.flatMap { IPAddress($0.value) }
            return values(field, event).contains { value in
                guard let address = IPAddress(value.text) else { return false }
                if let low, let lower { if lower.inclusive ? address < low : address <= low { return false } }
                if let high, let upper { if upper.inclusive ? high < address : high <= address { return false } }
                return true
            }
        case .keyword, .text:
            return values(field, event).contains { value in
                if let number = value.integer {
                    if let lower {
                        guard let bound = Double(lower.value),
                            lower.inclusive ? Double(number) >= bound : Double(number) > bound
                        else { return false }
                    }
                    if let upper {
                        guard let bound = Double(upper.value),
                            upper.inclusive ? Double(number) <= bound : Double(number) < bound
                        else { return false }
                    }
                    return true
                }
                if let lower {
                    if lower.inclusive
                        ? value.text.utf8.lexicographicallyPrecedes(lower.value.utf8)
                        : !lower.value.utf8.lexicographicallyPrecedes(value.text.utf8)
                    {
                        return false
                    }
                }
                if let upper {
                    if upper.inclusive
                        ? upper.value.utf8.lexicographicallyPrecedes(value.text.utf8)
                        : !value.text.utf8.lexicographicallyPrecedes(upper.value.utf8)
                    {
                        return false
                    }
                }
                return true
            }
        }
    }

    /// Whether `phrase` occurs in `words` as consecutive words.
    static func containsPhrase(_ words: [String], _ phrase: [String]) -> Bool {
        guard !phrase.isEmpty else { return true }
        guard words.count >= phrase.count else { return false }
        for start in 0...(words.count - phrase.count) where words[start] == phrase[0] {
            if Array(words[start..<start + phrase.count]) == phrase { return true }
        }
        return false
    }
}

/// Lucene wildcard patterns: `*` any run, `?` one character, `\` escapes.
public enum WildcardPattern {
    /// Whether `text` matches `pattern` as a whole.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        var tokens: [(character: Character, wildcard: Bool)] = []
        var escaped = false
        for character in pattern {
            if escaped {
                tokens.append((character, false))
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                tokens.append((character, character == "*" || character == "?"))
            }
        }
        let characters = Array(text)
        // Iterative matching with backtracking to the last '*'.
        var p = 0
        var t = 0
        var star = -1
        var mark = 0
        while t < characters.count {
            if p < tokens.count, tokens[p].wildcard, tokens[p].character == "*" {
                star = p
                mark = t
                p += 1
            } else if p < tokens.count,
                (tokens[p].wildcard && tokens[p].character == "?")
                    || (!tokens[p].wildcard && tokens[p].character == characters[t])
            {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p].wildcard, tokens[p].character == "*" { p += 1 }
        return p == tokens.count
    }

    /// The pattern as an SQLite `GLOB` pattern (which is case-sensitive, like keyword fields).
    public static func glob(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        for character in pattern {
            if escaped {
                out +=
                    character == "*" || character == "?" || character == "[" || character == "]"
                    ? "[\(character)]" : String(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "[" || character == "]" {
                out += "[\(character)]"
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// Levenshtein distance with an early exit, for fuzzy terms.
public enum EditDistance {
    /// Whether `a` and `b` are at most `limit` edits apart.
    public static func within(_ a: String, _ b: String, _ limit: Int) -> Bool {
        let x = Array(a)
        let y = Array(b)
        if abs(x.count - y.count) > limit { return false }
        var previous = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var current = [i] + Array(repeating: 0, count: y.count)
            var best = current[0]
            for j in 1...max(y.count, 1) where !y.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                best = min(best, current[j])
            }
            if best > limit { return false }
            previous = current
        }
        return (x.isEmpty ? y.count : previous[y.count]) <= limit
    }
}
