import Foundation
public import SOCHTTP
import SOCModel

/// A local (or hosted) model through an OpenAI-compatible `POST /v1/chat/completions` with tools: Ollama,
/// llama.cpp's server, llama-cpp-python, vLLM.
///
/// Written for what local servers accept: a system message always (some only show tools when there is one), an
/// assistant tool-call message with `"content": ""` (never `null`, which llama-cpp-python refuses), `tool_choice`
/// only `"auto"` or `"none"` (never `"required"`), no streaming; tool-call arguments arrive as a JSON string that a
/// small model may get wrong, which the tool then rejects as invalid input.
public struct OpenAICompatibleProvider: LLMProvider {
    public let kind = LLMProviderKind.openAICompatible
    public let model: String
    private let apiKey: String?
    private let baseURL: String
    private let transport: any HTTPTransport
    private let maximumTokens: Int
    private let timeout: Duration

    /// - Parameter baseURL: The API root including `/v1` (`http://127.0.0.1:8080/v1`), from `OPENAI_BASE_URL`.
    public init(
        baseURL: String,
        model: String,
        apiKey: String? = nil,
        transport: any HTTPTransport,
        maximumTokens: Int = 512,
        timeout: Duration = .seconds(300)
    ) {
        self.baseURL = HTTPRequestSpec.baseURL(baseURL)
        self.model = model
        self.apiKey = apiKey
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
        var encoded: [JSONValue] = [.object(["role": .string("system"), "content": .string(system)])]
        for message in messages { encoded += Self.encode(message) }
        var body: [String: JSONValue] = [
            "model": .string(model), "messages": .array(encoded), "temperature": .number(0),
            "max_tokens": .number(Double(maximumTokens)), "stream": .bool(false),
        ]
        if !tools.isEmpty {
            body["tools"] = .array(
                tools.map {
                    .object([
                        "type": .string("function"),
                        "function": .object([
                            "name": .string($0.name), "description": .string($0.description),
                            "parameters": $0.inputSchema,
                        ]),
                    ])
                }
            )
            body["tool_choice"] = .string(toolChoice == .auto ? "auto" : "none")
        }
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey)) }
        let request = HTTPRequestSpec(
            method: "POST",
            url: baseURL + "/chat/completions",
            headers: headers,
            body: Array(try JSONEncoder().encode(JSONValue.object(body))),
            timeout: timeout
        )
        let response: HTTPResponseData
        do {
            response = try await transport.send(request)
        } catch {
            throw LLMError("the model server: \(error)")
        }
        guard response.status == 200 else {
            var detail = "HTTP \(response.status)"
            if case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body)),
                case .object(let error)? = object["error"], case .string(let message)? = error["message"]
            {
                detail += ": \(message.prefix(300))"
            }
            throw LLMError("the model server refused the request (\(detail))")
        }
        guard case .object(let answer)? = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body)),
            case .array(let choices)? = answer["choices"], case .object(let choice)? = choices.first,
            case .object(let message)? = choice["message"]
        else { throw LLMError("the model server's answer is not a chat completion") }
        var content: [ChatContent] = []
        if case .string(let text)? = message["content"], !text.isEmpty { content.append(.text(text)) }
        if case .array(let calls)? = message["tool_calls"] {
            for (index, call) in calls.enumerated() {
                guard case .object(let fields) = call, case .object(let function)? = fields["function"],
                    case .string(let name)? = function["name"]
                else { continue }
                var id = "call_\(index)"
                if case .string(let given)? = fields["id"], !given.isEmpty { id = given }
                var input: JSONValue = .object([:])
                if case .string(let arguments)? = function["arguments"] {
                    input =
                        (try? JSONDecoder().decode(JSONValue.self, from: Data(arguments.utf8))) ?? .string(arguments)
                } else if let arguments = function["arguments"] {
                    input = arguments
                }
                content.append(.toolUse(id: id, name: name, input: input))
            }
        }
        var stop = "end_turn"
        if case .string(let reason)? = choice["finish_reason"] {
            stop = reason == "tool_calls" ? "tool_use" : reason == "length" ? "max_tokens" : "end_turn"
        }
        var input = 0
        var output = 0
        if case .object(let usage)? = answer["usage"] {
            if case .number(let value)? = usage["prompt_tokens"] { input = Int(value) }
            if case .number(let value)? = usage["completion_tokens"] { output = Int(value) }
        }
        return ModelTurn(content: content, stopReason: stop, inputTokens: input, outputTokens: output)
    }

    /// A conversation message as chat-completions messages: tool results become one `tool` message each.
    static func encode(_ message: ChatMessage) -> [JSONValue] {
        switch message.role {
        case .user:
            var output: [JSONValue] = []
            var text: [String] = []
            for content in message.content {
                switch content {
                case .text(let value): text.append(value)
                case .toolResult(let id, let result, _):
                    output.append(
                        .object(["role": .string("tool"), "tool_call_id": .string(id), "content": .string(result)])
                    )
                case .toolUse: break
                }
            }
            if !text.isEmpty {
                output.append(.object(["role": .string("user"), "content": .string(text.joined(separator: "\n"))]))
            }
            return output
        case .assistant:
            var text = ""
            var calls: [JSONValue] = []
            for content in message.content {
                switch content {
                case .text(let value): text += value
                case .toolUse(let id, let name, let input):
                    let arguments =
                        (try? JSONEncoder().encode(input)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                    calls.append(
                        .object([
                            "id": .string(id), "type": .string("function"),
                            "function": .object(["name": .string(name), "arguments": .string(arguments)]),
                        ])
                    )
                case .toolResult: break
                }
            }
            var object: [String: JSONValue] = ["role": .string("assistant"), "content": .string(text)]
            if !calls.isEmpty { object["tool_calls"] = .array(calls) }
            return [.object(object)]
        }
    }
}
