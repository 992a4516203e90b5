import Foundation
import SOCAnalystKit
import SOCDetection
import SOCModel
import SOCTestSupport
import Testing

/// Every labelled attack capture, triaged alone with the SigmaHQ Windows rules (ingest, hunt, triage offline): at
/// least 90 % of each data set yields a MEDIUM-or-higher incident. The share by tactic is printed. The two data sets
/// run one after the other, so the suite keeps at most one core busy beside the others' stand-in servers.
@Suite(.serialized, .enabled(if: SharedFiles.data != nil, "needs ../shared/data"))
struct CaptureCoverageTests {
    static let rules: SigmaRuleSet? = SharedFiles.data.flatMap {
        try? SigmaRuleSet.load(paths: [$0 + "/sigma/rules/windows"])
    }

    @Test(.timeLimit(.minutes(15)), arguments: ["evtx-attack-samples", "evtx-to-mitre-attack"])
    func ninetyPercentOfAttackCapturesAreMediumOrHigher(dataSet: String) async throws {
        let data = try #require(SharedFiles.data)
        let rules = try #require(Self.rules)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-cov-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let captures = try CaptureEvaluation.captures(in: [data + "/" + dataSet])
        #expect(captures.count >= 180)
        let result = try await CaptureEvaluation.run(captures: captures, rules: rules, scratch: scratch.path)
        for (tactic, counts) in result.byTactic.sorted(by: { $0.key < $1.key }) {
            print("\(dataSet) \(tactic): \(counts[1]) of \(counts[0]) MEDIUM or higher")
        }
        print("\(dataSet): \(result.mediumOrHigher) of \(result.total)")
        #expect(Double(result.mediumOrHigher) >= 0.9 * Double(result.total))
    }
}
