import Foundation
import SOCTestSupport
import Testing

/// `bench … --json` prints one JSON object (it printed Swift debug text inside a string before).
@Suite struct BenchCommandTests {
    @Test(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
    func benchQueryPrintsJSON() throws {
        let cli = try IngestCommandTests()
        let log = try #require(SharedFiles.data) + "/loghub/OpenSSH_2k_first500.log"
        #expect(try cli.run(["ingest", "--store", "bench.db", log]).status == 0)
        let run = try cli.run(["bench", "query", "--store", "bench.db", "--runs", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(run.json, "not JSON: \(run.stdout)")
        #expect(object["events"] as? Int == 500)
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.count == 13)
        #expect(results.allSatisfy { $0["query"] is String && $0["median_ms"] is Double && $0["result"] is Int })
        #expect(results.first { ($0["query"] as? String)?.hasPrefix("brute-force") == true }?["result"] as? Int == 7)
    }
}
