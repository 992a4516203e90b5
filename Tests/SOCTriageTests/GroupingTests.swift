import Foundation
import SOCModel
import SOCReports
import SOCStore
import SOCStoreSQLite
import SOCTriage
import Testing

/// Grouping and the ledger's reading order, on hand-made alerts.
@Suite struct GroupingTests {
    static let base = Timestamp(secondsSinceEpoch: 1_700_000_000)
    static func at(minutes: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: base.microsecondsSinceEpoch + minutes * 60_000_000)
    }
    static func alert(_ id: String, host: String, minutes: Int64, severity: Severity = .medium) -> Alert {
        Alert(
            source: .file,
            id: id,
            time: at(minutes: minutes),
            title: "alert \(id)",
            severity: severity,
            hosts: [host],
            text: id
        )
    }

    /// A host with two incidents hours apart: a new alert joins the one whose window holds it, whatever else is
    /// in its batch.
    @Test func anAlertJoinsTheIncidentWhoseWindowHoldsIt() {
        let grouper = IncidentGrouper(windowSeconds: 3600)
        var early = TriageIncident(id: "INC-X", first: Self.alert("x", host: "H", minutes: 0), at: Self.at(minutes: 0))
        early.add(Self.alert("x", host: "H", minutes: 0), at: Self.at(minutes: 0))
        early.add(Self.alert("x2", host: "H", minutes: 30), at: Self.at(minutes: 30))
        var late = TriageIncident(
            id: "INC-Y",
            first: Self.alert("y", host: "H", minutes: 180),
            at: Self.at(minutes: 180)
        )
        late.add(Self.alert("y", host: "H", minutes: 180), at: Self.at(minutes: 180))
        for batch in [
            [
                LedgerAlert(sequence: 1, alert: Self.alert("other", host: "OTHER", minutes: 60)),
                LedgerAlert(sequence: 2, alert: Self.alert("new", host: "h", minutes: 200)),
            ],
            [LedgerAlert(sequence: 2, alert: Self.alert("new", host: "h", minutes: 200))],
        ] {
            for active in [[early, late], [late, early]] {
                let outcome = grouper.group(batch, active: active, now: Self.at(minutes: 300))
                #expect(outcome.assignments.last == LedgerAssignment(sequence: 2, alertID: "new", incidentID: "INC-Y"))
            }
        }
    }

    /// Two alerts whose ids would make the same incident id in one second get different ids.
    @Test func collidingIncidentIdsAreMadeDistinct() {
        let grouper = IncidentGrouper()
        let first = Self.alert("a", host: "H1", minutes: 0)
        let taken = TriageIncident(
            id: IncidentGrouper.incidentID(for: first, at: Self.at(minutes: 0)),
            first: first,
            at: Self.at(minutes: 0)
        )
        let outcome = grouper.group(
            [LedgerAlert(sequence: 1, alert: Self.alert("a", host: "H2", minutes: 0))],
            active: [taken],
            now: Self.at(minutes: 0)
        )
        #expect(outcome.created == 1)
        #expect(outcome.incidents.first?.id != taken.id)
    }

    /// An investigation reads an incident's most severe alerts first, however many milder ones came after.
    @Test func theMostSevereAlertsAreReadFirst() async throws {
        let fixture = try TriageFixture("severity")
        defer { fixture.remove() }
        var alerts = [Self.alert("critical", host: "DC01", minutes: 0, severity: .high)]
        for index in 0..<2500 { alerts.append(Self.alert("low-\(index)", host: "DC01", minutes: 1, severity: .low)) }
        _ = try await fixture.store.record(alerts, cursors: [:])
        let pass = try await fixture.service().run(now: Self.at(minutes: 10))
        let incident = try #require(pass.incidents.first)
        #expect(incident.alertCount == 2501)
        #expect(incident.severity == .high)
        let read = try await fixture.store.alerts(ofIncident: incident.id, limit: 10)
        #expect(read.first?.id == "critical")
    }

    /// An investigation whose report cannot be written is a failure of that incident alone: it stays due and is
    /// investigated on the next pass.
    @Test func anUnwritableReportLeavesTheIncidentDue() async throws {
        let fixture = try TriageFixture("unwritable")
        defer { fixture.remove() }
        // The reports folder is a file: nothing can be written there.
        FileManager.default.createFile(atPath: fixture.reports.directory, contents: Data("x".utf8))
        _ = try await fixture.store.record([Self.alert("a", host: "WS1", minutes: 0)], cursors: [:])
        let failed = try await fixture.service().run(now: Self.at(minutes: 10))
        #expect(failed.incidents.isEmpty && failed.failures.count == 1)
        #expect(try await fixture.store.incidentsToInvestigate(limit: 10).count == 1)
        try FileManager.default.removeItem(atPath: fixture.reports.directory)
        let retried = try await fixture.service().run(now: Self.at(minutes: 10))
        #expect(retried.incidents.count == 1 && retried.failures.isEmpty)
        #expect(try await fixture.store.incidentsToInvestigate(limit: 10).isEmpty)
    }
}
