import Foundation
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

@testable import SOCDetection

/// The literal prefilter may only skip rules that cannot match: the engine must find exactly what evaluating every
/// rule of the event's bucket finds.
struct SigmaPrefilterTests {
    @Test func automatonFindsEveryOccurringLiteral() {
        let literals: [[UInt8]] = ["he", "she", "his", "hers", "\\cmd.exe", "cmd", "x"].map { Array($0.utf8) }
        let automaton = LiteralAutomaton(literals.enumerated().map { (Int32($0.offset), $0.element) })
        // Matching is on the lower-cased text: ASCII folded in the automaton, anything else lower-cased first.
        for text in [
            "ushers", "C:\\WINDOWS\\System32\\CMD.exe /c whoami", "hi", "", "xHISx", "h\u{e9}rs", "\u{212A}\u{C9}HERS",
        ] {
            var hits: [Int32] = []
            automaton.scan(text, into: &hits)
            let lowered = Array(text.lowercased().utf8)
            let expected = Set(literals.indices.filter { Pattern.contains(lowered, literals[$0]) }.map(Int32.init))
            #expect(Set(hits) == expected, "\(text)")
        }
    }

    @Test(
        arguments: [
            (#"(?i)\\Windows\\Temp\\[a-z0-9]{8}\.exe$"#, "\\windows\\temp\\", "C:\\WINDOWS\\Temp\\ab12cd34.exe"),
            (#"-e(nc|ncodedcommand)? [A-Za-z0-9+/=]{20,}"#, "-e", "-e JABzAHQAcgBpAG4AZwAgAD0AIAA="),
            (#"cmd\.exe.{0,5}/c\s+whoami"#, "cmd.exe", "cmd.exe  /c whoami"),
            (#"abcd?ef"#, "abc", "abcef"),
            (#"powershellx*\.exe"#, "powershell", "powershell.exe"),
            (#"a|bcdefgh"#, nil, "a"),
            (#"\w+`(?:\w+|-|.)`[\w+|\s]"#, "`", "IN`V`oke"),
            (#"\x41BCDEF"#, nil, "ABCDEF"),
            (#"^(?:net|net1)\s+user\s+/add"#, "user", "net1 user /add"),
        ] as [(String, String?, String)]
    )
    func regularExpressionsYieldOnlyNecessaryLiterals(pattern: String, literal: String?, matching: String) throws {
        let found = ValueTest.requiredLiteral(regex: pattern).map { String(decoding: $0, as: UTF8.self) }
        #expect(found == literal)
        let regex = try NSRegularExpression(pattern: pattern)
        #expect(regex.firstMatch(in: matching, range: NSRange(matching.startIndex..., in: matching)) != nil)
        if let found { #expect(matching.lowercased().contains(found)) }
    }

    @Test func requirementsAreNecessaryConditions() throws {
        let rule = try SigmaRule.load(
            yaml: """
                title: t
                id: 00000000-0000-0000-0000-000000000001
                logsource: {category: process_creation, product: windows}
                detection:
                    img:
                        - Image|endswith: '\\rundll32.exe'
                        - OriginalFileName: 'RUNDLL32.EXE'
                    cli:
                        CommandLine|contains|all: ['mshtml,RunHTMLApplication', '.RegisterXLL']
                    filter:
                        User: 'SYSTEM'
                    condition: img and cli and not filter
                """,
            path: "t.yml",
            logSources: .bundled
        ).get()
        let compiled = CompiledRule(rule, registry: FieldRegistry(), logSources: .bundled)
        let requirement = try #require(compiled.scopes.first.map { $0.condition.requirement($0.selections) } ?? nil)
        // `and` and `|all` gather clauses, most selective first; the two image alternatives form one clause; the
        // filter under `not` contributes nothing.
        let clauses = requirement.clauses.map { Set($0.map { String(decoding: $0.bytes, as: UTF8.self) }) }
        #expect(clauses == [["mshtml,runhtmlapplication"], ["\\rundll32.exe", "rundll32.exe"], [".registerxll"]])
    }

    /// On SigmaHQ's regression events and the EVTX attack samples (real Windows logs of real techniques).
    @Test(.enabled(if: SigmaData.path != nil, "needs ../shared/data/sigma"))
    func prefilterSkipsOnlyRulesThatCannotMatch() throws {
        let rules = try #require(SigmaData.ruleSet).rules
        let events = try SigmaData.realEvents()
        let engine = SigmaEngine(rules: rules)
        let reference = SigmaEngine(rules: rules, logSources: .bundled, prefilter: false)
        var total = 0
        for event in events {
            let found = engine.detect(event)
            let expected = reference.detect(event)
            #expect(Set(found) == Set(expected) && found.count == expected.count, "\(event.id.hex)")
            total += found.count
        }
        // The batch path (slices claimed by each thread, scratch spaces reused from batch to batch) finds the same,
        // in event order.
        let oneByOne = events.flatMap { engine.detect($0) }
        for threads in [nil, 1, 2, 3, nil] { #expect(engine.detect(events, threads: threads) == oneByOne) }
        print("sigma prefilter: \(events.count) events, \(total) detections, engine equals evaluating every rule")
        #expect(events.count > 3_000)
        #expect(total >= 1_000)
    }
}
