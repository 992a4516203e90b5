import Foundation
import SOCAgent
import SOCHTTP
import SOCLLM
import SOCModel
import SOCReports
import SOCTestSupport
import Testing

/// An investigation through a real local model: SmolLM2-135M-Instruct behind llama-cpp-python's OpenAI-compatible
/// server, which `.ci/run` builds and starts (`SOCAGENT_LLM_URL`). Asserts on the plumbing, never on the model's words.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["SOCAGENT_LLM_URL"] != nil && SharedFiles.data != nil,
        "needs SOCAGENT_LLM_URL (a local model server, started by .ci/run) and ../shared/data"
    )
)
struct LocalModelTests {
    @Test func anInvestigationRunsThroughARealLocalModel() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["SOCAGENT_LLM_URL"])
        let (store, intel) = try await ModelAnalystTests.store()
        let alert = Alert(text: ModelAnalystTests.alert)
        let playbookCalls = await DeterministicAnalyst().investigate(alert, store: store, intel: intel).toolCalls.count
        let provider = OpenAICompatibleProvider(
            baseURL: url,
            model: "smollm2-135m",
            transport: AsyncHTTPTransport(),
            maximumTokens: 256
        )
        let report = await ModelAnalyst(provider: provider, budget: InvestigationBudget(turns: 2, resultBytes: 1500))
            .investigate(alert, store: store, intel: intel)
        #expect(report.analyst.mode == .openAICompatible)
        #expect(report.analyst.model == "smollm2-135m")
        #expect((report.analyst.inputTokens ?? 0) > 0)
        // The model asked for a tool; the call was parsed and run (or refused with an error), and its result went back
        // in the next turn.
        let modelCalls = report.toolCalls.dropFirst(playbookCalls)
        #expect(!modelCalls.isEmpty, "\(report.severityReasons)")
        #expect((report.analyst.turns ?? 0) >= 2, "\(report.severityReasons)")
        #expect(report.severity >= .medium)  // the evidence's floor, whatever the model said
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-local-model-\(UUID().uuidString)"
        ).path
        let written = try ReportStore(directory: directory).write(report)
        #expect(FileManager.default.fileExists(atPath: written.path))
    }
}
