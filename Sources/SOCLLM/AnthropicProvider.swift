import Foundation
public import SOCHTTP
import SOCModel

/// Claude through the Anthropic Messages API (`POST /v1/messages`, non-streaming, client tools).
///
/// `x-api-key` and `anthropic-version: 2023-06-01` on every request; 408, 409, 429, 5xx and 529 (overloaded) are
/// retried with backoff honouring `retry-after`, except a 429 for a reached spend limit.
public struct AnthropicProvider: LLMProvider {
    public let kind = LLMProviderKind.anthropic
    public let model: String
    private let apiKey: String
    private let baseURL: String
    private let transport: any HTTPTransport
    private let maximumTokens: Int
    private let timeout: Duration

    /// The statuses worth retrying, as the official SDK retries them.
    public static let retryableStatuses: Set<Int> = [408, 409, 429, 500, 502, 503, 504, 529]

    /// The retry policy the official SDK follows: `x-should-retry` first, never a 429 for a reached spend limit,
    /// then ``retryableStatuses``, with `retry-after` honoured.
    public static func retryPolicy(maximumAttempts: Int = 4, baseDelay: Duration = .milliseconds(500)) -> RetryPolicy {
        var policy = RetryPolicy(
            maximumAttempts: maximumAttempts,
            baseDelay: baseDelay,
            retryableStatuses: retryableStatuses
        )
        policy.verdict = { response in
            if let header = response.header("x-should-retry")?.lowercased() { return header == "true" }
            if response.status == 429, response.text.contains("enforced_spend_limit_reached") { return false }
            return nil
        }
        return policy
    }

    /// - Parameters:
    ///   - baseURL: `https://api.anthropic.com` unless overridden (`ANTHROPIC_BASE_URL`).
    ///   - transport: Retrying transport (see ``retryableStatuses``).
    public init(
        apiKey: String,
        model: String,
        baseURL: String = "https://api.anthropic.com",
        transport: any HTTPTransport,
        maximumTokens: Int = 2048,
        timeout: Duration = .seconds(120)
    ) {
        self.apiKey = apiKey
        self.model = model
        self.baseURL = HTTPRequestSpec.baseURL(baseURL)
        self.transport = transport
        self.maximumTokens = maximumTokens
        self.timeout = timeout
    }

    public func complete(
        system: String,
        messages: [ChatMessage],
        tools: [ToolSpec],
        toolChoice: ToolChoice
    ) async throws -> ModelTurn {
        var body: [String: JSONValue] = [
            "model": .string(model), "max_tokens": .number(Double(maximumTokens)), "system": .string(system),
            "messages": .array(messages.map(Self.encode)),
        ]
        if !tools.isEmpty {
            body["tools"] = .array(
                tools.map {
                    .object([
                        "name": .string($0.name), "description": .string($0.description),
                        "input_schema": $0.inputSchema,
                    ])
                }
            )
            body["tool_choice"] = .object(["type": .string(toolChoice == .auto ? "auto" : "none")])
        }
        let request = HTTPRequestSpec(
            method: "POST",
            url: baseURL + "/v1/messages",
            headers: [
                ("x-api-key", apiKey), ("anthropic-version", "2023-06-01"), ("content-type", "application/json"),
            ],
            body: Array(try JSONEncoder().encode(JSONValue.object(body))),
            timeout: timeout
        )
        let response: HTTPResponseData
        do {
            response = try await transport.send(request)
        } catch {
            throw LLMError("Anthropic: \(error)")
        }
        guard response.status == 200 else {
            let error = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body))
            var detail = "HTTP \(response.status)"
            if case .object(let object)? = error, case .object(let inner)? = object["error"] {
                if case .string(let type)? = inner["type"] { detail += " \(type)" }
                if case .string(let message)? = inner["message"] { detail += ": \(message.prefix(300))" }
            }
            throw LLMError("Anthropic refused the request (\(detail))")
        }
        guard case .object(let message)? = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body)),
            case .array(let blocks)? = message["content"]
        else { throw LLMError("Anthropic: the answer is not a message") }
        var content: [ChatContent] = []
        for block in blocks {
            guard case .object(let fields) = block, case .string(let type)? = fields["type"] else { continue }
            switch type {
            case "text": if case .string(let text)? = fields["text"] { content.append(.text(text)) }
            case "tool_use":
                if case .string(let id)? = fields["id"], case .string(let name)? = fields["name"] {
                    content.append(.toolUse(id: id, name: name, input: fields["input"] ?? .object([:])))
                }
            default: break  // thinking, server tools: opaque here
            }
        }
        var stop = "end_turn"
        if case .string(let reason)? = message["stop_reason"] { stop = reason }
        var input = 0
        var output = 0
        if case .object(let usage)? = message["usage"] {
            if case .number(let value)? = usage["input_tokens"] { input = Int(value) }
            if case .number(let value)? = usage["output_tokens"] { output = Int(value) }
        }
        return ModelTurn(content: content, stopReason: stop, inputTokens: input, outputTokens: output)
    }

    /// A message in the API's shape: tool calls as `tool_use` blocks, results as `tool_result` blocks.
    static func encode(_ message: ChatMessage) -> JSONValue {
        let blocks: [JSONValue] = message.content.map { content in
            switch content {
            case .text(let text): .object(["type": .string("text"), "text": .string(text)])
            case .toolUse(let id, let name, let input):
                .object(["type": .string("tool_use"), "id": .string(id), "name": .string(name), "input": input])
            case .toolResult(let id, let text, let isError):
                .object([
                    "type": .string("tool_result"), "tool_use_id": .string(id), "content": .string(text),
                    "is_error": .bool(isError),
                ])
            }
        }
        return .object(["role": .string(message.role.rawValue), "content": .array(blocks)])
    }
}
