import Foundation
import SOCTestSupport
import Testing

/// The query commands against a cluster (osmem-server from `.ci/run`) answer as they do on the embedded store.
@Suite(
    .enabled(
        if: TestCluster.url != nil && SharedFiles.data != nil,
        "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run) and ../shared/data"
    )
)
struct ClusterCommandTests {
    @Test func ingestQueryAndSearchWorkUnchangedAgainstACluster() async throws {
        let cli = try IngestCommandTests()
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let data = try #require(SharedFiles.data)
        let inputs = [data + "/loghub/OpenSSH_2k_first500.log", data + "/deepbluecli-evtx/jsonl/password-spray.jsonl"]
        let sqlite = cli.path("events.db")
        func both(_ arguments: [String]) async throws -> (cluster: IngestCommandTests.Run, file: IngestCommandTests.Run)
        {
            let viaFlag = try await offThePool { try cli.run(arguments + ["--store", cluster.url]) }
            let viaFile = try await offThePool { try cli.run(arguments + ["--store", sqlite]) }
            return (viaFlag, viaFile)
        }
        let ingested = try await both(["ingest", "--json"] + inputs)
        #expect(ingested.cluster.status == 0, "\(ingested.cluster.stderr)")
        #expect(ingested.cluster.json?["inserted"] as? Int == 795)
        #expect(ingested.cluster.json?["failed"] as? Int == 0)
        for command in [
            ["query", "brute-force", "--all", "--json"],
            ["query", "failed-logins", "--all", "--top", "1000", "--json"],
            ["query", "connections", "--all", "--json"],
            ["search", "event.outcome:failure AND user.name:root", "--all", "--json"],
        ] {
            let answers = try await both(command)
            #expect(answers.cluster.status == 0, "\(command): \(answers.cluster.stderr)")
            let fromCluster = try #require(
                try JSONSerialization.jsonObject(with: Data(answers.cluster.stdout.utf8)) as? NSObject
            )
            let fromFile = try #require(
                try JSONSerialization.jsonObject(with: Data(answers.file.stdout.utf8)) as? NSObject
            )
            #expect(fromCluster.isEqual(fromFile), "\(command)")
            #expect(answers.cluster.stdout.count > 100 || command[1] == "connections", "\(command)")
        }
        // Hunting reads the cluster page by page: the same detections as from the embedded store.
        let rules = data + "/sigma/rules/windows/builtin/security"
        let hunted = try await both(["hunt", "--rules", rules, "--json"])
        #expect(hunted.cluster.status == 0, "\(hunted.cluster.stderr)")
        let detections = hunted.cluster.stdout.split(separator: "\n").sorted()
        #expect(!detections.isEmpty)
        #expect(detections == hunted.file.stdout.split(separator: "\n").sorted())
        #expect(hunted.cluster.stderr.contains("795 events"))

        // Hunting saved the detections in both stores; an investigation on the host cites them alike.
        let alert = "Audit log cleared: host=DESKTOP-JR78RLP at 2019-04-30 19:30:00"
        let analyzed = try await both(["analyze", "--offline", "--json", "--report-dir", cli.path("reports"), alert])
        for run in [analyzed.cluster, analyzed.file] {
            #expect(run.status == 0, "\(run.stderr)")
            let calls = run.json?["tool_calls"] as? [[String: Any]] ?? []
            let sigma = calls.first { $0["tool"] as? String == "query_sigma_detections" }
            #expect(sigma?["result_summary"] as? String == "1 Sigma detection (1 high): Security Eventlog Cleared")
            let findings = run.json?["findings"] as? [[String: Any]] ?? []
            #expect(
                findings.contains {
                    $0["title"] as? String == "Sigma high: Security Eventlog Cleared on DESKTOP-JR78RLP"
                }
            )
        }

        // ELK_HOST names the cluster when no --store is given.
        let viaEnvironment = try await offThePool {
            try cli.run(["stats", "--json"], environment: ["ELK_HOST": cluster.url])
        }
        #expect(
            (try JSONSerialization.jsonObject(with: Data(viaEnvironment.stdout.utf8)) as? [String: Any])?["events"]
                as? Int == 795
        )
    }
}
