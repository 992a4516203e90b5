import Foundation
import SOCAnalystKit
import SOCModel
import SOCStore
import Testing

@testable import SOCStoreSQLite

/// Random and mutated queries: the parser never crashes, whatever parses prints back to the same tree, and the
/// compiled SQL never contains a value from the query (every value is a bound argument).
@Suite struct LuceneFuzzTests {
    static let seeds = [
        "event.code:4625 AND user.name:admin*", "(a OR b) AND NOT c:d", #"message:"failed \"to\" log on"~2"#,
        "@timestamp:[now-1d/d TO now}", "source.ip:\"10.0.0.0/8\" OR destination.port:>=443",
        "user.name:/adm.n/ AND x:y~1",
        #"winlog.channel:Microsoft\-Windows\-Sysmon\/Operational"#, "+a -b !c && d || e",
        "_exists_:process.parent.name^2",
        "x:'; DROP TABLE events; --", "user.name:\"' OR 1=1 --\"",
    ]

    static let alphabet: [Character] = Array("abcXYZ019 :*?~^\"\\/()[]{}<>=!&|+-_.'`;$%\u{0}\u{7F}é東\n\t")

    @Test func randomAndMutatedQueriesNeverCrashAndNeverReachSQLAsText() throws {
        var random = SplitMix64(seed: 2024)
        var parsed = 0
        for round in 0..<20_000 {
            var text: String
            if round % 2 == 0 {
                let length = Int(random.next() % 40)
                text = String((0..<length).map { _ in Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))] })
            } else {
                var characters = Array(Self.seeds[Int(random.next() % UInt64(Self.seeds.count))])
                for _ in 0..<Int(random.next() % 4 + 1) {
                    let position = characters.isEmpty ? 0 : Int(random.next() % UInt64(characters.count))
                    switch random.next() % 3 {
                    case 0:
                        characters.insert(Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))], at: position)
                    case 1: if !characters.isEmpty { characters.remove(at: position) }
                    default:
                        if !characters.isEmpty {
                            characters[position] = Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))]
                        }
                    }
                }
                text = String(characters)
            }
            guard let query = try? LuceneParser.parse(text) else { continue }
            parsed += 1
            let printed = query.description
            #expect(
                (try? LuceneParser.parse(printed)) == query,
                "\(text.debugDescription) → \(printed.debugDescription)"
            )
            let condition = LuceneSQLCompiler.compile(query, now: Timestamp(microsecondsSinceEpoch: 0))
            #expect(Self.isParameterized(condition), "\(text.debugDescription) compiled to \(condition.sql)")
        }
        #expect(parsed > 1000)
    }

    /// Whether the SQL is made only of our own text: every placeholder has an argument, and once placeholders and
    /// our fixed literals are removed, no quote is left (a spliced string would bring one) and no number but 0 and 1
    /// (a spliced number would).
    static func isParameterized(_ condition: LuceneSQLCompiler.Condition) -> Bool {
        let placeholders = try! NSRegularExpression(pattern: #"\?(\d+)"#)
        let sql = condition.sql
        let range = NSRange(sql.startIndex..., in: sql)
        let numbers = placeholders.matches(in: sql, range: range).compactMap {
            Range($0.range(at: 1), in: sql).flatMap { Int(sql[$0]) }
        }
        guard numbers.allSatisfy({ $0 >= 1 && $0 <= condition.arguments.count }),
            Set(numbers).count == condition.arguments.count
        else { return false }
        var rest = placeholders.stringByReplacingMatches(in: sql, range: range, withTemplate: "")
        for literal in ["'array'", "'text'", "'integer'", "'real'", "'wildcard'", "'regexp'", "'phrase'", "''"] {
            rest = rest.replacingOccurrences(of: literal, with: "")
        }
        if rest.contains("'") || rest.contains("\"") { return false }
        let digits = try! NSRegularExpression(pattern: #"\d+"#)
        return digits.matches(in: rest, range: NSRange(rest.startIndex..., in: rest)).allSatisfy { match in
            Range(match.range, in: rest).map { ["0", "1"].contains(String(rest[$0])) } ?? false
        }
    }

    static func values(of query: LuceneQuery) -> [String] {
        switch query {
        case .all: return []
        case .boolean(let clauses): return clauses.flatMap { values(of: $0.query) }
        case .term(_, let value): return [value]
        case .phrase(_, let text, _): return [text]
        case .wildcard(_, let pattern), .regex(_, let pattern): return [pattern]
        case .fuzzy(_, let term, _): return [term]
        case .range(_, let lower, let upper): return [lower?.value, upper?.value].compactMap { $0 }
        case .exists: return []
        case .boosted(let inner, _): return values(of: inner)
        }
    }

    @Test func hostileQueriesRunAsDataAgainstARealStore() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        var event = SecurityEvent(
            id: EventIdentifier(record: "x"),
            timestamp: Timestamp(microsecondsSinceEpoch: 0),
            original: "x"
        )
        event[ECSField.userName] = .string("'; DROP TABLE events; --")
        event[ECSField.message] = .string("hello world")
        _ = try await store.append([event])
        for text in [
            #"user.name:"'; DROP TABLE events; --""#, #"x\"y:1"#, #"a\)\;:b"#, "message:\"\\\" OR 1=1\"", #"\"abc\":*"#,
        ] {
            let query = try LuceneParser.parse(text)
            _ = try await store.search(query, filter: EventFilter(), now: Timestamp(microsecondsSinceEpoch: 0))
        }
        let found = try await store.search(
            try LuceneParser.parse(#"user.name:"'; DROP TABLE events; --""#),
            filter: EventFilter(),
            now: Timestamp(microsecondsSinceEpoch: 0)
        )
        #expect(found.total == 1)
        #expect(try await store.count() == 1)
    }
}
