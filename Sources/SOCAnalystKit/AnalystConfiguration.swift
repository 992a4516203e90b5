import SOCHTTP
public import SOCLLM

/// Which model drives investigations, from the environment: `ANTHROPIC_API_KEY` (with `ANTHROPIC_MODEL`,
/// `ANTHROPIC_BASE_URL`), else `OPENAI_BASE_URL` (with `OPENAI_MODEL`, `OPENAI_API_KEY`) for a local model; none means
/// the deterministic analyst.
public enum AnalystConfiguration {
    /// The default Claude model.
    public static let defaultAnthropicModel = "claude-sonnet-4-5"

    /// The configured model, or `nil` for the deterministic analyst.
    public static func makeProvider(environment: AnalystEnvironment) -> (any LLMProvider)? {
        func value(_ name: String) -> String? { environment[name] }
        guard let key = value("ANTHROPIC_API_KEY") else {
            // A local model through an OpenAI-compatible server.
            guard let base = value("OPENAI_BASE_URL") else { return nil }
            let transport = RetryingTransport(
                AsyncHTTPTransport(),
                policy: RetryPolicy(maximumAttempts: 3, baseDelay: .milliseconds(500))
            )
            return OpenAICompatibleProvider(
                baseURL: base,
                model: value("OPENAI_MODEL") ?? "local",
                apiKey: value("OPENAI_API_KEY"),
                transport: transport
            )
        }
        let transport = RetryingTransport(AsyncHTTPTransport(), policy: AnthropicProvider.retryPolicy())
        return AnthropicProvider(
            apiKey: key,
            model: value("ANTHROPIC_MODEL") ?? defaultAnthropicModel,
            baseURL: value("ANTHROPIC_BASE_URL") ?? "https://api.anthropic.com",
            transport: transport
        )
    }
}
