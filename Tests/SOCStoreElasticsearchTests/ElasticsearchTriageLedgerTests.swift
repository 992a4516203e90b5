import Foundation
import SOCHTTP
import SOCModel
import SOCStore
import SOCStoreElasticsearch
import SOCStoreSQLite
import SOCTestSupport
import Synchronization
import Testing

/// Triage's state in a cluster's own indices (osmem-server from `.ci/run`): the same answers as the embedded store's
/// tables, pages beyond the result window, and a grouping interrupted after its journal finished by the next ledger.
@Suite(.enabled(if: TestCluster.url != nil, "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run)"))
struct ElasticsearchTriageLedgerTests {
    static let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    static func alert(_ id: String, host: String, minute: Int64, severity: Severity = .medium) -> Alert {
        Alert(
            source: .sigma,
            id: id,
            time: Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + minute * 60_000_000),
            title: "rule on \(host)",
            rule: "rule-\(id)",
            severity: severity,
            hosts: [host],
            text: "alert \(id)"
        )
    }

    static let alerts = [
        alert("a1", host: "HOST-A", minute: 0),
        alert("a2", host: "HOST-A", minute: 5, severity: .critical),
        alert("b1", host: "Host-B", minute: 10, severity: .low),
        alert("b2", host: "Host-B", minute: 12),
    ]

    static func incidents(_ alerts: [Alert]) -> [TriageIncident] {
        var first = TriageIncident(id: "INC-A", first: alerts[0], at: alerts[0].time!)
        first.add(alerts[0], at: alerts[0].time!)
        first.add(alerts[1], at: alerts[1].time!)
        first.revision = 1
        var second = TriageIncident(id: "INC-B", first: alerts[2], at: alerts[2].time!)
        second.add(alerts[2], at: alerts[2].time!)
        second.add(alerts[3], at: alerts[3].time!)
        second.revision = 1
        return [first, second]
    }

    /// The steps triage takes, and what each answer was, as lines to compare.
    static func exercise(_ ledger: any TriageLedger) async throws -> [String] {
        var answers: [String] = []
        let longName = "inbox:/var/log/inbox/" + String(repeating: "é/", count: 300) + "alerts.json"
        answers.append("new \(try await ledger.record(Array(alerts.prefix(3)), cursors: ["c": "1", longName: "7:1"]))")
        answers.append("new again \(try await ledger.record(alerts, cursors: ["c": "2"]))")
        answers.append("cursors \(try await ledger.cursor("c") ?? "-") \(try await ledger.cursor(longName) ?? "-")")
        answers.append("no cursor \(try await ledger.cursor("missing") ?? "-")")
        let ungrouped = try await ledger.ungroupedAlerts(limit: 10)
        answers.append("ungrouped \(ungrouped.map(\.alert.id))")
        answers.append("first two \(try await ledger.ungroupedAlerts(limit: 2).map(\.alert.id))")
        let assignments = ungrouped.map {
            LedgerAssignment(
                sequence: $0.sequence,
                alertID: $0.alert.id,
                incidentID: $0.alert.hosts == ["HOST-A"] ? "INC-A" : "INC-B"
            )
        }
        try await ledger.saveGrouping(incidents(alerts), assignments: assignments)
        answers.append("after grouping \(try await ledger.ungroupedAlerts(limit: 10).map(\.alert.id))")
        answers.append("alerts of A \(try await ledger.alerts(ofIncident: "INC-A", limit: 10).map(\.id))")
        answers.append("alerts of B \(try await ledger.alerts(ofIncident: "INC-B", limit: 1).map(\.id))")
        answers.append("due \(try await ledger.incidentsToInvestigate(limit: 10).map(\.id))")
        try await ledger.recordInvestigation(
            incident: "INC-A",
            revision: 1,
            severity: .high,
            title: "Investigated",
            reportID: "INC-A",
            reportRevision: 1
        )
        let investigated = try #require(try await ledger.incident(id: "INC-A"))
        answers.append(
            "A \(investigated.severity?.rawValue ?? "-") \(investigated.title) r\(investigated.reportRevisions) "
                + "\(investigated.alertCount) alerts \(investigated.needsInvestigation)"
        )
        answers.append("due after \(try await ledger.incidentsToInvestigate(limit: 10).map(\.id))")
        answers.append("missing \(try await ledger.incident(id: "INC-NONE")?.id ?? "-")")
        answers.append("all \(try await ledger.incidents(IncidentQuery()).map(\.id))")
        answers.append("medium+ \(try await ledger.incidents(IncidentQuery(minimumSeverity: .medium)).map(\.id))")
        answers.append("host b \(try await ledger.incidents(IncidentQuery(host: "host-b")).map(\.id))")
        let minute9 = Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 9 * 60_000_000)
        answers.append("since 9 \(try await ledger.incidents(IncidentQuery(activeSince: minute9)).map(\.id))")
        answers.append("open, 1 \(try await ledger.incidents(IncidentQuery(status: .open, limit: 1)).map(\.id))")
        answers.append("closed \(try await ledger.incidents(IncidentQuery(status: .closed)).map(\.id))")
        let minute11 = Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 11 * 60_000_000)
        answers.append("active \(try await ledger.incidents(activeSince: minute11).map(\.id))")
        let counts = try await ledger.triageCounts()
        answers.append("counts \(counts.alerts) \(counts.incidents)")

        // People change incidents: the workflow's rules, the history, and a grouping computed from an older copy.
        let acknowledged = try await ledger.change(
            incident: "INC-B",
            .init(at: start, by: "alice", status: .acknowledged, assignee: "alice")
        )
        answers.append("ack \(acknowledged?.status.rawValue ?? "-") \(acknowledged?.assignee ?? "-")")
        do {
            _ = try await ledger.change(incident: "INC-B", .init(at: start, by: "alice", status: .closed))
            answers.append("closed without a disposition")
        } catch {
            answers.append("refused: \(error)")
        }
        let closed = try await ledger.change(
            incident: "INC-B",
            .init(at: start, by: "bob", status: .closed, disposition: .falsePositive, comment: "the scanner")
        )
        answers.append(
            "closed \(closed?.status.rawValue ?? "-") \(closed?.disposition?.rawValue ?? "-") "
                + "\(closed?.history.map(\.by) ?? [])"
        )
        try await ledger.saveGrouping([incidents(alerts)[1]], assignments: [])
        let kept = try await ledger.incident(id: "INC-B")
        answers.append("after a stale grouping \(kept?.status.rawValue ?? "-") \(kept?.history.count ?? 0)")
        answers.append("closed \(try await ledger.incidents(IncidentQuery(status: .closed)).map(\.id))")
        answers.append("due closed \(try await ledger.incidentsToInvestigate(limit: 10).map(\.id))")
        let none = try await ledger.change(incident: "INC-NONE", .init(at: start, by: "alice", comment: "hello"))
        answers.append("change missing \(none?.id ?? "-")")
        return answers
    }

    @Test func theClusterLedgerAnswersAsTheEmbeddedOne() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let store = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: cluster.url))
        let fromCluster = try await Self.exercise(store.triageLedger())
        let fromFile = try await Self.exercise(try SQLiteEventStore(path: ":memory:"))
        #expect(fromCluster == fromFile)
        #expect(fromFile.contains("new again 1"))
        #expect(fromFile.contains(#"alerts of A ["a2", "a1"]"#))
        #expect(fromFile.contains(#"medium+ ["INC-A"]"#))
        #expect(fromFile.contains(#"closed closed false_positive ["alice", "bob"]"#))
        #expect(fromFile.contains("after a stale grouping closed 2"))
        #expect(fromFile.contains(#"since 9 ["INC-B"]"#))
        #expect(fromFile.contains { $0.hasPrefix("refused: closing an incident needs a disposition") })

        // A second ledger on the same cluster (the next run) carries on: the numbering, the cursors, the incidents.
        let again = store.triageLedger()
        #expect(try await again.record([Self.alert("c1", host: "HOST-C", minute: 20)], cursors: [:]) == 1)
        let next = try await again.ungroupedAlerts(limit: 10)
        #expect(next.map(\.alert.id) == ["c1"])
        #expect((next.first?.sequence ?? 0) > 4, "numbers continue after the four alerts recorded")
        #expect(try await again.cursor("c") == "2")

        // Events read with an index pattern that takes in socagent's own indices still leave them out.
        let everything = try await ElasticsearchEventStore(
            configuration: ElasticsearchConfiguration(url: cluster.url, indexPatterns: ["socagent-*"])
        )
        let counted = try await everything.count()
        #expect(counted == 0, "\(counted) documents of socagent's own indices read as events")
    }

    @Test(.timeLimit(.minutes(10))) func pagesBeyondTheResultWindowComeInArrivalOrder() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let store = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: cluster.url))
        let ledger = store.triageLedger()
        let storm = (0..<12_001).map { Self.alert(String(format: "s%05d", $0), host: "HOST-S", minute: Int64($0 % 60)) }
        #expect(try await ledger.record(storm, cursors: ["storm": "done"]) == 12_001)
        #expect(try await ledger.record(Array(storm.suffix(10)), cursors: [:]) == 0)
        let read = try await ledger.ungroupedAlerts(limit: 20_000)
        #expect(read.count == 12_001)
        #expect(read.map(\.alert.id) == storm.map(\.id))
        #expect(read.map(\.sequence) == read.map(\.sequence).sorted())
        #expect(try await ledger.ungroupedAlerts(limit: 7_000).count == 7_000)
    }

    /// A process killed between writing a grouping's journal and finishing it: the next ledger finishes it, so the
    /// alerts are in their incidents exactly once.
    @Test func aGroupingCutShortIsFinishedByTheNextLedger() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let configuration = ElasticsearchConfiguration(url: cluster.url)
        let dying = DyingTransport()
        let doomed = try await ElasticsearchEventStore(configuration: configuration, transport: dying)
            .triageLedger()
        #expect(try await doomed.record(Self.alerts, cursors: [:]) == 4)
        let ungrouped = try await doomed.ungroupedAlerts(limit: 10)
        let assignments = ungrouped.map {
            LedgerAssignment(
                sequence: $0.sequence,
                alertID: $0.alert.id,
                incidentID: $0.alert.hosts == ["HOST-A"] ? "INC-A" : "INC-B"
            )
        }
        dying.dieAfterJournal()
        await #expect(throws: (any Error).self) {
            try await doomed.saveGrouping(Self.incidents(Self.alerts), assignments: assignments)
        }

        let revived = try await ElasticsearchEventStore(configuration: configuration).triageLedger()
        #expect(try await revived.ungroupedAlerts(limit: 10).isEmpty)
        #expect(Set(try await revived.alerts(ofIncident: "INC-A", limit: 10).map(\.id)) == ["a1", "a2"])
        #expect(Set(try await revived.alerts(ofIncident: "INC-B", limit: 10).map(\.id)) == ["b1", "b2"])
        let counts = try await revived.triageCounts()
        #expect(counts.alerts == 4 && counts.incidents == 2)
        #expect(try await revived.incident(id: "INC-A")?.alertCount == 2)
    }
}

/// The real transport until told to die: then every request after the next journal write fails, as if the process
/// had been killed there.
final class DyingTransport: HTTPTransport {
    private let inner = AsyncHTTPTransport()
    private let state = Mutex((armed: false, dead: false))

    func dieAfterJournal() { state.withLock { $0.armed = true } }

    func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        if state.withLock({ $0.dead }) { throw HTTPTransportError.unreachable(url: request.url, reason: "killed") }
        let response = try await inner.send(request)
        if request.method == "PUT", request.url.contains("/_doc/journal") {
            state.withLock { if $0.armed { $0.dead = true } }
        }
        return response
    }
}

/// API tokens kept in a cluster's `socagent-tokens` index behave as those in the store's file.
@Suite(.enabled(if: TestCluster.url != nil, "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run)"))
struct ElasticsearchAccessTokenTests {
    static func exercise(_ registry: any AccessTokenRegistry) async throws -> [String] {
        let created = Timestamp(secondsSinceEpoch: 1_700_000_000)
        var answers: [String] = []
        try await registry.add(AccessToken(name: "alice", role: .analyst, digest: "d-alice", created: created))
        try await registry.add(AccessToken(name: "bob", role: .viewer, digest: "d-bob", created: created))
        do {
            try await registry.add(AccessToken(name: "alice", role: .admin, digest: "d-other", created: created))
            answers.append("duplicate kept")
        } catch {
            answers.append("duplicate refused: \(error)")
        }
        answers.append("by digest \(try await registry.token(digest: "d-bob")?.name ?? "-")")
        answers.append("unknown \(try await registry.token(digest: "d-none")?.name ?? "-")")
        answers.append("revoke \(try await registry.revoke(name: "bob", at: created))")
        answers.append("revoke again \(try await registry.revoke(name: "bob", at: created))")
        answers.append("revoke missing \(try await registry.revoke(name: "carol", at: created))")
        answers.append(
            "all \(try await registry.tokens().map { "\($0.name) \($0.role.rawValue) \($0.revoked != nil)" })"
        )
        return answers
    }

    @Test func tokensInAClusterAnswerAsInTheStoreFile() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let store = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: cluster.url))
        let fromCluster = try await Self.exercise(store.accessTokens())
        let fromFile = try await Self.exercise(try SQLiteEventStore(path: ":memory:"))
        #expect(fromCluster == fromFile)
        #expect(fromFile.contains(#"all ["alice analyst false", "bob viewer true"]"#))
        #expect(fromFile.contains("revoke again false"))
        #expect(fromFile.contains { $0.hasPrefix("duplicate refused") })
    }
}
