import Foundation
import SOCModel
import SOCTestSupport
import Testing

/// The README's Swift library example compiles (it is this test target's `triage(log:store:)`) and runs.
@Suite struct LibraryExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The lines between two markers (or a fence), trimmed of trailing spaces.
    static func lines(of text: String, from start: String, to end: String) -> [String] {
        let all = text.components(separatedBy: "\n")
        guard let first = all.firstIndex(where: { $0.contains(start) }),
            let last = all[(first + 1)...].firstIndex(where: { $0.contains(end) })
        else { return [] }
        return all[(first + 1)..<last].map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
    }

    @Test func theREADMEExampleIsTheCompiledOne() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(
            readme.components(separatedBy: "## Using socagent as a Swift library").dropFirst().first
        )
        let inREADME = Self.lines(of: section, from: "```swift", to: "```").filter {
            !$0.hasPrefix("import ") && !$0.isEmpty
        }
        let source = try String(
            contentsOf: Self.repository.appendingPathComponent("Tests/socagentTests/LibraryExample.swift"),
            encoding: .utf8
        )
        let compiled = Self.lines(of: source, from: "// README example begins", to: "// README example ends")
        #expect(!compiled.isEmpty)
        #expect(inREADME == compiled)
    }

    @Test(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
    func theExampleRunsOnTheSSHLog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-library-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try #require(SharedFiles.data) + "/loghub/OpenSSH_2k_first500.log"
        let report = try await triage(log: log, store: directory.appendingPathComponent("library.db").path)
        #expect(report.severity == .medium)
        #expect(
            report.findings.first?.kind == .bruteForce && report.findings.first?.entities.addresses == ["103.99.0.122"]
        )
    }
}
