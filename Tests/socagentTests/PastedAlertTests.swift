import Foundation
import SOCTestSupport
import Testing

/// Issue 18 item 16: the most natural alert is a pasted log line, judged where the store's data is — not around now.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct PastedAlertTests {
    @Test func aPastedAuthLogLineAndATimelessAlertFindTheBruteForce() throws {
        let cli = try IngestCommandTests()
        let log = try #require(SharedFiles.data) + "/loghub/OpenSSH_2k_first500.log"
        #expect(try cli.run(["ingest", log]).status == 0)
        let line =
            "Dec 10 09:11:21 LabSZ sshd[24439]: Failed password for invalid user admin from 103.99.0.122 port 55177 ssh2"
        let pasted = try cli.run(["analyze", "--offline", "--json", line])
        #expect(pasted.status == 0, "\(pasted.stderr)")
        #expect(pasted.json?["severity"] as? String == "MEDIUM", "\(pasted.stdout.prefix(600))")
        #expect(pasted.stdout.contains("Password spraying from 103.99.0.122"))
        #expect(pasted.stdout.contains("27 failed attempts"))

        let timeless = try cli.run([
            "analyze", "--offline", "--json", "Failed password for invalid user admin from 103.99.0.122",
        ])
        #expect(timeless.status == 0, "\(timeless.stderr)")
        #expect(timeless.json?["severity"] as? String == "MEDIUM")
        let reasons = timeless.json?["severity_reasons"] as? [String] ?? []
        #expect(reasons.contains { $0.contains("The alert gives no time") && $0.contains("2025-12-10T") }, "\(reasons)")
    }
}
