import Foundation
import SOCAgent
import SOCDetection
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import SOCThreatIntel
import Testing

/// The deterministic analyst on ../shared/data: each sample gives the expected severity, findings and ATT&CK ids.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct DeterministicAnalystTests {
    /// Investigates `alert` over `samples`; with `sigmaRules` (folders under ../shared/data/sigma/rules) the samples
    /// are hunted first and the detections saved, as `socagent hunt --store` does.
    static func investigate(
        _ alert: String,
        samples: [String],
        year: Int? = nil,
        sigmaRules: [String] = [],
        analyst: DeterministicAnalyst = DeterministicAnalyst()
    ) async throws -> IncidentReport {
        let store = try SQLiteEventStore(path: ":memory:")
        let data = try #require(SharedFiles.data)
        let engine =
            sigmaRules.isEmpty
            ? nil
            : SigmaEngine(rules: try SigmaRuleSet.load(paths: sigmaRules.map { data + "/sigma/rules/" + $0 }).rules)
        for sample in samples {
            var reader = try EventFileReader(
                path: data + "/" + sample,
                options: .init(year: year, referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)
            )
            while let batch = try reader.nextBatch() {
                _ = try await store.append(batch)
                try await store.saveDetections((engine?.detect(batch) ?? []).map(\.stored))
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-analyst-\(UUID().uuidString)"
        )
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        let intel = ThreatIntelService(
            database: database,
            providers: [KEVSource(database: database), BlocklistSource(database: database)],
            offline: true
        )
        return await analyst.investigate(Alert(text: alert), store: store, intel: intel)
    }

    @Test func anSSHBruteForceWithoutSuccessIsMedium() async throws {
        let report = try await Self.investigate(
            "Failed password for invalid user admin from 103.99.0.122 at 2025-12-10 09:12:00",
            samples: ["loghub/OpenSSH_2k_first500.log"],
            year: 2025
        )
        #expect(report.severity == .medium)
        #expect(report.findings.first?.title == "Password spraying from 103.99.0.122")
        #expect(report.attackTechniques.contains("T1110"))
        #expect(report.severityReasons.first?.hasPrefix("MEDIUM: Password spraying from 103.99.0.122") == true)
        #expect(report.toolCalls.map(\.tool).contains("detect_brute_force"))
        #expect(
            report.toolCalls.first { $0.tool == "detect_brute_force" }?.resultSummary
                == "103.99.0.122: 27 failures, 18 users, 0 later successes"
        )
        #expect(report.timeline.first?.timestamp == "2025-12-10T09:11:21.000Z")
        #expect(report.analyst.mode == .offline)
    }

    @Test func a4648PasswordSprayIsMediumWithT1110003() async throws {
        let report = try await Self.investigate(
            "Explicit-credential logons (4648) for many accounts from 172.16.144.128 at 2019-04-30 19:30:00",
            samples: ["deepbluecli-evtx/jsonl/password-spray.jsonl"]
        )
        #expect(report.severity == .medium)
        let spray = try #require(report.findings.first)
        #expect(spray.title == "Password spraying from 172.16.144.128")
        #expect(spray.attackTechniques == ["T1110", "T1110.003"])
        #expect(spray.detail == "294 failed attempts against 41 accounts from 172.16.144.128.")
    }

    /// Mimikatz opening LSASS (Sysmon 10) is no process start, so only the Sigma detection `hunt` saved shows it.
    @Test func aSigmaCredentialDumpingDetectionIsCritical() async throws {
        let alert = "Possible credential access on host PC04.example.corp at 2019-03-17 19:37:11"
        let sample =
            "evtx-attack-samples/jsonl/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.jsonl"
        let without = try await Self.investigate(alert, samples: [sample])
        #expect(without.severity == .low)
        #expect(without.toolCalls.first { $0.tool == "query_sigma_detections" }?.resultSummary == "0 Sigma detections")

        let report = try await Self.investigate(alert, samples: [sample], sigmaRules: ["windows/process_access"])
        #expect(report.severity == .critical)
        let finding = try #require(report.findings.first)
        #expect(finding.title == "Sigma high: HackTool - Generic Process Access on PC04.example.corp")
        #expect(finding.attackTechniques == ["T1003.001"])
        #expect(
            finding.evidence == [
                #"2019-03-17T19:37:11.661Z HackTool - Generic Process Access [T1003.001] SourceImage=C:\Users\IEUser\Desktop\mimikatz_trunk\Win32\mimikatz.exe"#
            ]
        )
        #expect(report.severityReasons.first?.hasPrefix("CRITICAL: Sigma high: HackTool") == true)
        #expect(
            report.toolCalls.first { $0.tool == "query_sigma_detections" }?.resultSummary
                == "1 Sigma detection (1 high): HackTool - Generic Process Access"
        )
        #expect(report.timeline.contains { $0.description == "Sigma high: HackTool - Generic Process Access" })
        #expect(
            report.recommendations.first
                == "Isolate PC04.example.corp now; treat every credential used on it as stolen and reset them."
        )
    }

    @Test func anEncodedPowerShellLaunchIsHigh() async throws {
        let report = try await Self.investigate(
            "Suspicious PowerShell: host=IE10Win7 user=IEUser powershell.exe -NoP -sta -NonI -W Hidden -Enc JABXAGMAPQBOAGUAdwAtAE8AQgBKAEUAQ at 2016-09-20 19:19:26",
            samples: ["deepbluecli-evtx/jsonl/powersploit-security.jsonl"]
        )
        #expect(report.severity == .high)
        #expect(report.findings.first?.title == "Encoded PowerShell command on IE10Win7")
        #expect(report.attackTechniques.contains("T1059.001"))
        #expect(report.attackTechniques.contains("T1027"))
        #expect(report.findings.first?.evidence.contains { $0.contains("-Enc JABX") } == true)
    }

    @Test func credentialDumpingIsCritical() async throws {
        let report = try await Self.investigate(
            #"ntdsutil "ac i ntds" "ifm" "create full C:\Windows\Temp\ntds_T1003" q q — host=DC01.pandalab.com user=Administrator at 2023-07-19 09:03:37"#,
            samples: ["otrf-security-datasets/jsonl_gz/credential_access/cmd_dumping_ntds_dit_file_ntdsutil.jsonl.gz"]
        )
        #expect(report.severity == .critical)
        #expect(report.findings.first?.title.hasPrefix("Credential dumping") == true)
        #expect(report.attackTechniques.contains("T1003"))
        #expect(report.recommendations.contains { $0.hasPrefix("Isolate DC01.pandalab.com now") })
    }

    @Test func nothingCorroboratingIsLow() async throws {
        let report = try await Self.investigate(
            "Failed login attempt from 45.142.212.61 for user 'admin' at 2024-02-04 10:15:23",
            samples: ["loghub/OpenSSH_2k_first500.log"],
            year: 2025
        )
        #expect(report.severity == .low)
        #expect(report.findings.isEmpty)
        #expect(report.severityReasons.first?.hasPrefix("LOW: no tool found corroborating activity") == true)
    }
}

/// Near-identical recommendations from two findings about one host are given once.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct RecommendationTests {
    @Test func isolatingAHostIsRecommendedOnce() async throws {
        let report = try await DeterministicAnalystTests.investigate(
            #"ntdsutil "ac i ntds" "ifm" "create full C:\Windows\Temp\ntds_T1003" q q — host=DC01.pandalab.com user=Administrator at 2023-07-19 09:03:37"#,
            samples: ["otrf-security-datasets/jsonl_gz/credential_access/cmd_dumping_ntds_dit_file_ntdsutil.jsonl.gz"],
            sigmaRules: ["windows/process_creation"]
        )
        #expect(report.findings.contains { $0.rule == "process.credential-dumping" })
        #expect(report.findings.contains { $0.rule == RubricRule.sigmaCredentialDumping.rawValue })
        #expect(
            report.recommendations.filter { $0.hasPrefix("Isolate DC01.pandalab.com") }.count == 1,
            "\(report.recommendations)"
        )
        #expect(report.executiveSummary?.hosts == ["DC01.pandalab.com"])
    }
}

/// A free-text alert that names its host and account in prose is investigated on that host.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct ProseAlertTests {
    @Test func hostsAndAccountsNamedInProseAreInvestigated() async throws {
        let report = try await DeterministicAnalystTests.investigate(
            "Possible LSASS dump on MSEDGEWIN10 at 2019-07-19 15:11:26 by IEUser",
            samples: ["evtx-attack-samples/jsonl/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.jsonl"],
            sigmaRules: ["windows/process_creation"]
        )
        #expect(report.indicators.hosts == ["msedgewin10"])
        #expect(report.indicators.users.contains("IEUser"))
        let sigma = try #require(report.toolCalls.first { $0.tool == "query_sigma_detections" })
        #expect(sigma.resultSummary.hasPrefix("0 Sigma") == false, "\(sigma.resultSummary)")
        #expect(report.toolCalls.count >= 5, "\(report.toolCalls.map(\.tool))")
        #expect(report.findings.contains { $0.kind == .sigmaDetection && $0.entities.hosts == ["MSEDGEWIN10"] })
        #expect(report.severity >= .high, "\(report.severityReasons)")
    }
}
