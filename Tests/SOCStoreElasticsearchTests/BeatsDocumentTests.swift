import Foundation
import SOCModel
import SOCStore
import SOCStoreElasticsearch
import SOCTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Documents as Beats ship them (Elastic's Winlogbeat golden files), loaded into a cluster as they are, without
/// socagent's ingest: the queries find them whether or not Elastic's ingest pipeline added ECS fields.
@Suite(
    .enabled(
        if: TestCluster.url != nil && SharedFiles.data != nil,
        "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run) and ../shared/data"
    )
)
struct BeatsDocumentTests {
    static let goldens = [
        "winlogbeat-security-collection/security-windows2019_4688_Process_Created.evtx.golden.json",
        "winlogbeat-security-ingest/security-windows2019_4688_Process_Created.golden.json",
        "winlogbeat-sysmon-ingest/sysmon-12-processcreate.golden.json",
        "winlogbeat-security-ingest/security-windows2016_4720_Account_Created.golden.json",
    ]

    @Test func processStartsAreFoundWithAndWithoutTheIngestPipeline() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let data = try #require(SharedFiles.data) + "/elastic-beats-testdata/"
        var bulk = ""
        for (index, golden) in Self.goldens.enumerated() {
            let documents = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + golden)))
                    as? [[String: Any]]
            )
            for (number, document) in documents.enumerated() {
                bulk +=
                    #"{"index":{"_index":"winlogbeat-8.17.0-2019.11.14","_id":"golden-\#(index)-\#(number)"}}"# + "\n"
                bulk += String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self) + "\n"
            }
        }
        // Winlogbeat installs its own template: strings are keywords, @timestamp a date.
        var template = URLRequest(url: try #require(URL(string: cluster.url + "/_index_template/winlogbeat")))
        template.httpMethod = "PUT"
        template.setValue("application/json", forHTTPHeaderField: "Content-Type")
        template.httpBody = Data(
            #"""
            {"index_patterns":["winlogbeat-*"],"priority":100,"template":{"mappings":{
             "dynamic_templates":[{"strings_as_keyword":{"match_mapping_type":"string","mapping":{"type":"keyword","ignore_above":1024}}}],
             "properties":{"@timestamp":{"type":"date"},"message":{"type":"text"}}}}}
            """#.utf8
        )
        _ = try await URLSession.shared.data(for: template)
        var request = URLRequest(url: try #require(URL(string: cluster.url + "/_bulk?refresh=true")))
        request.httpMethod = "POST"
        request.setValue("application/x-ndjson", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(bulk.utf8)
        let (body, _) = try await URLSession.shared.data(for: request)
        #expect((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["errors"] as? Bool == false)

        let store = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: cluster.url))
        #expect(try await store.count() == 5)
        let findings = try await store.suspiciousProcesses(EventFilter(limit: 100))
        // Both forms of the same 4688 (wevtutil cl Security from PowerShell), read back with ECS process fields.
        #expect(findings.count == 2)
        for finding in findings {
            #expect(finding.reasons == ["event log clearing (T1070.001)"])
            #expect(finding.event.processName == "wevtutil.exe")
            #expect(finding.event.commandLine?.contains("cl Security") == true)
            #expect(finding.event.host == "vagrant")
        }
        #expect(Set(findings.map(\.event.id)).count == 2)
        let search = try await store.search(
            try LuceneParser.parse("event.code:4688"),
            filter: EventFilter(limit: 10),
            now: Timestamp(year: 2026, month: 1, day: 1)!
        )
        #expect(search.total == 2)
        #expect(search.events.allSatisfy { $0.string(ECSField.processParentName)?.lowercased() == "powershell.exe" })
    }
}
