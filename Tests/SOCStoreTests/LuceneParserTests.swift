import SOCStore
import Testing

@Suite struct LuceneParserTests {
    private func parse(_ text: String, _ op: LuceneParser.DefaultOperator = .or) throws -> LuceneQuery {
        try LuceneParser.parse(text, defaultOperator: op)
    }

    @Test func readsFieldsTermsAndPhrases() throws {
        #expect(try parse("event.code:4625") == .term(field: "event.code", value: "4625"))
        #expect(try parse(#"user.name:"John Smith""#) == .phrase(field: "user.name", text: "John Smith", slop: nil))
        #expect(try parse("host.name:WS-042") == .term(field: "host.name", value: "WS-042"))
        #expect(
            try parse(#"winlog.channel:Microsoft\-Windows\-Sysmon\/Operational"#)
                == .term(field: "winlog.channel", value: "Microsoft-Windows-Sysmon/Operational")
        )
        #expect(try parse("_exists_:process.parent.name") == .exists(field: "process.parent.name"))
        #expect(try parse("process.command_line:*") == .exists(field: "process.command_line"))
        #expect(try parse("*:*") == .all)
        #expect(try parse("powershell.exe") == .term(field: nil, value: "powershell.exe"))
    }

    @Test func appliesLucenePrecedence() throws {
        let a = LuceneQuery.term(field: "event.code", value: "4625")
        let b = LuceneQuery.term(field: "host.name", value: "FS01")
        let c = LuceneQuery.term(field: "event.code", value: "1")
        #expect(
            try parse("event.code:4625 AND host.name:FS01 OR event.code:1")
                == .boolean([.init(.must, a), .init(.must, b), .init(.should, c)])
        )
        #expect(try parse("+event.code:4625 -host.name:FS01") == .boolean([.init(.must, a), .init(.mustNot, b)]))
        #expect(try parse("event.code:4625 && !host.name:FS01") == .boolean([.init(.must, a), .init(.mustNot, b)]))
        #expect(try parse("NOT host.name:FS01") == .boolean([.init(.mustNot, b)]))
        #expect(try parse("event.code:4625 host.name:FS01", .and) == .boolean([.init(.must, a), .init(.must, b)]))
        #expect(
            try parse("event.code:4625 OR host.name:FS01", .and) == .boolean([.init(.should, a), .init(.should, b)])
        )
        let grouped = try parse("(event.code:4624 OR event.code:4688) AND NOT host.name:DC01")
        guard case .boolean(let clauses) = grouped else {
            Issue.record("not boolean")
            return
        }
        #expect(clauses.map(\.occur) == [.must, .mustNot])
    }

    @Test func readsRangesWildcardsRegexFuzzyAndBoosts() throws {
        #expect(
            try parse("@timestamp:[2024-05-02 TO 2024-05-03}")
                == .range(
                    field: "@timestamp",
                    lower: LuceneBound("2024-05-02", inclusive: true),
                    upper: LuceneBound("2024-05-03", inclusive: false)
                )
        )
        #expect(
            try parse("@timestamp:[now-5000d TO now]")
                == .range(
                    field: "@timestamp",
                    lower: LuceneBound("now-5000d", inclusive: true),
                    upper: LuceneBound("now", inclusive: true)
                )
        )
        #expect(
            try parse("destination.port:>=443")
                == .range(field: "destination.port", lower: LuceneBound("443", inclusive: true), upper: nil)
        )
        #expect(
            try parse("network.bytes:<1000")
                == .range(field: "network.bytes", lower: nil, upper: LuceneBound("1000", inclusive: false))
        )
        #expect(
            try parse("source.ip:[203.0.113.0 TO *]")
                == .range(field: "source.ip", lower: LuceneBound("203.0.113.0", inclusive: true), upper: nil)
        )
        #expect(try parse("process.name:*shell.exe") == .wildcard(field: "process.name", pattern: "*shell.exe"))
        #expect(try parse(#"process.name:rundll3?.exe"#) == .wildcard(field: "process.name", pattern: "rundll3?.exe"))
        #expect(try parse(#"file.name:a\*b*"#) == .wildcard(field: "file.name", pattern: #"a\*b*"#))
        #expect(try parse("user.name:/admin.*/") == .regex(field: "user.name", pattern: "admin.*"))
        #expect(try parse("user.name:jsmyth~1") == .fuzzy(field: "user.name", term: "jsmyth", distance: 1))
        #expect(try parse("user.name:jsmyth~") == .fuzzy(field: "user.name", term: "jsmyth", distance: 2))
        #expect(try parse("user.name:admin^2") == .boosted(.term(field: "user.name", value: "admin"), 2))
        #expect(
            try parse(#"message:"failed to log on"~3"#) == .phrase(field: "message", text: "failed to log on", slop: 3)
        )
    }

    @Test func groupsAFieldOverASubquery() throws {
        #expect(
            try parse("user.name:(admin OR root)")
                == .boolean([
                    .init(.should, .term(field: "user.name", value: "admin")),
                    .init(.should, .term(field: "user.name", value: "root")),
                ])
        )
    }

    @Test func treatsAdjacentBareWordsAsOneChunk() throws {
        #expect(try parse("jsmith DC01") == .term(field: nil, value: "jsmith DC01"))
        #expect(
            try parse("jsmith OR DC01")
                == .boolean([
                    .init(.should, .term(field: nil, value: "jsmith")),
                    .init(.should, .term(field: nil, value: "DC01")),
                ])
        )
        #expect(
            try parse("user.name:jsmith host.name:WS-042")
                == .boolean([
                    .init(.should, .term(field: "user.name", value: "jsmith")),
                    .init(.should, .term(field: "host.name", value: "WS-042")),
                ])
        )
    }

    @Test(
        "Bad queries name the column and what was expected",
        arguments: [
            ("user.name:(admin AND", 21, "expected a term after"),
            ("user.name:(admin", 17, "expected ')' to close the group opened at column 11"),
            ("AND user.name:x", 1, "expected a term before 'AND'"),
            ("user.name:", 11, "expected a value after 'user.name:'"),
            (#"message:"unterminated"#, 9, "unterminated phrase"),
            ("@timestamp:[a b]", 15, "expected 'TO'"),
            ("a)", 2, "unbalanced ')'"),
            ("*.name:x", 1, "field name wildcards"),
            ("user.name:a:b", 12, "unexpected ':'"),
            ("", 1, "empty"),
            // Regular expressions run on a linear-time engine; what it cannot run is an error, not a non-match.
            (#"message:/(a)\1/"#, 9, "backreferences are not supported"),
            ("user.name:/ad(?=min)/", 11, "lookahead is not supported"),
            ("user.name:/(ab/", 11, "unclosed group"),
        ]
    )
    func reportsErrors(_ testCase: (String, Int, String)) {
        do {
            let query = try LuceneParser.parse(testCase.0)
            Issue.record("\(testCase.0) parsed as \(query)")
        } catch {
            #expect(error.column == testCase.1, "\(testCase.0): \(error)")
            #expect(error.message.contains(testCase.2), "\(testCase.0): \(error)")
        }
    }

    @Test(
        "Printing and parsing again gives the same tree",
        arguments: [
            "event.code:4625 AND user.name:admin*", "(event.code:4624 OR event.code:4688) AND NOT host.name:DC01",
            "+event.code:4625 -user.name:admin*", "event.code:4625 AND host.name:FS01 OR event.code:1",
            "@timestamp:[2024-05-02 TO 2024-05-03} AND event.outcome:failure",
            "destination.port:>=443 AND network.bytes:>1000",
            "process.name:*shell.exe OR process.name:rundll3?.exe", #"message:"failed to \"log\" on""#,
            #"winlog.channel:Microsoft\-Windows\-Sysmon\/Operational"#, "_exists_:process.parent.name", "jsmith DC01",
            "user.name:/admin.*/", "user.name:jsmyth~1", #"source.ip:"203.0.113.0/24""#, "a^2 (b OR c)^3", #"a\ b\:c"#,
            #"x:\AND"#, "@timestamp:{* TO \"2024 05\"]",
        ]
    )
    func roundTrips(_ text: String) throws {
        let query = try parse(text)
        let printed = query.description
        #expect(try parse(printed) == query, "\(text) → \(printed)")
    }
}
