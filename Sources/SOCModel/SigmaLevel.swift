/// A Sigma rule's level, from least to most severe, with what SigmaHQ says each one means.
///
/// ```swift
/// SigmaLevel(lenient: "High") == .high      // levels are read case-insensitively
/// SigmaLevel.high > .medium                 // and compare by severity
/// ```
public enum SigmaLevel: String, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// "Rule is intended for enrichment of events, e.g. by tagging them."
    case informational
    /// "Notable event but rarely an incident."
    case low
    /// "Relevant event that should be reviewed manually on a more frequent basis."
    case medium
    /// "Relevant event that should trigger an internal alert and requires a prompt review."
    case high
    /// "Highly relevant event that indicates an incident."
    case critical

    /// Reads a level as rules and stores write it; an unknown or missing level is ``medium`` (Sigma's default).
    /// - Parameter text: The level's name, in any case.
    public init(lenient text: String?) {
        self = text.flatMap { SigmaLevel(rawValue: $0.lowercased()) } ?? .medium
    }

    /// The levels at or above this one, least severe first.
    public var andAbove: [SigmaLevel] { Self.allCases.filter { $0 >= self } }

    /// The level's name (`high`).
    public var description: String { rawValue }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// Orders levels by severity.
    public static func < (lhs: SigmaLevel, rhs: SigmaLevel) -> Bool { lhs.rank < rhs.rank }
}
