import Foundation
import SOCModel
import Testing

@Suite struct LinearRegexTests {
    @Test(
        "Matches as ICU does",
        arguments: [
            // pattern, options, text, found somewhere
            ("abc", [], "xxabcxx", true),
            ("^abc", [], "xxabc", false),
            ("abc$", [], "xxabc\n", true),
            ("^b$", [.anchorsMatchLines], "a\nb\nc", true),
            ("^b$", [], "a\nb\nc", false),
            ("a.c", [], "a\nc", false),
            ("a.c", [.dotMatchesLineSeparators], "a\nc", true),
            ("POWERSHELL", [], "powershell", false),
            ("POWERSHELL", [.caseInsensitive], "powershell", true),
            ("(?i)POWERSHELL", [], "powershell", true),
            ("(?i:POWER)SHELL", [], "powerSHELL", true),
            ("(?i:POWER)SHELL", [], "powershell", false),
            ("a(?i)b|c", [], "C", true),
            ("[A-Z]{3}", [.caseInsensitive], "xyz", true),
            ("[^a-z]", [], "abc", false),
            ("[^a-z]", [], "abC", true),
            ("[]x]", [], "]", true),
            ("[a-]", [], "-", true),
            (#"\d{2,10}"#, [], "a1b", false),
            (#"\d{2,10}"#, [], "a12b", true),
            (#"\s+-enc\s"#, [], "ps  -enc x", true),
            (#"\W\w"#, [], "__", false),
            (#"\bcmd\b"#, [], "run cmd now", true),
            (#"\bcmd\b"#, [], "runcmdnow", false),
            (#"\Bcmd"#, [], "runcmd", true),
            (#"-e(nc)? [A-Za-z0-9+/=]{8}"#, [], "powershell -enc SQBFAFgA", true),
            (#"C:\\Users\\[^\\]+\\NTUSER\.DAT$"#, [.caseInsensitive], #"c:\users\bob\ntuser.dat"#, true),
            (#"\x41\u0042\x{43}"#, [], "ABC", true),
            (#"\Qa.b\E"#, [], "axb", false),
            (#"\Qa.b\E"#, [], "a.b", true),
            ("a{2}", [], "a{2}", false),
            ("a{,2}", [], "a{,2}", true),  // not a quantifier: literal braces (PCRE; ICU refuses it)
            ("(a|b)*c+?d", [], "ababccd", true),
            ("(?:x|)y", [], "y", true),
            ("colou?r", [], "color", true),
            ("(?<name>ab)+", [], "abab", true),
            ("\u{00C9}T\u{00C9}", [.caseInsensitive], "\u{00E9}t\u{00E9}", true),
            (#"\Aabc\z"#, [], "abc\n", false),
            (#"abc\Z"#, [], "abc\n", true),
        ] as [(String, LinearRegex.Options, String, Bool)]
    )
    func matchesAsICUDoes(_ testCase: (String, LinearRegex.Options, String, Bool)) throws {
        let (pattern, options, text, expected) = testCase
        let regex = try LinearRegex(pattern, options: options)
        #expect(regex.matches(in: text) == expected, "\(pattern) on \(text.debugDescription)")
    }

    @Test func matchesWholeAnchorsBothEnds() throws {
        let regex = try LinearRegex("admin.*")
        #expect(regex.matchesWhole("administrator"))
        #expect(!regex.matchesWhole("xadmin"))
        #expect(try LinearRegex("a|ab").matchesWhole("ab"))
        #expect(try !LinearRegex("a|ab").matchesWhole("abc"))
        #expect(try LinearRegex("").matchesWhole(""))
        #expect(try LinearRegex("(a*)*").matchesWhole("aaa"))
    }

    @Test(
        "Refuses what it cannot run, saying why",
        arguments: [
            (#"(a)\1"#, LinearRegexError.Kind.unsupported),
            ("a(?=b)", .unsupported),
            ("a(?!b)", .unsupported),
            ("(?<=a)b", .unsupported),
            ("(?<!a)b", .unsupported),
            ("(?>a+)b", .unsupported),
            (#"\p{L}"#, .unsupported),
            ("(?x) a b", .unsupported),
            ("(['", .syntax),
            ("a)", .syntax),
            ("*a", .syntax),
            ("a{3,2}", .syntax),
            ("[z-a]", .syntax),
            ("a{5000}", .tooLarge),
            ("((a{1000}){1000})", .tooLarge),
        ]
    )
    func refusesWhatItCannotRun(_ testCase: (String, LinearRegexError.Kind)) {
        #expect {
            _ = try LinearRegex(testCase.0)
        } throws: { error in
            (error as? LinearRegexError)?.kind == testCase.1
        }
    }

    /// `(a+)+$` backtracks exponentially in ICU (a second on 24 characters, doubling with each) and in Swift's
    /// `Regex`; here its cost grows with the length of the text only.
    @Test(.timeLimit(.minutes(5)))
    func nestedQuantifiersRunInLinearTime() throws {
        let text = String(repeating: "a", count: 50_000) + "!"
        let clock = ContinuousClock()
        let search = try LinearRegex("(a+)+$")
        let whole = try LinearRegex("(a+)+")
        var found = true
        var wholeMatch = true
        _ = clock.measure {  // the minute-long time limit is the hang guard
            found = search.matches(in: text)
            wholeMatch = whole.matchesWhole(text)
        }
        #expect(!found)
        #expect(!wholeMatch)
    }

    /// Random patterns over a small alphabet, compared with ICU (`NSRegularExpression`) on short random texts.
    @Test func agreesWithICUOnRandomPatterns() throws {
        var generator = SplitMix(seed: 18)
        let atoms = ["a", "b", ".", "[ab]", "[^a]", #"\s"#, #"\w"#, #"\d"#, "1", " ", "(?:a|b)", "(a|bb)", #"\b"#]
        let quantifiers = ["", "", "", "*", "+", "?", "{2}", "{1,2}", "*?", "{0,}"]
        func pattern(_ depth: Int) -> String {
            var result = ""
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                var atom = atoms.randomElement(using: &generator) ?? "a"
                var quantifier = quantifiers.randomElement(using: &generator) ?? ""
                if depth < 2, Int.random(in: 0..<4, using: &generator) == 0 {
                    // Loops of loops send ICU's backtracking into its stack limit (it then answers "no match"), so
                    // a group only gets a bounded quantifier.
                    atom = "(" + pattern(depth + 1) + ")"
                    quantifier = ["", "?", "{2}"].randomElement(using: &generator) ?? ""
                }
                result += atom + quantifier
            }
            if Int.random(in: 0..<5, using: &generator) == 0 { result += "|" + pattern(depth + 1) }
            return result
        }
        let anchors = [("", ""), ("^", ""), ("", "$"), ("^", "$")]
        var compared = 0
        for _ in 0..<2_000 {
            let (head, tail) = anchors.randomElement(using: &generator) ?? ("", "")
            let source = head + pattern(0) + tail
            let caseInsensitive = Int.random(in: 0..<3, using: &generator) == 0
            let multiline = Int.random(in: 0..<3, using: &generator) == 0
            var icuOptions: NSRegularExpression.Options = []
            var options: LinearRegex.Options = []
            if caseInsensitive {
                icuOptions.insert(.caseInsensitive)
                options.insert(.caseInsensitive)
            }
            if multiline {
                icuOptions.insert(.anchorsMatchLines)
                options.insert(.anchorsMatchLines)
            }
            // ICU refuses a few generated forms (a quantified `\b`); those are not compared.
            guard let icu = try? NSRegularExpression(pattern: source, options: icuOptions) else { continue }
            let regex = try LinearRegex(source, options: options)
            for _ in 0..<5 {
                let text = String(
                    (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                        ["a", "b", "A", "1", " ", "\n", "_"].randomElement(using: &generator) ?? "a"
                    }
                )
                let expected = icu.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                #expect(regex.matches(in: text) == expected, "\(source) \(options) on \(text.debugDescription)")
                compared += 1
            }
        }
        #expect(compared > 5_000)
    }
}

/// A small seeded generator, so a failure reproduces.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
