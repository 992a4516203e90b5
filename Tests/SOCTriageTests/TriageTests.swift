import Foundation
import SOCAgent
import SOCAnalystKit
import SOCModel
import SOCReports
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import SOCThreatIntel
import SOCTriage
import Testing

/// A fresh folder with a store, an intel cache and a reports folder.
struct TriageFixture {
    let directory: URL
    let store: SQLiteEventStore
    let intel: ThreatIntelService
    let reports: ReportStore

    init(_ name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-\(name)-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteEventStore(path: directory.appendingPathComponent("store.db").path)
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        intel = ThreatIntelService(database: database, providers: [], offline: true)
        reports = ReportStore(directory: directory.appendingPathComponent("reports").path)
    }

    var analyst: SOCAnalyst { SOCAnalyst(store: store, intelligence: intel, reports: reports) }

    func service(_ options: TriageService.Options = .init()) throws -> TriageService {
        var request = TriageRequest()
        request.options = options
        return try analyst.triageService(request)
    }

    /// Report files in the reports folder (latest revisions) and revision files.
    func reportFiles() throws -> (latest: [String], revisions: Int) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: reports.directory)) ?? []
        let latest = names.filter { $0.hasSuffix(".json") }.sorted()
        var revisions = 0
        for folder in names where folder.hasSuffix(".revisions") {
            revisions += try FileManager.default.contentsOfDirectory(atPath: reports.directory + "/" + folder).count
        }
        return (latest, revisions)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

let now = Timestamp(secondsSinceEpoch: 1_800_000_000)

@Suite struct TriageTests {
    /// The loghub SSH capture's brute force: one MEDIUM-or-worse incident naming the attacker, with the exact
    /// failure count `query brute-force` gives.
    @Test func theLoghubBruteForceIsOneIncidentWithTheExactCount() async throws {
        let data = try #require(SharedFiles.data)
        let fixture = try TriageFixture("ssh")
        defer { fixture.remove() }
        try await fixture.analyst.ingest([data + "/loghub/OpenSSH_2k_first500.log"])
        let sources = try await fixture.store.bruteForce(EventFilter(limit: 100), minimumFailures: 5)
        let attacker = try #require(sources.first { $0.sourceIP == "103.99.0.122" })
        let pass = try await fixture.service().run(now: now)
        let incidents = try await fixture.store.incidents(IncidentQuery())
        let incident = try #require(incidents.first { $0.addresses.contains("103.99.0.122") })
        #expect((incident.severity ?? .low) >= .medium)
        #expect(pass.newIncidents == incidents.count)
        let report = try fixture.reports.read(id: incident.id)
        #expect(report.severity >= .medium)
        #expect(incident.rules.contains { $0.title.contains("\(attacker.failures) failed logins") })
        #expect(report.findings.contains { $0.kind == .bruteForce && $0.entities.addresses.contains("103.99.0.122") })
        // Other sources in the same capture are incidents of their own, not joined to the attacker's.
        #expect(incidents.filter { $0.addresses.contains("103.99.0.122") }.count == 1)
    }

    /// Triaging the same data again creates nothing: no alert, no incident, no report.
    @Test func triagingTwiceCreatesNothingNew() async throws {
        let data = try #require(SharedFiles.data)
        let fixture = try TriageFixture("twice")
        defer { fixture.remove() }
        try await fixture.analyst.ingest([data + "/loghub/OpenSSH_2k_first500.log"])
        let first = try await fixture.service().run(now: now)
        #expect(first.alerts > 0 && first.newIncidents > 0)
        let filesAfterFirst = try fixture.reportFiles()
        // The same log ingested again adds no events; a second pass and a fresh service find nothing new.
        try await fixture.analyst.ingest([data + "/loghub/OpenSSH_2k_first500.log"])
        let second = try await fixture.service().run(now: now)
        #expect(second.alerts == 0 && second.newIncidents == 0 && second.updatedIncidents == 0)
        #expect(second.incidents.isEmpty)
        #expect(try fixture.reportFiles().latest == filesAfterFirst.latest)
        #expect(try fixture.reportFiles().revisions == filesAfterFirst.revisions)
    }

    /// A storm — 100,000 detections of one rule on one host — is one incident with a count and one report.
    @Test(.timeLimit(.minutes(5))) func aStormIsOneIncident() async throws {
        let fixture = try TriageFixture("storm")
        defer { fixture.remove() }
        let start = Timestamp(secondsSinceEpoch: 1_700_000_000)
        var detections: [StoredDetection] = []
        for index in 0..<100_000 {
            detections.append(
                StoredDetection(
                    ruleID: "5cc90652-4cbd-4241-aa3b-4b462fa5a248",
                    title: "Suspicious Encoded PowerShell Command Line",
                    level: .high,
                    techniques: ["T1059.001"],
                    eventID: String(format: "%032x", index + 1),
                    timestamp: start.adding(microseconds: Int64(index) * 10_000)?.iso8601,
                    host: "WS-STORM",
                    fields: ["CommandLine": "powershell -enc SQBFAFgA"]
                )
            )
        }
        try await fixture.store.saveDetections(detections)
        let pass = try await fixture.service().run(now: now)
        #expect(pass.alerts == 100_000)
        #expect(pass.newIncidents == 1)
        let incidents = try await fixture.store.incidents(IncidentQuery())
        #expect(incidents.count == 1)
        let incident = try #require(incidents.first)
        #expect(incident.alertCount == 100_000)
        #expect(incident.rules.count == 1 && incident.rules.first?.count == 100_000)
        #expect(try fixture.reportFiles().latest == [incident.id + ".json"])
    }

    /// Alerts that join an incident later make a new revision of its report; the first is kept.
    @Test func anIncidentThatGrowsGetsANewRevision() async throws {
        let fixture = try TriageFixture("grow")
        defer { fixture.remove() }
        let start = Timestamp(secondsSinceEpoch: 1_700_000_000)
        func detection(_ index: Int, minutes: Int64, rule: String, level: SigmaLevel) -> StoredDetection {
            StoredDetection(
                ruleID: rule,
                title: "Rule \(rule)",
                level: level,
                techniques: [rule == "a" ? "T1059.001" : "T1003.001"],
                eventID: String(format: "%032x", index),
                timestamp: start.adding(microseconds: minutes * 60_000_000)?.iso8601,
                host: "DC01",
                fields: [:]
            )
        }
        try await fixture.store.saveDetections([detection(1, minutes: 0, rule: "a", level: .medium)])
        let first = try await fixture.service().run(now: now)
        #expect(first.newIncidents == 1)
        let id = try #require(first.incidents.first?.id)
        #expect(first.incidents.first?.severity == .medium)
        // Thirty minutes later a high credential-dumping rule fires on the same host: same incident, revision 2.
        try await fixture.store.saveDetections([detection(2, minutes: 30, rule: "b", level: .high)])
        let second = try await fixture.service().run(now: now)
        #expect(second.newIncidents == 0 && second.updatedIncidents == 1)
        #expect(second.incidents.first?.id == id)
        #expect(second.incidents.first?.severity == .critical)
        let revisions = try fixture.reports.revisions(id: id)
        #expect(revisions.map(\.severity) == [.medium, .critical])
        // Five hours later, outside the two-hour window: a new incident.
        try await fixture.store.saveDetections([detection(3, minutes: 300, rule: "a", level: .medium)])
        let third = try await fixture.service().run(now: now)
        #expect(third.newIncidents == 1)
        #expect(try await fixture.store.incidents(IncidentQuery()).count == 2)
    }

    /// Elastic Security alerts (8.x and 7.x shapes) and a Sentinel incident read from an inbox become typed alerts
    /// with their source, severity, entities and techniques.
    @Test func alertFilesBecomeTypedAlerts() async throws {
        let fixture = try TriageFixture("inbox")
        defer { fixture.remove() }
        let inbox = fixture.directory.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let elastic = """
            {"@timestamp":"2024-02-04T10:20:00.000Z","kibana.alert.uuid":"9f1c","kibana.alert.rule.name":"Potential Credential Access via LSASS Memory Dump","kibana.alert.rule.uuid":"r-1","kibana.alert.severity":"critical","kibana.alert.risk_score":99,"kibana.alert.rule.threat":[{"technique":[{"id":"T1003"}]}],"host":{"name":"WS-042"},"user":{"name":"jdoe"},"process":{"executable":"C:\\\\Temp\\\\procdump.exe","command_line":"procdump -ma lsass.exe"},"event":{"kind":"signal"}}
            {"@timestamp":"2024-02-04T10:25:00.000Z","signal":{"rule":{"name":"Unusual Network Connection via RunDLL32","severity":"medium","rule_id":"r-2","id":"r-2"}},"host":{"name":"WS-042"},"source":{"ip":"10.1.2.3"},"destination":{"ip":"45.142.212.61"}}
            """
        try elastic.write(to: inbox.appendingPathComponent("elastic.jsonl"), atomically: true, encoding: .utf8)
        let batch = try await AlertFiles.read(folders: [inbox.path], referenceTime: now) { _ in nil }
        #expect(batch.problems.isEmpty)
        #expect(batch.alerts.count == 2)
        let dump = try #require(batch.alerts.first)
        #expect(dump.source == .elasticSecurity)
        #expect(dump.id == "elastic_security:9f1c")
        #expect(dump.severity == .high && dump.sourceSeverity == "critical")
        #expect(dump.hosts == ["WS-042"] && dump.users.contains("jdoe"))
        let connection = try #require(batch.alerts.last)
        #expect(connection.source == .elasticSecurity && connection.severity == .medium)
        #expect(connection.addresses.contains("45.142.212.61"))
        // Recorded with their cursors, grouped (same host) into one incident, rated HIGH by the critical alert.
        let pass = try await fixture.service().run(extraAlerts: batch.alerts, cursors: batch.cursors, now: now)
        #expect(pass.alerts == 2 && pass.newIncidents == 1)
        #expect(pass.incidents.first?.severity == .high)
        // The file is marked read: a second look reads nothing.
        let service = try fixture.service()
        let again = try await AlertFiles.read(folders: [inbox.path], referenceTime: now) {
            try await service.cursor($0)
        }
        #expect(again.alerts.isEmpty)
    }

    /// Sentinel SecurityAlert rows from the shared samples become Sentinel alerts with their severity.
    @Test func sentinelAlertsAreAlerts() throws {
        let data = try #require(SharedFiles.data)
        var batch = AlertFiles.Batch()
        AlertFiles.read(
            path: data + "/azure-sentinel-samples/msticpy-testdata/az_mon_raw_query_SecurityAlert.json",
            referenceTime: now,
            into: &batch
        )
        let sentinel = batch.alerts.filter { $0.source == .sentinel }
        #expect(!sentinel.isEmpty)
        #expect(sentinel.allSatisfy { $0.sourceSeverity != nil && $0.id.hasPrefix("sentinel:") && !$0.title.isEmpty })
        #expect(Set(sentinel.map(\.id)).count == sentinel.count)
    }
}

/// The demo's attack — a brute force, a logon from the attacker, encoded PowerShell, an outbound connection — triaged
/// with no alert given: the behavioural detections raise it, the connection after the logon among them, and the
/// incident is the attack chain.
@Suite struct AttackScenarioTriageTests {
    @Test func theDemoAttackIsOneCriticalIncident() async throws {
        let fixture = try TriageFixture("demo")
        defer { fixture.remove() }
        let log = fixture.directory.appendingPathComponent("attack.jsonl").path
        _ = try AttackScenario.write(to: log, backgroundEvents: 500)
        try await fixture.analyst.ingest([log])
        let pass = try await fixture.service().run(now: now)
        #expect(pass.alerts > 0)
        let incidents = try await fixture.store.incidents(IncidentQuery())
        let attack = try #require(incidents.first { $0.addresses.contains(AttackScenario.attacker) })
        #expect(attack.rules.contains { $0.rule == PlaybookAlertRule.outboundAfterSuspiciousLogon.rawValue })
        #expect(attack.rules.contains { $0.rule == PlaybookAlertRule.logonAfterBruteForce.rawValue })
        #expect(attack.severity == .critical)
        let report = try fixture.reports.read(id: attack.id)
        #expect(report.findings.first?.kind == .attackChain)
    }
}

/// A brute force whose failures arrive in two files, triaged after each: the second pass looks back and sees all
/// six failures.
@Suite struct SplitBruteForceTests {
    @Test func failuresSplitAcrossPassesStillMakeABruteForce() async throws {
        let fixture = try TriageFixture("split")
        defer { fixture.remove() }
        func lines(_ range: Range<Int>) -> String {
            range.map {
                "Feb  4 10:1\($0):00 web01 sshd[10\($0)]: Failed password for root from 198.51.100.9 port 4\($0)000 ssh2"
            }.joined(separator: "\n") + "\n"
        }
        let first = fixture.directory.appendingPathComponent("auth1.log")
        let second = fixture.directory.appendingPathComponent("auth2.log")
        try lines(0..<3).write(to: first, atomically: true, encoding: .utf8)
        try lines(3..<6).write(to: second, atomically: true, encoding: .utf8)
        try await fixture.analyst.ingest([first.path])
        let before = try await fixture.service().run(now: now)
        #expect(before.alerts == 0)
        try await fixture.analyst.ingest([second.path])
        let after = try await fixture.service().run(now: now)
        #expect(after.newIncidents == 1)
        let incident = try #require(after.incidents.first)
        #expect(incident.addresses.contains("198.51.100.9"))
        #expect(incident.rules.contains { $0.title.contains("6 failed logins") })
    }
}
