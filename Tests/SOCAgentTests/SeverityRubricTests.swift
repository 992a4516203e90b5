import Foundation
import SOCAgent
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import SOCThreatIntel
import Testing

/// The rubric decides by typed values — tool outputs, rule identifiers, finding kinds and entities — never by the
/// words of a title or reason.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct SeverityRubricTests {
    /// Every sentence the analyst writes, reworded beyond recognition (reversed and bracketed).
    static let reworded = DeterministicAnalyst(phrasing: { "«" + String($0.reversed()) + "»" })

    /// What a report decided, without its words.
    struct Decision: Equatable {
        var severity: Severity
        var findings: [String]
        var techniques: [String]
        var toolCalls: [String]

        init(_ report: IncidentReport) {
            severity = report.severity
            findings = report.findings.map { finding in
                "\(finding.severity) \(finding.kind.map(\.rawValue) ?? "-") \(finding.rule ?? "-") \(finding.attackTechniques) "
                    + "\(finding.entities.hosts) \(finding.entities.users) \(finding.entities.addresses)"
            }
            techniques = report.attackTechniques
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            toolCalls = report.toolCalls.map {
                "\($0.tool) " + String(decoding: (try? encoder.encode($0.input)) ?? Data(), as: UTF8.self)
            }
        }
    }

    /// The demo's attack (brute force, logon, encoded PowerShell, outbound connection on DC01), investigated with the
    /// words as written and reworded: the same severities, kinds, rules, entities and chain.
    @Test func rewordingEveryTitleAndReasonChangesNoSeverityAndKeepsTheChain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-rubric-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = directory.appendingPathComponent("demo.jsonl").path
        _ = try AttackScenario.write(to: logs, backgroundEvents: 500)
        let store = try SQLiteEventStore(path: ":memory:")
        var reader = try EventFileReader(
            path: logs,
            options: .init(referenceTime: Timestamp(year: 2024, month: 2, day: 5)!)
        )
        while let batch = try reader.nextBatch() { _ = try await store.append(batch) }
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        let intel = IntelConfiguration.offlineService(database)
        let alert = Alert(text: AttackScenario.seedEvent)

        let plain = await DeterministicAnalyst().investigate(alert, store: store, intel: intel)
        let other = await Self.reworded.investigate(alert, store: store, intel: intel)
        #expect(plain.severity == .critical)
        #expect(
            plain.findings.first?.kind == .attackChain && plain.findings.first?.rule == RubricRule.attackChain.rawValue
        )
        #expect(plain.findings.first?.entities.hosts == ["DC01"])
        #expect(Decision(other) == Decision(plain))
        // Every title, detail, reason and recommendation really was reworded.
        for (mine, theirs) in zip(other.findings, plain.findings) {
            #expect(mine.title != theirs.title && mine.title.hasPrefix("«"))
            #expect(mine.detail != theirs.detail)
        }
        #expect(other.severityReasons.allSatisfy { $0.hasSuffix("»") })
        #expect(other.recommendations.allSatisfy { $0.hasPrefix("«") })
    }

    /// The samples of ``DeterministicAnalystTests``, reworded: each keeps its severity, findings and techniques.
    @Test(
        arguments: [
            (
                "Failed password for invalid user admin from 103.99.0.122 at 2025-12-10 09:12:00",
                ["loghub/OpenSSH_2k_first500.log"], 2025, [String]()
            ),
            (
                "Explicit-credential logons (4648) for many accounts from 172.16.144.128 at 2019-04-30 19:30:00",
                ["deepbluecli-evtx/jsonl/password-spray.jsonl"], nil, []
            ),
            (
                "Possible credential access on host PC04.example.corp at 2019-03-17 19:37:11",
                ["evtx-attack-samples/jsonl/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.jsonl"],
                nil, ["windows/process_access"]
            ),
            (
                "Suspicious PowerShell: host=IE10Win7 user=IEUser powershell.exe -NoP -sta -NonI -W Hidden -Enc JABXAGMAPQBOAGUAdwAtAE8AQgBKAEUAQ at 2016-09-20 19:19:26",
                ["deepbluecli-evtx/jsonl/powersploit-security.jsonl"], nil, []
            ),
            (
                #"ntdsutil "ac i ntds" "ifm" "create full C:\Windows\Temp\ntds_T1003" q q — host=DC01.pandalab.com user=Administrator at 2023-07-19 09:03:37"#,
                ["otrf-security-datasets/jsonl_gz/credential_access/cmd_dumping_ntds_dit_file_ntdsutil.jsonl.gz"], nil,
                []
            ),
        ] as [(String, [String], Int?, [String])]
    )
    func rewordingKeepsEachSamplesDecision(alert: String, samples: [String], year: Int?, rules: [String]) async throws {
        let plain = try await DeterministicAnalystTests.investigate(
            alert,
            samples: samples,
            year: year,
            sigmaRules: rules
        )
        let other = try await DeterministicAnalystTests.investigate(
            alert,
            samples: samples,
            year: year,
            sigmaRules: rules,
            analyst: Self.reworded
        )
        #expect(plain.severity >= .medium)
        #expect(plain.findings.allSatisfy { $0.kind != nil && $0.rule != nil })
        #expect(Decision(other) == Decision(plain))
    }

    /// The rubric table: every row has a kind and the severity the guide gives its evidence; process rules have
    /// unique identifiers and a technique each.
    @Test func theRubricIsOneTableOfTypedRows() {
        #expect(RubricRule.attackChain.severity == .critical)
        #expect(RubricRule.logonAfterBruteForce.severity == .high)
        #expect(
            RubricRule.bruteForce.severity == .medium
                && RubricRule.passwordSpraying.row.techniques.contains("T1110.003")
        )
        #expect(RubricRule.nothingCorroborates.severity == .low)
        #expect(RubricRule.allCases.filter { $0 != .nothingCorroborates }.allSatisfy { $0.row.kind != nil })
        #expect(RubricRule.sigma(level: .high, dumpsCredentials: true) == .sigmaCredentialDumping)
        #expect(RubricRule.sigma(level: .critical, dumpsCredentials: false) == .sigmaCritical)
        #expect(RubricRule.sigma(level: .medium, dumpsCredentials: true) == .sigmaMedium)
        #expect(RubricRule.sigma(level: .low, dumpsCredentials: false) == nil)
        let ids = RubricRule.processRows.map(\.id)
        #expect(Set(ids).count == ids.count && ids.allSatisfy { $0.hasPrefix("process.") })
        #expect(RubricRule.processRows.allSatisfy { $0.technique.hasPrefix("T") })
        #expect(InvestigationRules.processRule(id: "process.credential-dumping")?.severity == .critical)
    }
}
