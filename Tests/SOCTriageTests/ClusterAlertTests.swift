import Foundation
import SOCAnalystKit
import SOCModel
import SOCStore
import SOCTestSupport
import SOCTriage
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Elastic Security's detection alerts in a cluster (8.x `.alerts-security.alerts-*`, 7.x `.siem-signals-*`) are read
/// by triage, grouped and investigated; the state lives in a SQLite file beside the cluster.
@Suite(.enabled(if: TestCluster.url != nil, "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run)"))
struct ClusterAlertTests {
    @Test func elasticSecurityAlertsInAClusterBecomeIncidents() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let bulk = """
            {"index":{"_index":".alerts-security.alerts-default","_id":"a1"}}
            {"@timestamp":"2024-02-04T10:20:00.000Z","kibana.alert.uuid":"a1","kibana.alert.rule.name":"Potential Credential Access via LSASS Memory Dump","kibana.alert.rule.uuid":"r-1","kibana.alert.severity":"critical","kibana.alert.risk_score":99,"host":{"name":"WS-042"},"user":{"name":"jdoe"},"event":{"kind":"signal"}}
            {"index":{"_index":".alerts-security.alerts-default","_id":"a2"}}
            {"@timestamp":"2024-02-04T10:40:00.000Z","kibana.alert.uuid":"a2","kibana.alert.rule.name":"Suspicious Execution via Scheduled Task","kibana.alert.rule.uuid":"r-2","kibana.alert.severity":"medium","host":{"name":"WS-042"},"event":{"kind":"signal"}}
            {"index":{"_index":".siem-signals-default","_id":"s1"}}
            {"@timestamp":"2021-05-01T08:00:00.000Z","signal":{"rule":{"name":"Unusual Parent-Child Relationship","severity":"high","rule_id":"r-3","id":"r-3"}},"host":{"name":"SRV-7"}}

            """
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let service = try await Self.triage(cluster.url, bulk: bulk, state: folder)
        let pass = try await service.run(now: Timestamp(secondsSinceEpoch: 1_800_000_000))
        #expect(pass.alerts == 3)
        #expect(pass.newIncidents == 2)
        let incidents = try await service.incidents(IncidentQuery())
        let workstation = try #require(incidents.first { $0.hosts.contains("WS-042") })
        #expect(workstation.alertCount == 2 && workstation.severity == .high)
        #expect(workstation.rules.allSatisfy { $0.source == .elasticSecurity })
        let server = try #require(incidents.first { $0.hosts.contains("SRV-7") })
        #expect(server.severity == .medium)
        // Read again: nothing new (the alerts sharing the cursor's time are skipped by id).
        let again = try await service.run(now: Timestamp(secondsSinceEpoch: 1_800_000_000))
        #expect(again.alerts == 0 && again.newIncidents == 0)
    }

    /// A rule run writes its alerts with one `@timestamp`: 1,500 of them are all read, the cursor does not stick.
    @Test func alertsSharingOneTimeAreAllRead() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        var bulk = ""
        for index in 0..<1500 {
            bulk += #"{"index":{"_index":".alerts-security.alerts-default","_id":"b\#(index)"}}"# + "\n"
            bulk +=
                #"{"@timestamp":"2024-02-04T11:00:00.000Z","kibana.alert.uuid":"b\#(index)","kibana.alert.rule.name":"Port scan","kibana.alert.severity":"low","host":{"name":"WS-\#(index % 7)"}}"#
                + "\n"
        }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let service = try await Self.triage(cluster.url, bulk: bulk, state: folder)
        let pass = try await service.run(now: Timestamp(secondsSinceEpoch: 1_800_000_000))
        #expect(pass.alerts == 1500)
        #expect(pass.newIncidents == 7)
    }

    /// A fresh folder for the triage state, reports and intel cache.
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-cluster-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Loads `bulk` (NDJSON) into the cluster and returns triage over it, offline, its state in `state`.
    static func triage(_ cluster: String, bulk: String, state: URL) async throws -> TriageService {
        var request = URLRequest(url: try #require(URL(string: cluster + "/_bulk?refresh=true")))
        request.httpMethod = "POST"
        request.setValue("application/x-ndjson", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(bulk.utf8)
        _ = try await URLSession.shared.data(for: request)
        let analyst = try await SOCAnalyst(
            configuration: .init(
                store: cluster,
                reportDirectory: state.appendingPathComponent("reports").path,
                intelDatabase: state.appendingPathComponent("intel.db").path,
                offline: true,
                environment: AnalystEnvironment(values: [:])
            )
        )
        var triage = TriageRequest()
        triage.statePath = state.appendingPathComponent("triage.db").path
        return try analyst.triageService(triage)
    }
}
