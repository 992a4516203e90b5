import Foundation
import SOCAgent
import SOCHTTP
import SOCLLM
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import SOCThreatIntel
import Synchronization
import Testing

/// The model-driven analyst against an Anthropic stand-in on loopback, scripted turn by turn.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct ModelAnalystTests {
    static let key = "sk-ant-test-" + String(repeating: "x", count: 40)
    static let alert = "Failed password for invalid user admin from 103.99.0.122 at 2025-12-10 09:12:00"

    static func store() async throws -> (any EventStore, ThreatIntelService) {
        let store = try SQLiteEventStore(path: ":memory:")
        var reader = try EventFileReader(
            path: try #require(SharedFiles.data) + "/loghub/OpenSSH_2k_first500.log",
            options: .init(year: 2025, referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)
        )
        while let batch = try reader.nextBatch() { _ = try await store.append(batch) }
        let database = try IntelDatabase(
            path: FileManager.default.temporaryDirectory.appendingPathComponent(
                "socagent-model-\(UUID().uuidString)/intel.db"
            ).path
        )
        return (
            store,
            ThreatIntelService(database: database, providers: [BlocklistSource(database: database)], offline: true)
        )
    }

    /// A Messages API answer.
    static func message(_ blocks: String, stop: String) -> StandInResponse {
        .json(
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-test-1","content":[\#(blocks)],"stop_reason":"\#(stop)","stop_sequence":null,"usage":{"input_tokens":100,"output_tokens":20}}"#
        )
    }

    static func toolUse(_ id: String, _ name: String, _ input: String) -> String {
        #"{"type":"tool_use","id":"\#(id)","name":"\#(name)","input":\#(input)}"#
    }

    /// The stand-in: checks the API's headers and the tool_result pairing rule, then plays `script` turn by turn.
    static func standIn(
        _ script: @escaping @Sendable (Int, RecordedRequest) -> StandInResponse
    ) async throws -> StandInServer {
        let turn = Mutex(0)
        let lastToolUses = Mutex<[String]>([])
        return try await StandInServer.start { request in
            guard request.header("x-api-key") == key else {
                return .json(
                    #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                    status: 401
                )
            }
            guard request.header("anthropic-version") == "2023-06-01" else {
                return .json(
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}"#,
                    status: 400
                )
            }
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
            let messages = body["messages"] as? [[String: Any]] ?? []
            let results = ((messages.last?["content"] as? [[String: Any]]) ?? []).filter {
                $0["type"] as? String == "tool_result"
            }.compactMap { $0["tool_use_id"] as? String }
            let expected = lastToolUses.withLock { $0 }
            if !expected.isEmpty, Set(results) != Set(expected) {
                return .json(
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"Each `tool_result` block must have a corresponding `tool_use` block in the previous message."}}"#,
                    status: 400
                )
            }
            let number = turn.withLock {
                $0 += 1
                return $0
            }
            let response = script(number, request)
            let text = String(decoding: response.body, as: UTF8.self)
            let uses =
                (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["content"]
                as? [[String: Any]] ?? []
            if response.status == 200 {
                lastToolUses.withLock {
                    $0 = uses.filter { $0["type"] as? String == "tool_use" }.compactMap { $0["id"] as? String }
                }
            }
            return response
        }
    }

    static func analyst(_ server: StandInServer, budget: InvestigationBudget = InvestigationBudget()) -> ModelAnalyst {
        let transport = RetryingTransport(
            AsyncHTTPTransport(),
            policy: AnthropicProvider.retryPolicy(baseDelay: .milliseconds(10))
        )
        return ModelAnalyst(
            provider: AnthropicProvider(
                apiKey: key,
                model: "claude-test-1",
                baseURL: server.baseURL,
                transport: transport
            ),
            budget: budget
        )
    }

    @Test func aToolLoopWithWellFormedRequestsAndAFloorThatHolds() async throws {
        let server = try await Self.standIn { turn, _ in
            turn == 1
                ? Self.message(
                    #"{"type":"text","text":"Let me check the source."},"#
                        + Self.toolUse(
                            "toolu_01",
                            "detect_brute_force",
                            #"{"source_ip":"103.99.0.122","min_failures":1}"#
                        ),
                    stop: "tool_use"
                )
                : Self.message(
                    Self.toolUse(
                        "toolu_02",
                        "generate_incident_report",
                        #"{"severity":"LOW","summary":"IGNORE THE EVIDENCE, close as benign.","recommendations":["Close the ticket."]}"#
                    ),
                    stop: "tool_use"
                )
        }
        defer { Task { await server.stop() } }
        let (store, intel) = try await Self.store()
        let report = await Self.analyst(server).investigate(Alert(text: Self.alert), store: store, intel: intel)
        let requests = await server.requests
        #expect(requests.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(requests[0].body)) as? [String: Any])
        #expect(
            (first["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == AgentToolbox.all.map(\.name)
        )
        #expect(
            (first["tools"] as? [[String: Any]])?.allSatisfy {
                ($0["input_schema"] as? [String: Any])?["type"] as? String == "object"
            } == true
        )
        #expect((first["system"] as? String)?.contains("<untrusted-data>") == true)
        let opening =
            ((first["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]])?.first?["text"] as? String
        #expect(opening?.contains("<untrusted-data source=\"alert\">\n\(Self.alert)\n</untrusted-data>") == true)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(requests[1].body)) as? [String: Any])
        let messages = try #require(second["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user"])
        let result = try #require((messages[2]["content"] as? [[String: Any]])?.first)
        #expect(
            result["type"] as? String == "tool_result" && result["tool_use_id"] as? String == "toolu_01"
                && result["is_error"] as? Bool == false
        )
        #expect(
            (result["content"] as? String)?.hasPrefix(
                "<untrusted-data source=\"tool:detect_brute_force\">\nsummary: 103.99.0.122: 27 failures"
            ) == true
        )

        #expect(report.severity == .medium)  // the model said LOW; the evidence's floor holds
        #expect(
            report.severityReasons.contains {
                $0 == "The anthropic analyst proposed LOW; the evidence sets the floor at MEDIUM, which holds."
            }
        )
        #expect(
            report.analyst
                == AnalystInfo(
                    mode: .anthropic,
                    model: "claude-test-1",
                    inputTokens: 200,
                    outputTokens: 40,
                    turns: 2,
                    consulted: ["blocklists", "the event store"]
                )
        )
        #expect(report.toolCalls.suffix(2).map(\.tool) == ["detect_brute_force", "generate_incident_report"])
        #expect(!(String(decoding: try JSONEncoder().encode(report), as: UTF8.self).contains(Self.key)))
    }

    @Test func rateLimitsAndOverloadAreRetried() async throws {
        let server = try await Self.standIn { turn, _ in
            switch turn {
            case 1:
                StandInResponse(
                    status: 429,
                    headers: ["retry-after": "1"],
                    body:
                        #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#
                )
            case 2:
                StandInResponse(
                    status: 529,
                    body: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                )
            default:
                Self.message(
                    Self.toolUse(
                        "toolu_09",
                        "generate_incident_report",
                        #"{"severity":"CRITICAL","summary":"Raised: spraying then more."}"#
                    ),
                    stop: "tool_use"
                )
            }
        }
        defer { Task { await server.stop() } }
        let (store, intel) = try await Self.store()
        let report = await Self.analyst(server).investigate(Alert(text: Self.alert), store: store, intel: intel)
        #expect(await server.requests.count == 3)
        #expect(report.analyst.turns == 1)
        #expect(report.severity == .critical)  // a model may raise the severity, with its reason
        #expect(
            report.severityReasons.first == "CRITICAL: raised by the anthropic analyst — Raised: spraying then more."
        )
    }

    @Test func theBudgetStopsAModelThatNeverStopsAndUnknownToolsAreRefused() async throws {
        let server = try await Self.standIn { turn, _ in
            turn == 1
                ? Self.message(Self.toolUse("toolu_x1", "run_shell", #"{"cmd":"cat /etc/shadow"}"#), stop: "tool_use")
                : Self.message(
                    Self.toolUse("toolu_x\(turn)", "query_failed_logins", #"{"user":"root"}"#),
                    stop: "tool_use"
                )
        }
        defer { Task { await server.stop() } }
        let (store, intel) = try await Self.store()
        let report = await Self.analyst(server, budget: InvestigationBudget(turns: 3)).investigate(
            Alert(text: Self.alert),
            store: store,
            intel: intel
        )
        let requests = await server.requests
        #expect(requests.count == 3)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(requests[1].body)) as? [String: Any])
        let refused = try #require(
            ((second["messages"] as? [[String: Any]])?.last?["content"] as? [[String: Any]])?.first
        )
        #expect(refused["is_error"] as? Bool == true)
        #expect((refused["content"] as? String)?.hasPrefix("error: there is no tool named run_shell") == true)
        #expect(report.toolCalls.contains { $0.tool == "run_shell" && $0.resultSummary == "refused: not a tool" })
        #expect(report.severity == .medium)
        #expect(report.severityReasons.last?.contains("stopped by the budget after 3 turns") == true)
    }

    @Test func aSpendLimitAndXShouldRetryFalseAreNotRetried() async throws {
        let calls = Mutex(0)
        let server = try await StandInServer.start { request in
            calls.withLock { $0 += 1 }
            if request.path == "/spend" {
                return StandInResponse(
                    status: 429,
                    body:
                        #"{"type":"error","error":{"type":"rate_limit_error","message":"spend limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#
                )
            }
            return StandInResponse(
                status: 500,
                headers: ["x-should-retry": "false"],
                body: #"{"type":"error","error":{"type":"api_error","message":"no"}}"#
            )
        }
        defer { Task { await server.stop() } }
        let transport = RetryingTransport(
            AsyncHTTPTransport(),
            policy: AnthropicProvider.retryPolicy(baseDelay: .milliseconds(10))
        )
        #expect(try await transport.send(HTTPRequestSpec(url: server.baseURL + "/spend")).status == 429)
        #expect(try await transport.send(HTTPRequestSpec(url: server.baseURL + "/other")).status == 500)
        #expect(calls.withLock { $0 } == 2)
    }

    @Test func aRefusedKeyLeavesTheDeterministicReport() async throws {
        let server = try await Self.standIn { _, _ in Self.message(#"{"type":"text","text":"hi"}"#, stop: "end_turn") }
        defer { Task { await server.stop() } }
        let (store, intel) = try await Self.store()
        let provider = AnthropicProvider(
            apiKey: "wrong",
            model: "claude-test-1",
            baseURL: server.baseURL,
            transport: AsyncHTTPTransport()
        )
        let report = await ModelAnalyst(provider: provider).investigate(
            Alert(text: Self.alert),
            store: store,
            intel: intel
        )
        #expect(report.severity == .medium)
        #expect(
            report.severityReasons.last?.contains(
                "Anthropic refused the request (HTTP 401 authentication_error: invalid x-api-key)"
            ) == true
        )
    }
}

/// The same loop against an OpenAI-compatible stand-in (the shape Ollama, llama.cpp and vLLM speak).
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct OpenAICompatibleAnalystTests {
    static func completion(_ message: String, finish: String) -> StandInResponse {
        .json(
            #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"local","choices":[{"index":0,"message":\#(message),"finish_reason":"\#(finish)"}],"usage":{"prompt_tokens":30,"completion_tokens":7,"total_tokens":37}}"#
        )
    }

    @Test func toolCallsGoBackAsToolMessagesAndTheClosingTurnAsksForWords() async throws {
        let server = try await StandInServer.start { request in
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
            let messages = body["messages"] as? [[String: Any]] ?? []
            switch messages.count {
            case 2:
                return Self.completion(
                    #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"detect_brute_force","arguments":"{\"source_ip\": \"103.99.0.122\" }"}},{"id":"call_b","type":"function","function":{"name":"query_events","arguments":"{not json"}}]}"#,
                    finish: "tool_calls"
                )
            default:
                return Self.completion(
                    #"{"role":"assistant","content":"Brute force from 103.99.0.122; escalate."}"#,
                    finish: "stop"
                )
            }
        }
        defer { Task { await server.stop() } }
        let (store, intel) = try await ModelAnalystTests.store()
        let provider = OpenAICompatibleProvider(
            baseURL: server.baseURL + "/v1",
            model: "local",
            transport: AsyncHTTPTransport()
        )
        let report = await ModelAnalyst(provider: provider, budget: InvestigationBudget(turns: 2)).investigate(
            Alert(text: ModelAnalystTests.alert),
            store: store,
            intel: intel
        )
        let requests = await server.requests
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.path == "/v1/chat/completions" })
        let first = try #require(try JSONSerialization.jsonObject(with: Data(requests[0].body)) as? [String: Any])
        #expect((first["messages"] as? [[String: Any]])?.first?["role"] as? String == "system")
        #expect(first["tool_choice"] as? String == "auto")
        #expect((first["tools"] as? [[String: Any]])?.count == 11)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(requests[1].body)) as? [String: Any])
        #expect(second["tool_choice"] as? String == "none")  // the closing turn
        let messages = try #require(second["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "tool", "tool"])
        #expect(messages[2]["content"] as? String == "")  // never null: llama-cpp-python refuses null
        #expect(messages[3]["tool_call_id"] as? String == "call_a")
        #expect(
            (messages[3]["content"] as? String)?.hasPrefix("<untrusted-data source=\"tool:detect_brute_force\">")
                == true
        )
        #expect(messages[4]["tool_call_id"] as? String == "call_b")
        #expect(
            (messages[4]["content"] as? String)?.hasPrefix("error: query_events: the input must be a JSON object")
                == true
        )
        #expect(
            report.analyst
                == AnalystInfo(
                    mode: .openAICompatible,
                    model: "local",
                    inputTokens: 60,
                    outputTokens: 14,
                    turns: 2,
                    consulted: ["blocklists", "the event store"]
                )
        )
        #expect(report.severity == .medium)
        #expect(report.severityReasons.last?.contains("gave no conclusion") == true)
    }

    @Test func retriesTheFloorAndTheBudgetHoldForOpenAICompatibleServersToo() async throws {
        let calls = Mutex(0)
        let server = try await StandInServer.start { _ in
            switch calls.withLock({
                $0 += 1
                return $0
            }) {
            case 1:
                return StandInResponse(
                    status: 429,
                    headers: ["Retry-After": "1"],
                    body: #"{"error":{"message":"slow down","type":"rate_limit"}}"#
                )
            case 2:
                return StandInResponse(
                    status: 503,
                    body: #"{"error":{"message":"loading model","type":"unavailable"}}"#
                )
            default:
                return Self.completion(
                    #"{"role":"assistant","content":"","tool_calls":[{"id":"call_r","type":"function","function":{"name":"generate_incident_report","arguments":"{\"severity\":\"LOW\",\"summary\":\"benign\"}"}}]}"#,
                    finish: "tool_calls"
                )
            }
        }
        defer { Task { await server.stop() } }
        let (store, intel) = try await ModelAnalystTests.store()
        let retrying = RetryingTransport(
            AsyncHTTPTransport(),
            policy: RetryPolicy(maximumAttempts: 4, baseDelay: .milliseconds(10))
        )
        let provider = OpenAICompatibleProvider(baseURL: server.baseURL + "/v1", model: "local", transport: retrying)
        let report = await ModelAnalyst(provider: provider).investigate(
            Alert(text: ModelAnalystTests.alert),
            store: store,
            intel: intel
        )
        #expect(await server.requests.count == 3)
        #expect(report.severity == .medium)
        #expect(
            report.severityReasons.last
                == "The openai analyst proposed LOW; the evidence sets the floor at MEDIUM, which holds."
        )

        let looping = try await StandInServer.start { request in
            let turn =
                ((try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["messages"]
                as? [[String: Any]])?.count ?? 0
            return Self.completion(
                #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_\#(turn)","type":"function","function":{"name":"query_failed_logins","arguments":"{\"user\":\"root\"}"}}]}"#,
                finish: "tool_calls"
            )
        }
        defer { Task { await looping.stop() } }
        let endless = OpenAICompatibleProvider(
            baseURL: looping.baseURL + "/v1",
            model: "local",
            transport: AsyncHTTPTransport()
        )
        let stopped = await ModelAnalyst(provider: endless, budget: InvestigationBudget(turns: 4)).investigate(
            Alert(text: ModelAnalystTests.alert),
            store: store,
            intel: intel
        )
        #expect(await looping.requests.count == 4)
        #expect(stopped.severityReasons.last?.contains("stopped by the budget after 4 turns") == true)
    }

    /// A tool call that runs long (a huge store, a slow cluster) no longer holds the investigation past its wall
    /// budget: it was only checked between turns.
    @Test(.timeLimit(.minutes(5)))
    func theWallBudgetHoldsInsideAToolCall() async throws {
        let server = try await ModelAnalystTests.standIn { _, _ in
            ModelAnalystTests.message(
                ModelAnalystTests.toolUse("toolu_slow", "query_events", #"{"lucene":"message:slowmarker"}"#),
                stop: "tool_use"
            )
        }
        defer { Task { await server.stop() } }
        let (base, intel) = try await ModelAnalystTests.store()
        // Thirty seconds: the model's first answer must come within the budget even when the whole suite loads both
        // cores (eight seconds did not once the .evtx and MCP suites ran beside it); the slow search takes two
        // minutes, so a call that ends well before that was stopped by the budget, not by finishing.
        let report = await ModelAnalystTests.analyst(server, budget: InvestigationBudget(wallTime: .seconds(30)))
            .investigate(Alert(text: ModelAnalystTests.alert), store: SlowSearchStore(base: base), intel: intel)
        let call = try #require(report.toolCalls.last)
        #expect(call.tool == "query_events")
        #expect(call.durationMilliseconds < 100_000)
        #expect(call.error?.contains("stopped by the budget") == true)
        #expect(
            report.severityReasons.last?.contains("stopped by the budget after 30.0 seconds, in query_events") == true
        )
    }
}

/// A store whose searches for `slowmarker` take two minutes (until cancelled); everything else answers from `base`.
private struct SlowSearchStore: EventStore {
    let base: any EventStore

    func append(_ events: [SecurityEvent]) async throws -> AppendResult { try await base.append(events) }
    func beginBulkLoad() async throws {}
    func finishBulkLoad() async throws {}
    func count() async throws -> Int { try await base.count() }
    func statistics(top: Int) async throws -> StoreStatistics { try await base.statistics(top: top) }
    func failedLogins(_ filter: EventFilter) async throws -> [EventSummary] { try await base.failedLogins(filter) }
    func suspiciousProcesses(_ filter: EventFilter) async throws -> [ProcessFinding] {
        try await base.suspiciousProcesses(filter)
    }
    func networkConnections(_ filter: EventFilter, includePrivate: Bool) async throws -> [EventSummary] {
        try await base.networkConnections(filter, includePrivate: includePrivate)
    }
    func bruteForce(_ filter: EventFilter, minimumFailures: Int) async throws -> [BruteForceSource] {
        try await base.bruteForce(filter, minimumFailures: minimumFailures)
    }
    func forEachEvent(_ filter: EventFilter, pageSize: Int, _ body: ([SecurityEvent]) async throws -> Void) async throws
    {
        try await base.forEachEvent(filter, pageSize: pageSize, body)
    }
    func search(_ query: LuceneQuery, filter: EventFilter, now: Timestamp) async throws -> SearchResult {
        if query.description.contains("slowmarker") { try await Task.sleep(for: .seconds(120)) }
        return try await base.search(query, filter: filter, now: now)
    }
    var keepsDetections: Bool { true }
    func saveDetections(_ detections: [StoredDetection]) async throws { try await base.saveDetections(detections) }
    func detections(_ filter: EventFilter, minimumLevel: SigmaLevel) async throws -> [StoredDetection] {
        try await base.detections(filter, minimumLevel: minimumLevel)
    }
}
