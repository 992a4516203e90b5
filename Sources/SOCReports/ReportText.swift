public import SOCModel

/// Sentences every rendering of a report shares.
public enum ReportText {
    /// Who wrote the report and what it consulted: "deterministic analyst (offline); consulted the event store,
    /// cisa-kev", or "anthropic analyst (claude-…, 1200 tokens in / 80 out)"; a model that never answered is said so.
    public static func analyst(_ info: AnalystInfo) -> String {
        var text: String
        switch info.mode {
        case .offline:
            text = "deterministic analyst (offline)"
        case .anthropic, .openAICompatible:
            if (info.turns ?? 0) == 0 {
                text =
                    "deterministic analyst (the \(info.mode.rawValue) model" + (info.model.map { " \($0)" } ?? "")
                    + " did not answer)"
            } else {
                text =
                    "\(info.mode.rawValue) analyst" + (info.model.map { " (\($0)" } ?? " (")
                    + (info.inputTokens.map { ", \($0) tokens in / \(info.outputTokens ?? 0) out" } ?? "") + ")"
            }
        }
        if let consulted = info.consulted {
            text += consulted.isEmpty ? "; nothing answered" : "; consulted " + consulted.joined(separator: ", ")
        }
        return text
    }
}
