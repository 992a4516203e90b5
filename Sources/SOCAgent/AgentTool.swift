import Foundation
public import SOCModel
public import SOCStore
public import SOCThreatIntel

/// A read-only investigation tool: a name, a description and a JSON schema for the model, typed validation of its
/// input, and a result bounded in size with a one-line summary.
///
/// The deterministic analyst and the model-driven loop call the same tools, through ``AgentToolbox``.
public protocol AgentTool: Sendable {
    /// The tool's name as the model calls it (`detect_brute_force`).
    var name: String { get }
    /// What it does and when to use it, for the model.
    var description: String { get }
    /// The JSON Schema of its input (an object schema).
    var inputSchema: JSONValue { get }
    /// Runs the tool. Input is validated first; a bad input throws ``ToolInputError``.
    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult
}

extension AgentTool {
    /// Runs the tool and the record reports keep of it: the input, the one-line summary (or the error), how long it
    /// took. The deterministic playbook and the model loop both call tools this way.
    func runRecorded(
        _ input: JSONValue,
        context: ToolContext
    ) async -> (result: Result<ToolResult, any Error>, record: ToolCallRecord) {
        let started = ContinuousClock.now
        let result: Result<ToolResult, any Error>
        do {
            result = .success(try await run(input, context: context))
        } catch {
            result = .failure(error)
        }
        let milliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
        switch result {
        case .success(let answer):
            return (
                result,
                ToolCallRecord(
                    tool: name,
                    input: input,
                    resultSummary: answer.summary,
                    durationMilliseconds: milliseconds
                )
            )
        case .failure(let error):
            let record = ToolCallRecord(
                tool: name,
                input: input,
                resultSummary: "error: \(error)",
                durationMilliseconds: milliseconds,
                error: "\(error)"
            )
            return (result, record)
        }
    }
}

/// What every tool may use: the event store, threat intelligence, and the investigation's time anchor.
public struct ToolContext: Sendable {
    /// The event store (SQLite or a cluster).
    public var store: any EventStore
    /// Threat intelligence (offline or online, as configured).
    public var intel: ThreatIntelService
    /// The instant the investigation is about (the alert's own time, else now): windows are centred on it.
    public var anchor: Timestamp
    /// The default half-width of windows, in hours (24).
    public var defaultHours: Double
    /// Folders `parse_log_file` may read; nothing outside them.
    public var readableRoots: [String]
    /// The window of a tool given no `hours`, when there is no alert to centre on (an MCP client's `since`/`until`,
    /// or the whole store); `nil` centres it on ``anchor``.
    public var span: TimeRange?

    public init(
        store: any EventStore,
        intel: ThreatIntelService,
        anchor: Timestamp,
        defaultHours: Double = 24,
        readableRoots: [String] = [],
        span: TimeRange? = nil
    ) {
        self.store = store
        self.intel = intel
        self.anchor = anchor
        self.defaultHours = defaultHours
        self.readableRoots = readableRoots
        self.span = span
    }

    /// ``span`` when set and no `hours` are given, else `hours` either side of the anchor. An end beyond
    /// ``Timestamp/supportedRange`` (hours too large, or not a number) is left open rather than trapping; the tools
    /// validate the hours the model gives.
    public func window(hours: Double?) -> TimeRange {
        if hours == nil, let span { return span }
        let hours = hours ?? defaultHours
        return TimeRange(
            start: anchor.adding(hours: -hours),
            end: anchor.adding(hours: hours).flatMap { $0.adding(microseconds: 1) }
        )
    }
}

/// A tool's answer: a one-line summary (what reports and the model's context keep) and the typed output.
///
/// The deterministic analyst reads ``output`` as it is; JSON (``data``) is made only for a model.
public struct ToolResult: Sendable {
    public var summary: String
    /// What the tool found, typed.
    public var output: ToolOutput
    /// Whether the tool found something worth a finding (a malicious verdict, a brute-force source, a flagged process).
    public var notable: Bool

    public init(summary: String, output: ToolOutput, notable: Bool = false) {
        self.summary = summary
        self.output = output
        self.notable = notable
    }

    /// The output as JSON, for a model.
    public var data: JSONValue { output.json }
}

/// What each tool returns.
public enum ToolOutput: Sendable {
    /// `check_ip_reputation`, `lookup_cve`, `check_file_hash`: the intelligence verdict.
    case intelligence(IntelReport)
    /// `query_failed_logins`: the failed logins, newest first.
    case failedLogins([EventSummary])
    /// `query_suspicious_processes`: the flagged processes, newest first.
    case processes([ProcessFinding])
    /// `query_network_connections`: the connections, newest first.
    case connections([EventSummary])
    /// `detect_brute_force`: the sources, most failures first.
    case bruteForce([BruteForceSource])
    /// `query_events`: the exact total and the newest matching events.
    case events(total: Int, events: [EventSummary])
    /// `query_sigma_detections`: the detections, newest first (`nil` when the store keeps none).
    case detections([StoredDetection]?)
    /// `parse_log_file`: what the file holds.
    case logFile(LogFileSummary)
    /// `generate_incident_report`: the model's conclusion.
    case reportProposal(ReportProposal)

    /// The output as JSON, the shape a model reads.
    public var json: JSONValue {
        switch self {
        case .intelligence(let report): .encoding(report)
        case .failedLogins(let events), .connections(let events): .encoding(events)
        case .processes(let processes): .encoding(processes)
        case .bruteForce(let sources): .encoding(sources)
        case .events(let total, let events): .object(["total": .number(Double(total)), "events": .encoding(events)])
        case .detections(let detections): .encoding(detections ?? [])
        case .logFile(let summary): .encoding(summary)
        case .reportProposal(let proposal): .encoding(proposal)
        }
    }
}

/// What `parse_log_file` found in a file.
public struct LogFileSummary: Sendable, Encodable {
    /// The format read.
    public var format: String
    /// Events read (at most ``ParseLogFileTool/maximumEvents``).
    public var events: Int
    /// Records that could not be parsed.
    public var rejected: Int
    /// The first errors, `line N: reason`.
    public var errors: [String]
    /// Indicators in the events read (at most 50 of each kind).
    public var indicators: IndicatorSet
}

/// A model's conclusion, handed in with `generate_incident_report`.
public struct ReportProposal: Sendable, Encodable, Equatable {
    /// The severity it proposes (the floor may hold it higher).
    public var severity: Severity
    /// Its summary.
    public var summary: String
    /// Its recommendations.
    public var recommendations: [String]
}

/// A tool input that does not fit the tool's schema.
public struct ToolInputError: Error, Sendable, CustomStringConvertible {
    public var tool: String
    public var reason: String
    public var description: String { "\(tool): \(reason)" }

    public init(tool: String, reason: String) {
        self.tool = tool
        self.reason = reason
    }
}

/// Reads and checks a tool's input object.
struct ToolInput {
    let tool: String
    let object: [String: JSONValue]

    init(_ input: JSONValue, tool: String, allowed: Set<String>) throws {
        self.tool = tool
        switch input {
        case .object(let object): self.object = object
        case .null: self.object = [:]
        default: throw ToolInputError(tool: tool, reason: "the input must be a JSON object")
        }
        if let unknown = object.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw ToolInputError(tool: tool, reason: "unknown field '\(unknown.prefix(40))'")
        }
    }

    func string(_ key: String, required: Bool = false, maximumLength: Int = 512) throws -> String? {
        guard let value = object[key], value != .null else {
            if required { throw ToolInputError(tool: tool, reason: "'\(key)' is required") }
            return nil
        }
        guard case .string(let text) = value else {
            throw ToolInputError(tool: tool, reason: "'\(key)' must be a string")
        }
        guard text.utf8.count <= maximumLength else {
            throw ToolInputError(tool: tool, reason: "'\(key)' is longer than \(maximumLength) bytes")
        }
        return text
    }

    func number(_ key: String, range: ClosedRange<Double>) throws -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value, range.contains(number) else {
            throw ToolInputError(
                tool: tool,
                reason: "'\(key)' must be a number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw ToolInputError(tool: tool, reason: "'\(key)' must be true or false")
        }
        return flag
    }
}

/// JSON Schema helpers.
enum Schema {
    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        .object([
            "type": .string("object"), "properties": .object(properties),
            "required": .array(required.map(JSONValue.string)),
            "additionalProperties": .bool(false),
        ])
    }

    static func string(_ description: String, pattern: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("string"), "description": .string(description)]
        if let pattern { schema["pattern"] = .string(pattern) }
        return .object(schema)
    }

    static func number(_ description: String, minimum: Double, maximum: Double) -> JSONValue {
        .object([
            "type": .string("number"), "description": .string(description), "minimum": .number(minimum),
            "maximum": .number(maximum),
        ])
    }

    static func boolean(_ description: String) -> JSONValue {
        .object(["type": .string("boolean"), "description": .string(description)])
    }

    static let hours = number("Hours either side of the alert's time (default 24).", minimum: 0.01, maximum: 24 * 90)
    static let limit = number("The most results to return (default 20).", minimum: 1, maximum: 200)
}

extension JSONValue {
    /// Encodes an `Encodable` value (a store result) as a JSON value.
    static func encoding(_ value: some Encodable) -> JSONValue {
        guard let data = try? JSONEncoder().encode(value),
            let decoded = try? JSONDecoder().decode(JSONValue.self, from: data)
        else {
            return .null
        }
        return decoded
    }
}
