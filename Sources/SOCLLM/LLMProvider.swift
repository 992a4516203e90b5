public import SOCModel

/// One piece of a chat message, in the provider-neutral form the agent loop uses.
public enum ChatContent: Sendable, Equatable {
    case text(String)
    /// The model asks for a tool.
    case toolUse(id: String, name: String, input: JSONValue)
    /// A tool's answer to the call `id`.
    case toolResult(id: String, content: String, isError: Bool)
}

/// A message of the conversation.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case user, assistant }
    public var role: Role
    public var content: [ChatContent]

    public init(role: Role, content: [ChatContent]) {
        self.role = role
        self.content = content
    }
}

/// A tool as offered to a model.
public struct ToolSpec: Sendable {
    public var name: String
    public var description: String
    public var inputSchema: JSONValue

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// Whether the model may, must or must not call tools in this turn.
public enum ToolChoice: Sendable { case auto, none }

/// What the model answered.
public struct ModelTurn: Sendable {
    public var content: [ChatContent]
    /// `end_turn`, `tool_use`, `max_tokens`, … (the provider's words, normalized to Anthropic's).
    public var stopReason: String
    public var inputTokens: Int
    public var outputTokens: Int

    public init(content: [ChatContent], stopReason: String, inputTokens: Int, outputTokens: Int) {
        self.content = content
        self.stopReason = stopReason
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// The tool calls in the turn, in order.
    public var toolUses: [(id: String, name: String, input: JSONValue)] {
        content.compactMap { if case .toolUse(let id, let name, let input) = $0 { (id, name, input) } else { nil } }
    }
}

/// Why a model call failed. Descriptions never contain a credential.
public struct LLMError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A chat model with tool use: Claude through the Anthropic Messages API, or a local model through an
/// OpenAI-compatible server.
public protocol LLMProvider: Sendable {
    /// Which kind of service this is: what a report's `analyst.mode` says and what budget suits it.
    var kind: LLMProviderKind { get }
    /// The model's name.
    var model: String { get }
    /// One turn: the system prompt, the conversation so far and the tools on offer.
    func complete(
        system: String,
        messages: [ChatMessage],
        tools: [ToolSpec],
        toolChoice: ToolChoice
    ) async throws -> ModelTurn
}

/// The kinds of model service socagent talks to.
public enum LLMProviderKind: String, Sendable, CaseIterable {
    /// Claude through the Anthropic Messages API.
    case anthropic
    /// A model behind an OpenAI-compatible chat-completions server (usually a local one).
    case openAICompatible = "openai"

    /// How a report names the analyst that used this kind of model.
    public var analystMode: AnalystMode {
        switch self {
        case .anthropic: .anthropic
        case .openAICompatible: .openAICompatible
        }
    }
}
