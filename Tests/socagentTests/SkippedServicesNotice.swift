import Foundation
import Testing

/// `swift test` alone cannot start the servers some tests need; this says which tests were skipped and how to run
/// them, so a green run never hides them.
@Suite struct SkippedServicesNotice {
    /// The tests that need a server, by the variable that names it.
    static let services = [
        ("SOCAGENT_ES_URL", "the Elasticsearch/OpenSearch backend tests (parity, Beats documents, cluster commands)"),
        ("SOCAGENT_LLM_URL", "the local-model analyst test"),
        ("SOCAGENT_BROWSER_PYTHON", "the board's real-browser test (Selenium and Chromium)"),
        ("SOCAGENT_MCP_PYTHON", "the MCP server tests with a real client (the mcp package from PyPI)"),
    ]

    @Test func saysWhatWasSkippedAndHowToRunIt() {
        let environment = ProcessInfo.processInfo.environment
        let missing = Self.services.filter { environment[$0.0] == nil }
        guard !missing.isEmpty else { return }
        let what = missing.map { "\($0.1) (no \($0.0))" }.joined(separator: "; ")
        print(
            "NOTE: skipped \(what). Run `bash .ci/run` to start those servers on loopback (and install the MCP client and the browser) and run every test."
        )
        #expect(missing.count <= Self.services.count)
    }
}
