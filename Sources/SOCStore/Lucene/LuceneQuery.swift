/// A parsed Lucene `query_string` query: the syntax tree that every backend evaluates or compiles.
///
/// Values are kept unescaped; wildcard patterns keep `*` and `?` as wildcards and a literal `*`, `?` or `\`
/// escaped with `\`. ``description`` prints the query back in Lucene syntax, so `parse(print(q)) == q`.
public indirect enum LuceneQuery: Hashable, Sendable, CustomStringConvertible {
    /// `*:*`: every event.
    case all
    /// Clauses combined with Lucene's occur rules (see ``LuceneClause``).
    case boolean([LuceneClause])
    /// An exact term. With no field it is searched in every field, and analysed against `message`.
    case term(field: String?, value: String)
    /// A quoted phrase, with an optional slop (`"a b"~2`).
    case phrase(field: String?, text: String, slop: Int?)
    /// A pattern with `*` (any run) and `?` (any one character).
    case wildcard(field: String?, pattern: String)
    /// A regular expression that must match a whole value (`/adm.n/`).
    case regex(field: String?, pattern: String)
    /// A term within an edit distance (`jsmyth~1`).
    case fuzzy(field: String?, term: String, distance: Int)
    /// A range: `[a TO b]`, `{a TO b}`, `>=a`, `<b`; `nil` bounds are open.
    case range(field: String, lower: LuceneBound?, upper: LuceneBound?)
    /// `_exists_:field` or `field:*`.
    case exists(field: String)
    /// A boosted query (`q^2`); the boost does not change which events match.
    case boosted(LuceneQuery, Double)

    /// The query in Lucene syntax.
    public var description: String { render(topLevel: true) }

    private func render(topLevel: Bool) -> String {
        switch self {
        case .all: return "*:*"
        case .boolean(let clauses):
            let body = clauses.map { clause -> String in
                let inner = clause.query.render(topLevel: false)
                switch clause.occur {
                case .must: return "+" + inner
                case .mustNot: return "-" + inner
                case .should: return inner
                }
            }.joined(separator: " OR ")  // explicit, so adjacent bare words are not read back as one chunk
            return topLevel ? body : "(" + body + ")"
        case .term(let field, let value):
            return Self.prefix(field) + Self.escape(value)
        case .phrase(let field, let text, let slop):
            let quoted = "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
            return Self.prefix(field) + quoted + (slop.map { "~\($0)" } ?? "")
        case .wildcard(let field, let pattern):
            // The pattern already escapes literal wildcards; escape the other reserved characters.
            var out = ""
            var escaped = false
            for character in pattern {
                if escaped {
                    out += "\\" + String(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "*" || character == "?" {
                    out.append(character)
                } else {
                    out += Self.escape(String(character))
                }
            }
            return Self.prefix(field) + out
        case .regex(let field, let pattern):
            return Self.prefix(field) + "/" + pattern.replacing("/", with: "\\/") + "/"
        case .fuzzy(let field, let term, let distance):
            return Self.prefix(field) + Self.escape(term) + "~\(distance)"
        case .range(let field, let lower, let upper):
            let open = lower?.inclusive == false ? "{" : "["
            let close = upper?.inclusive == false ? "}" : "]"
            return Self.prefix(field) + open + (lower.map { Self.rangeValue($0.value) } ?? "*") + " TO "
                + (upper.map { Self.rangeValue($0.value) } ?? "*") + close
        case .exists(let field):
            return "_exists_:" + Self.escape(field)
        case .boosted(let query, let boost):
            let inner = query.render(topLevel: false)
            let text = boost == boost.rounded() && abs(boost) < 1e15 ? String(Int64(boost)) : String(boost)
            return inner + "^" + text
        }
    }

    private static func prefix(_ field: String?) -> String { field.map { escape($0) + ":" } ?? "" }

    private static func rangeValue(_ value: String) -> String {
        value == "*"
            ? "\"*\""
            : (value.contains(" ") || value.isEmpty
                ? "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\"" : escape(value))
    }

    /// Escapes Lucene's reserved characters and whitespace with `\`.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            if LuceneParser.reserved.contains(character) || character.isWhitespace {
                out.append("\\")
            }
            out.append(character)
        }
        // Words that would read as operators are escaped on their first letter.
        if out == "AND" || out == "OR" || out == "NOT" || out == "TO" { out = "\\" + out }
        return out
    }

    /// Every field the query names (`nil` for default-field terms are left out).
    public var fields: Set<String> {
        switch self {
        case .all: return []
        case .boolean(let clauses): return clauses.reduce(into: Set<String>()) { $0.formUnion($1.query.fields) }
        case .term(let field, _), .phrase(let field, _, _), .wildcard(let field, _), .regex(let field, _),
            .fuzzy(let field, _, _):
            return field.map { [$0] } ?? []
        case .range(let field, _, _), .exists(let field): return [field]
        case .boosted(let query, _): return query.fields
        }
    }
}

/// One clause of a boolean query and how it must occur.
public struct LuceneClause: Hashable, Sendable {
    /// Lucene's occur values.
    public enum Occur: Hashable, Sendable {
        /// The clause must match (`+`, or joined by `AND`).
        case must
        /// The clause may match; with no `must` clause, at least one `should` clause must match.
        case should
        /// The clause must not match (`-`, `NOT`, `!`).
        case mustNot
    }
    /// How the clause occurs.
    public var occur: Occur
    /// The clause's query.
    public var query: LuceneQuery

    /// Creates a clause.
    public init(_ occur: Occur, _ query: LuceneQuery) {
        self.occur = occur
        self.query = query
    }
}

/// One end of a range.
public struct LuceneBound: Hashable, Sendable {
    /// The value as written (a number, an address, a date or date math such as `now-1d/d`).
    public var value: String
    /// Whether the bound itself is included.
    public var inclusive: Bool

    /// Creates a bound.
    public init(_ value: String, inclusive: Bool) {
        self.value = value
        self.inclusive = inclusive
    }
}
