import SOCModel
import Testing

struct WildcardTests {
    @Test(
        arguments: [
            ("winlogbeat-*", "winlogbeat-2024.02.04", true), ("winlogbeat-*", "filebeat-2024", false),
            ("*", "socagent-detections", true),
            ("socagent-*", "socagent-detections", true), ("*-detections", "socagent-detections", true),
            ("sel*_a", "selection_a", true),
            ("sel*_a", "selection_b", false), ("a*a", "a", false), ("a*a", "aa", true), ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*mid*", "amidst", true), ("*mid*", "mud", false),
        ] as [(String, String, Bool)]
    )
    func matchesGlobPatterns(_ testCase: (String, String, Bool)) {
        #expect(Wildcard.matches(testCase.0, testCase.1) == testCase.2, "\(testCase)")
    }
}
