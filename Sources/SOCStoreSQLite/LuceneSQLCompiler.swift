import GRDB
import SOCModel
import SOCStore

/// Compiles a ``LuceneQuery`` to a parameterized SQL condition over `events e JOIN event_docs d`.
///
/// Every value from the query becomes a bound argument; field names choose between fixed column names and a JSON
/// path that is itself bound. No query text is ever spliced into SQL. The semantics are those of
/// ``LuceneEvaluator`` (Elasticsearch `query_string` on an ECS mapping); the tests hold the two to the same answers.
struct LuceneSQLCompiler {
    /// The condition and its arguments.
    struct Condition {
        var sql: String
        var arguments: [DatabaseValue]
        /// The query is one exact value of a column whose index goes on in time order, so SQLite reads the newest
        /// matches from that index first and a page needs no sort of every match.
        var readsNewestFirst = false
    }

    let now: Timestamp
    /// The typed address columns hold only canonical addresses (``AddressSQL``).
    let canonicalAddressColumns: Bool
    private var arguments: [DatabaseValue] = []

    init(now: Timestamp, canonicalAddressColumns: Bool) {
        self.now = now
        self.canonicalAddressColumns = canonicalAddressColumns
    }

    /// Columns that hold an ECS field directly.
    private static let columns: [String: (column: String, integer: Bool)] = [
        ECSField.sourceFormat: ("e.format", false), ECSField.eventCode: ("e.event_code", false),
        ECSField.eventAction: ("e.action", false), ECSField.eventOutcome: ("e.outcome", false),
        ECSField.eventModule: ("e.module", false), ECSField.hostName: ("e.host_name", false),
        ECSField.userName: ("e.user_name", false), ECSField.userDomain: ("e.user_domain", false),
        ECSField.sourceIP: ("e.source_ip", false), ECSField.destinationIP: ("e.destination_ip", false),
        ECSField.processName: ("e.process_name", false), ECSField.processExecutable: ("e.process_executable", false),
        ECSField.processCommandLine: ("e.process_command_line", false),
        ECSField.processParentName: ("e.process_parent_name", false),
        ECSField.sourcePort: ("e.source_port", true), ECSField.destinationPort: ("e.destination_port", true),
        ECSField.networkDirection: ("e.network_direction", false),
    ]

    /// The typed column whose index collates without case (``Schema/secondaryIndexes``).
    private static let caseInsensitivelyIndexed = "e.host_name"

    /// - Parameter canonicalAddressColumns: The store's typed address columns hold only canonical addresses, so
    ///   a CIDR block needs no exact test beyond its index ranges.
    static func compile(_ query: LuceneQuery, now: Timestamp, canonicalAddressColumns: Bool = false) -> Condition {
        var compiler = LuceneSQLCompiler(now: now, canonicalAddressColumns: canonicalAddressColumns)
        let sql = compiler.condition(query)
        return Condition(sql: sql, arguments: compiler.arguments, readsNewestFirst: readsNewestFirst(query))
    }

    /// Typed columns whose index continues with the time (``Schema/secondaryIndexes``: `events_source_ip_ts`,
    /// `events_user_ts`).
    private static let timeOrderedColumns: Set<String> = ["e.source_ip", "e.user_name"]

    /// Whether `query` is one exact value (a single address, a keyword) of a ``timeOrderedColumns`` column.
    private static func readsNewestFirst(_ query: LuceneQuery) -> Bool {
        switch query {
        case .boosted(let inner, _):
            return readsNewestFirst(inner)
        case .term(let field?, let value), .phrase(let field?, let value, _):
            guard let column = columns[field]?.column, timeOrderedColumns.contains(column) else { return false }
            switch FieldSemantics.of(field) {
            case .ip: return IPMatcher(value)?.isSingleAddress == true
            case .keyword: return true
            case .text, .date: return false
            }
        default:
            return false
        }
    }

    /// Binds a value and returns its numbered placeholder (`?3`), so arguments may be bound in any order.
    private mutating func bind(_ value: some DatabaseValueConvertible) -> String {
        arguments.append(value.databaseValue)
        return "?\(arguments.count)"
    }

    /// A condition for `query`. It may be NULL where a field is missing (which WHERE, AND and OR treat as false);
    /// a prohibited clause is wrapped in `coalesce(…, 0)` so that `NOT` keeps events without the field, as
    /// Elasticsearch's must_not does. Plain comparisons on typed columns stay bare, so their indexes are used.
    private mutating func condition(_ query: LuceneQuery) -> String {
        switch query {
        case .all: return "1"
        case .boosted(let inner, _): return condition(inner)
        case .boolean(let clauses):
            var parts: [String] = []
            let must = clauses.filter { $0.occur == .must }
            let should = clauses.filter { $0.occur == .should }
            for clause in must { parts.append(condition(clause.query)) }
            if must.isEmpty && !should.isEmpty {
                parts.append("(" + should.map { condition($0.query) }.joined(separator: " OR ") + ")")
            }
            for clause in clauses where clause.occur == .mustNot {
                parts.append("NOT coalesce(" + condition(clause.query) + ", 0)")
            }
            return parts.isEmpty ? "1" : "(" + parts.joined(separator: " AND ") + ")"
        case .exists(let field):
            return exists(field)
        default:
            return leaf(query)
        }
    }

    private mutating func exists(_ field: String) -> String {
        if field == ECSField.timestamp { return "(e.ts IS NOT NULL)" }
        if field == ECSField.message { return "(d.message IS NOT NULL AND d.message <> '')" }
        if let column = Self.columns[field] { return "(\(column.column) IS NOT NULL AND \(column.column) <> '')" }
        return "(json_type(d.doc, \(bind(Self.path(field)))) IS NOT NULL)"
    }

    private static func path(_ field: String) -> String {
        "$.\"" + field.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// A predicate over the values of `field`: `test` receives an SQL expression for one value.
    private mutating func anyValue(_ field: String, _ test: (inout LuceneSQLCompiler, String) -> String) -> String {
        if let column = Self.columns[field] { return test(&self, column.column) }
        let path = bind(Self.path(field))
        let predicate = test(&self, "j.value")
        return "EXISTS (SELECT 1 FROM json_each(d.doc, \(path)) j WHERE \(predicate))"
    }

    /// A predicate over every field's values (the default field), excluding `message`.
    private mutating func anyField(_ test: (inout LuceneSQLCompiler, String) -> String) -> String {
        let scalar = test(&self, "j.value")
        let element = test(&self, "k.value")
        return
            "EXISTS (SELECT 1 FROM json_each(d.doc) j WHERE (j.type <> 'array' AND \(scalar)) OR (j.type = 'array' AND EXISTS (SELECT 1 FROM json_each(j.value) k WHERE \(element))))"
    }

    /// Equality with keyword semantics; JSON values may be integers, so a number is compared both ways there
    /// (typed text columns convert a number themselves).
    private mutating func equals(_ value: String, _ expression: String) -> String {
        if expression == Self.caseInsensitivelyIndexed {
            // Its index collates without case (host filters do); the first test uses it, the second keeps the
            // keyword semantics, which are exact.
            let placeholder = bind(value)
            return "(\(expression) = \(placeholder) COLLATE NOCASE AND \(expression) = \(placeholder))"
        }
        if expression.hasPrefix("e."), Self.columns.values.contains(where: { $0.column == expression && !$0.integer }) {
            return "\(expression) = \(bind(value))"
        }
        if let number = Int64(value) { return "(\(expression) = \(bind(value)) OR \(expression) = \(bind(number)))" }
        return "\(expression) = \(bind(value))"
    }

    /// An address or CIDR test, through the column's index where there is one (``AddressSQL``).
    private mutating func ipMatch(_ text: String, _ expression: String) -> String {
        guard let matcher = IPMatcher(text) else { return "0" }
        // JSON values are as the document has them; only the typed columns are known to be canonical.
        let canonicalOnly = canonicalAddressColumns && expression.hasPrefix("e.")
        return "(" + AddressSQL.inBlock(expression, matcher, canonicalOnly: canonicalOnly) { bind($0) } + ")"
    }

    private mutating func leaf(_ query: LuceneQuery) -> String {
        switch query {
        case .term(let field, let value):
            guard let field else {
                return "(" + anyField { $0.equals(value, $1) } + " OR "
                    + fullText(words: FieldSemantics.words(value), phrase: false) + ")"
            }
            switch FieldSemantics.of(field) {
            case .text: return fullText(words: FieldSemantics.words(value), phrase: false)
            case .ip: return anyValue(field) { $0.ipMatch(value, $1) }
            case .date: return dateTerm(field, value)
            case .keyword: return anyValue(field) { $0.equals(value, $1) }
            }
        case .phrase(let field, let text, _):
            guard let field else {
                return "(" + anyField { $0.equals(text, $1) } + " OR "
                    + fullText(words: FieldSemantics.words(text), phrase: true) + ")"
            }
            switch FieldSemantics.of(field) {
            case .text: return fullText(words: FieldSemantics.words(text), phrase: true)
            case .ip: return anyValue(field) { $0.ipMatch(text, $1) }
            case .date: return dateTerm(field, text)
            case .keyword: return anyValue(field) { $0.equals(text, $1) }
            }
        case .wildcard(let field, let pattern):
            guard let field else {
                let fields = anyField { compiler, value in
                    "\(value) GLOB \(compiler.bind(WildcardPattern.glob(pattern)))"
                }
                return "(" + fields + " OR soc_words('wildcard', \(bind(pattern)), d.message))"
            }
            switch FieldSemantics.of(field) {
            case .text: return "soc_words('wildcard', \(bind(pattern)), d.message)"
            case .ip, .date: return "0"
            case .keyword:
                return anyValue(field) { compiler, value in
                    "\(value) GLOB \(compiler.bind(WildcardPattern.glob(pattern)))"
                }
            }
        case .regex(let field, let pattern):
            guard let field else {
                let fields = anyField { compiler, value in "soc_regexp(\(compiler.bind(pattern)), \(value))" }
                return "(" + fields + " OR soc_words('regexp', \(bind(pattern)), d.message))"
            }
            switch FieldSemantics.of(field) {
            case .text: return "soc_words('regexp', \(bind(pattern)), d.message)"
            case .ip, .keyword:
                return anyValue(field) { compiler, value in "soc_regexp(\(compiler.bind(pattern)), \(value))" }
            case .date: return "0"
            }
        case .fuzzy(let field, let term, let distance):
            guard let field else {
                let fields = anyField { compiler, value in
                    "soc_fuzzy(\(compiler.bind(term)), \(value), \(compiler.bind(distance)))"
                }
                return "(" + fields + " OR soc_words(\(bind("fuzzy:\(distance)")), \(bind(term)), d.message))"
            }
            switch FieldSemantics.of(field) {
            case .text: return "soc_words(\(bind("fuzzy:\(distance)")), \(bind(term)), d.message)"
            case .keyword:
                return anyValue(field) { compiler, value in
                    "soc_fuzzy(\(compiler.bind(term)), \(value), \(compiler.bind(distance)))"
                }
            case .ip, .date: return "0"
            }
        case .range(let field, let lower, let upper):
            return range(field, lower, upper)
        default:
            return condition(query)
        }
    }

    /// Words in `message`, through the FTS5 index: any of them, or all in order for a phrase.
    private mutating func fullText(words: [String], phrase: Bool) -> String {
        guard !words.isEmpty else { return "0" }
        // Words are letters and digits only, so quoting them makes a safe FTS5 expression.
        let expression =
            phrase ? "\"" + words.joined(separator: " ") + "\"" : words.map { "\"\($0)\"" }.joined(separator: " OR ")
        // Driven by the FTS5 index through the rowid both tables share.
        return "(e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH \(bind(expression))))"
    }

    private mutating func dateTerm(_ field: String, _ value: String) -> String {
        range(field, LuceneBound(value, inclusive: true), LuceneBound(value, inclusive: true))
    }

    private mutating func range(_ field: String, _ lower: LuceneBound?, _ upper: LuceneBound?) -> String {
        switch FieldSemantics.of(field) {
        case .date:
            let low = lower.flatMap { DateMath.resolve($0.value, now: now, roundUp: !$0.inclusive) }
            let high = upper.flatMap { DateMath.resolve($0.value, now: now, roundUp: $0.inclusive) }
            if (lower != nil && low == nil) || (upper != nil && high == nil) { return "0" }
            var parts: [String] = []
            if field == ECSField.timestamp {
                if let low, let lower {
                    parts.append("e.ts \(lower.inclusive ? ">=" : ">") \(bind(low.microsecondsSinceEpoch))")
                }
                if let high, let upper {
                    parts.append("e.ts \(upper.inclusive ? "<=" : "<") \(bind(high.microsecondsSinceEpoch))")
                }
                return parts.isEmpty ? "(e.ts IS NOT NULL)" : "(" + parts.joined(separator: " AND ") + ")"
            }
            return anyValue(field) { compiler, value in
                var parts: [String] = []
                if let low, let lower {
                    parts.append("\(value) \(lower.inclusive ? ">=" : ">") \(compiler.bind(low.iso8601))")
                }
                if let high, let upper {
                    parts.append("\(value) \(upper.inclusive ? "<=" : "<") \(compiler.bind(high.iso8601))")
                }
                return parts.isEmpty ? "1" : parts.joined(separator: " AND ")
            }
        case .ip:
            return anyValue(field) { compiler, value in
                var parts = ["soc_ip_cmp(\(value), \(value)) = 0"]
                if let lower {
                    parts.append(
                        "soc_ip_cmp(\(value), \(compiler.bind(lower.value))) \(lower.inclusive ? ">=" : ">") 0"
                    )
                }
                if let upper {
                    parts.append(
                        "soc_ip_cmp(\(value), \(compiler.bind(upper.value))) \(upper.inclusive ? "<=" : "<") 0"
                    )
                }
                return parts.joined(separator: " AND ")
            }
        case .keyword, .text:
            let integerColumn = Self.columns[field]?.integer ?? false
            return anyValue(field) { compiler, value in
                // Whole numbers compare numerically, text compares byte by byte (Elasticsearch keyword order).
                var numeric: [String] = ["typeof(\(value)) IN ('integer', 'real')"]
                var textual: [String] = ["typeof(\(value)) = 'text'"]
                for (bound, isLower) in [(lower, true), (upper, false)] {
                    guard let bound else { continue }
                    let op = isLower ? (bound.inclusive ? ">=" : ">") : (bound.inclusive ? "<=" : "<")
                    if let number = Double(bound.value) {
                        numeric.append("\(value) \(op) \(compiler.bind(number))")
                    } else {
                        numeric.append("0")
                    }
                    if !integerColumn { textual.append("\(value) \(op) \(compiler.bind(bound.value))") }
                }
                let numericSQL = "(" + numeric.joined(separator: " AND ") + ")"
                return integerColumn
                    ? numericSQL : "(" + numericSQL + " OR (" + textual.joined(separator: " AND ") + "))"
            }
        }
    }
}
