import Foundation
import SOCDetection
import Testing

@Suite struct SigmaRuleTests {
    static func rule(_ extra: String, image: String) -> String {
        """
        title: aliases
        id: 22222222-2222-2222-2222-222222222222
        logsource: {product: windows, category: process_creation}
        \(extra)
        detection:
            selection:
                Image|endswith: \(image)
            condition: selection
        """
    }

    /// A 1 KB rule with nine levels of aliases expands to 9^9 values; it took 8 GB and aborted `hunt`.
    @Test(.timeLimit(.minutes(5)))
    func anAliasBombIsSkippedWithAReason() throws {
        var levels = [#"l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]"#]
        for level in 1...8 {
            levels.append(
                "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]"
            )
        }
        let yaml = Self.rule(levels.joined(separator: "\n"), image: "*l8")
        #expect(yaml.utf8.count < 1_200)
        switch SigmaRule.load(yaml: yaml, path: "bomb.yml", logSources: .bundled) {
        case .success: Issue.record("the alias bomb loaded")
        case .failure(let diagnostic):
            #expect(diagnostic.path == "bomb.yml")
            #expect(diagnostic.reason == "skipped: the YAML expands to more than 100000 nodes")
        }
    }

    @Test func aFewAliasesStillLoad() throws {
        let yaml = Self.rule(#"names: &names ['\cmd.exe', '\powershell.exe']"#, image: "*names")
        guard case .success(let rule) = SigmaRule.load(yaml: yaml, path: "ok.yml", logSources: .bundled) else {
            Issue.record("a rule with one alias did not load")
            return
        }
        #expect(rule.testedFields.count == 1)
    }
}
