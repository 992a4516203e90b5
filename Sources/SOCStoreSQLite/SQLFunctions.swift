import Foundation
import GRDB
import GRDBSQLite
import SOCModel
import SOCStore
import Synchronization

/// The SQL functions the query compiler uses for what SQLite cannot say itself: address and CIDR tests, Lucene
/// wildcards, regular expressions and fuzzy terms, and word-level matching on `message`. They are pure and
/// deterministic, so SQLite may evaluate them as it likes.
enum SQLFunctions {
    static func register(on db: Database) {
        for function in all { db.add(function: function) }
        registerAddressInBlock(on: db)
    }

    /// soc_ip_in(address, matcher): the address is inside the address or CIDR block (0 for NULL or non-text).
    ///
    /// Registered on SQLite's own interface rather than as a ``DatabaseFunction``: a CIDR search runs it on every
    /// row an index range finds (480,000 rows for `10.0.0.0/8` in a 1 M-event store), so the address is read in
    /// place, without making a `String`, and the block is parsed once per statement (kept as SQLite's auxiliary
    /// data, a plain value: no reference counting per row).
    private static func registerAddressInBlock(on db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection,
            "soc_ip_in",
            2,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC,
            nil,
            { context, _, values in
                guard let context, let values, let addressValue = values[0], let blockValue = values[1] else { return }
                let matcher: IPMatcher?
                if let cached = sqlite3_get_auxdata(context, 1) {
                    matcher = cached.assumingMemoryBound(to: IPMatcher?.self).pointee
                } else {
                    let block = UnsafeMutablePointer<IPMatcher?>.allocate(capacity: 1)
                    block.initialize(to: SQLFunctions.text(of: blockValue).flatMap(IPMatcher.init))
                    matcher = block.pointee  // read first: SQLite owns the block from here and may free it at once
                    sqlite3_set_auxdata(context, 1, block) { $0?.assumingMemoryBound(to: IPMatcher?.self).deallocate() }
                }
                sqlite3_result_int(context, SQLFunctions.address(addressValue, isIn: matcher) ? 1 : 0)
            },
            nil,
            nil,
            nil
        )
    }

    /// Whether a text value is an address inside the block, reading its bytes in place.
    private static func address(_ value: OpaquePointer, isIn matcher: IPMatcher?) -> Bool {
        guard let matcher, sqlite3_value_type(value) == SQLITE_TEXT, let bytes = sqlite3_value_text(value) else {
            return false
        }
        let utf8 = UnsafeBufferPointer(start: bytes, count: Int(sqlite3_value_bytes(value)))
        if let ipv4 = IPAddressText.ipv4Value(utf8: utf8) { return matcher.matches(IPAddress(ipv4: ipv4)) }
        return matcher.matches(String(decoding: utf8, as: UTF8.self))
    }

    /// A text value's bytes as a string, or `nil` when it is not text.
    private static func text(of value: OpaquePointer) -> String? {
        guard sqlite3_value_type(value) == SQLITE_TEXT, let bytes = sqlite3_value_text(value) else { return nil }
        return String(
            decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_value_bytes(value))),
            as: UTF8.self
        )
    }

    /// Compiled patterns, so a query compiles its regular expression once rather than once per row.
    private static let regexes = RegexCache()

    private static let all: [DatabaseFunction] = [
        // soc_ip_cmp(a, b): -1, 0 or 1 comparing addresses numerically; NULL if either is not an address.
        DatabaseFunction("soc_ip_cmp", argumentCount: 2, pure: true) { values in
            guard let a = String.fromDatabaseValue(values[0]).flatMap(IPAddress.init),
                let b = String.fromDatabaseValue(values[1]).flatMap(IPAddress.init)
            else {
                return nil
            }
            return a < b ? -1 : (a == b ? 0 : 1)
        },
        // soc_ip_public(address): the address is routable on the internet.
        DatabaseFunction("soc_ip_public", argumentCount: 1, pure: true) { values in
            guard let address = String.fromDatabaseValue(values[0]).flatMap(IPAddress.init) else { return false }
            return !address.isPrivate
        },
        // soc_wildcard(pattern, value): Lucene wildcard match on a whole value.
        DatabaseFunction("soc_wildcard", argumentCount: 2, pure: true) { values in
            guard let pattern = String.fromDatabaseValue(values[0]), let value = String.fromDatabaseValue(values[1])
            else { return false }
            return WildcardPattern.matches(pattern, value)
        },
        // soc_regexp(pattern, value): the regular expression matches the whole value.
        DatabaseFunction("soc_regexp", argumentCount: 2, pure: true) { values in
            guard let pattern = String.fromDatabaseValue(values[0]), let value = String.fromDatabaseValue(values[1]),
                let regex = regexes.regex(pattern)
            else { return false }
            return regex.matchesWhole(value)
        },
        // soc_fuzzy(term, value, distance): at most `distance` edits apart.
        DatabaseFunction("soc_fuzzy", argumentCount: 3, pure: true) { values in
            guard let term = String.fromDatabaseValue(values[0]), let value = String.fromDatabaseValue(values[1]),
                let distance = Int.fromDatabaseValue(values[2])
            else { return false }
            return EditDistance.within(value, term, distance)
        },
        // soc_words(kind, argument, text): word-level matching on an analysed text field.
        //   kind 'any': some word of `argument` is a word of the text; 'phrase': the words occur consecutively;
        //   'wildcard' / 'regexp' / 'fuzzy:N': some word of the text matches `argument`.
        DatabaseFunction("soc_words", argumentCount: 3, pure: true) { values in
            guard let kind = String.fromDatabaseValue(values[0]), let argument = String.fromDatabaseValue(values[1]),
                let text = String.fromDatabaseValue(values[2])
            else { return false }
            let words = FieldSemantics.words(text)
            switch kind {
            case "any": return !Set(FieldSemantics.words(argument)).isDisjoint(with: words)
            case "phrase":
                let phrase = FieldSemantics.words(argument)
                guard !phrase.isEmpty, words.count >= phrase.count else { return phrase.isEmpty }
                return (0...(words.count - phrase.count)).contains { Array(words[$0..<$0 + phrase.count]) == phrase }
            case "wildcard": return words.contains { WildcardPattern.matches(argument.lowercased(), $0) }
            case "regexp":
                guard let regex = regexes.regex(argument) else { return false }
                return words.contains { regex.matchesWhole($0) }
            default:
                guard kind.hasPrefix("fuzzy:"), let distance = Int(kind.dropFirst(6)) else { return false }
                return words.contains { EditDistance.within($0, argument.lowercased(), distance) }
            }
        },
    ]
}

/// The last few patterns the regular-expression functions compiled (queries use one or two at a time). Patterns run
/// on the linear-time engine: they come from queries, which may come from the model.
private final class RegexCache: Sendable {
    private let entries = Mutex<[String: LinearRegex]>([:])
    private static let capacity = 16

    /// The compiled `pattern`, or `nil` when the engine cannot run it (the query parser reports that first).
    func regex(_ pattern: String) -> LinearRegex? {
        if let cached = entries.withLock({ $0[pattern] }) { return cached }
        guard let regex = try? LinearRegex(pattern) else { return nil }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[pattern] = regex
        }
        return regex
    }
}
