import Foundation
import SOCModel
import SOCParsers
import SOCStore
import SOCThreatIntel

/// The ten tools of DESIGN.md §1 and the Sigma detections `hunt` saved, all read-only.
public enum AgentToolbox {
    /// Every tool, in the order they are offered to a model.
    public static let all: [any AgentTool] = [
        IntelTool(
            name: "check_ip_reputation",
            kind: .ip,
            field: "ip",
            what: "an IP address (AbuseIPDB, VirusTotal, local blocklists)"
        ),
        IntelTool(
            name: "lookup_cve",
            kind: .cve,
            field: "cve_id",
            what: "a CVE id (NVD CVSS and description, CISA KEV known exploitation)"
        ),
        IntelTool(
            name: "check_file_hash",
            kind: .hash,
            field: "hash",
            what: "an MD5, SHA-1 or SHA-256 file hash (VirusTotal, local hash lists)"
        ),
        FailedLoginsTool(), SuspiciousProcessesTool(), NetworkConnectionsTool(), BruteForceTool(), QueryEventsTool(),
        SigmaDetectionsTool(), ParseLogFileTool(), ReportTool(),
    ]

    /// The tool named `name`, if it is one of them.
    public static func tool(named name: String) -> (any AgentTool)? { all.first { $0.name == name } }
}

/// `check_ip_reputation`, `lookup_cve`, `check_file_hash`: threat intelligence for one indicator.
struct IntelTool: AgentTool {
    let name: String
    let kind: IndicatorKind
    let field: String
    let what: String

    var description: String {
        "Look up \(what). Returns a verdict (malicious, suspicious, clean, unknown) with each source's evidence."
    }

    var inputSchema: JSONValue {
        Schema.object([field: Schema.string("The \(kind.rawValue) to look up.")], required: [field])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(input, tool: name, allowed: [field])
        let value = try fields.string(field, required: true, maximumLength: 256) ?? ""
        guard let indicator = IntelIndicator(kind, value) else {
            throw ToolInputError(tool: name, reason: "'\(value.prefix(80))' is not a valid \(kind.rawValue)")
        }
        let report = await context.intel.lookup(indicator)
        var summary = "\(indicator.value): \(report.verdict.rawValue)"
        if let cve = report.cve {
            summary +=
                "; CVSS \(cve.cvssScore.map { String($0) } ?? "n/a") \(cve.severity ?? ""); known exploited: \(cve.knownExploited ? "yes" : "no")"
        } else if let reason = report.reasons.first {
            summary += " (\(DisplayText.clipped(reason, to: 200)))"
        }
        let notable = report.verdict == .malicious || report.verdict == .suspicious
        return ToolResult(summary: summary, output: .intelligence(report), notable: notable)
    }
}

/// Filters every store tool shares: window, address, user, host, limit.
struct StoreFilterInput {
    static let properties: [String: JSONValue] = [
        "hours": Schema.hours, "source_ip": Schema.string("A source address or CIDR block."),
        "user": Schema.string("A user name (exact)."), "host": Schema.string("A host name (exact)."),
        "limit": Schema.limit,
    ]

    static func filter(_ fields: ToolInput, context: ToolContext, tool: String) throws -> EventFilter {
        var filter = EventFilter(timeRange: context.window(hours: try fields.number("hours", range: 0.01...(24 * 90))))
        if let address = try fields.string("source_ip") {
            guard let matcher = IPMatcher(address) else {
                throw ToolInputError(tool: tool, reason: "'\(address.prefix(60))' is not an address or CIDR block")
            }
            filter.sourceIP = matcher
        }
        filter.user = try fields.string("user", maximumLength: 256)
        filter.host = try fields.string("host", maximumLength: 256)
        filter.limit = Int(try fields.number("limit", range: 1...200) ?? 20)
        return filter
    }
}

/// `query_failed_logins`
struct FailedLoginsTool: AgentTool {
    let name = "query_failed_logins"
    let description =
        "Failed authentication attempts (Windows 4625/4771/4776/4648, sshd, PAM, su, sudo, sign-ins) around the alert's time, newest first."
    var inputSchema: JSONValue { Schema.object(StoreFilterInput.properties) }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(input, tool: name, allowed: Set(StoreFilterInput.properties.keys))
        let results = try await context.store.failedLogins(
            try StoreFilterInput.filter(fields, context: context, tool: name)
        )
        let users = Set(results.compactMap(\.user)).count
        let sources = Set(results.compactMap(\.sourceIP)).count
        return ToolResult(
            summary:
                "\(results.count) failed login\(results.count == 1 ? "" : "s") (\(users) user\(users == 1 ? "" : "s"), \(sources) source\(sources == 1 ? "" : "s"))",
            output: .failedLogins(results),
            notable: !results.isEmpty
        )
    }
}

/// `query_suspicious_processes`
struct SuspiciousProcessesTool: AgentTool {
    let name = "query_suspicious_processes"
    let description =
        "Process starts and PowerShell activity flagged by rules (encoded commands, credential dumping, shadow-copy deletion, LOLBins…), each with its reasons and ATT&CK technique."
    var inputSchema: JSONValue { Schema.object(StoreFilterInput.properties.filter { $0.key != "source_ip" }) }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(
            input,
            tool: name,
            allowed: Set(StoreFilterInput.properties.keys).subtracting(["source_ip"])
        )
        let results = try await context.store.suspiciousProcesses(
            try StoreFilterInput.filter(fields, context: context, tool: name)
        )
        let reasons = Set(results.flatMap(\.reasons)).sorted()
        return ToolResult(
            summary: "\(results.count) flagged process\(results.count == 1 ? "" : "es")"
                + (reasons.isEmpty ? "" : ": " + reasons.prefix(5).joined(separator: "; ")),
            output: .processes(results),
            notable: !results.isEmpty
        )
    }
}

/// `query_network_connections`
struct NetworkConnectionsTool: AgentTool {
    let name = "query_network_connections"
    let description =
        "Network connections (Sysmon 3, Windows filtering platform, flow logs) to destinations, newest first; public destinations only unless include_private."
    var inputSchema: JSONValue {
        var properties = StoreFilterInput.properties
        properties["include_private"] = Schema.boolean("Include private and loopback destinations.")
        return Schema.object(properties)
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(
            input,
            tool: name,
            allowed: Set(StoreFilterInput.properties.keys).union(["include_private"])
        )
        let results = try await context.store.networkConnections(
            try StoreFilterInput.filter(fields, context: context, tool: name),
            includePrivate: try fields.bool("include_private") ?? false
        )
        let destinations = Set(results.compactMap(\.destinationIP)).count
        return ToolResult(
            summary:
                "\(results.count) connection\(results.count == 1 ? "" : "s") to \(destinations) destination\(destinations == 1 ? "" : "s")",
            output: .connections(results),
            notable: !results.isEmpty
        )
    }
}

/// `query_sigma_detections`
struct SigmaDetectionsTool: AgentTool {
    let name = "query_sigma_detections"
    let description =
        "Sigma rule matches that `socagent hunt` saved in the store around the alert's time (rule title, level, ATT&CK techniques, the event's host and the fields that matched), newest first; optionally on one host and at or above a level."
    static let levelProperty = Schema.string(
        "Only detections at or above this Sigma level: informational, low, medium, high or critical.",
        pattern: "^(informational|low|medium|high|critical)$"
    )
    var inputSchema: JSONValue {
        var properties = StoreFilterInput.properties.filter { $0.key != "source_ip" && $0.key != "user" }
        properties["min_level"] = Self.levelProperty
        return Schema.object(properties)
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(input, tool: name, allowed: ["hours", "host", "limit", "min_level"])
        let filter = try StoreFilterInput.filter(fields, context: context, tool: name)
        let minimum =
            try fields.string("min_level").map { level in
                guard let known = SigmaLevel(rawValue: level) else {
                    throw ToolInputError(
                        tool: name,
                        reason: "'min_level' must be informational, low, medium, high or critical"
                    )
                }
                return known
            } ?? .informational
        guard context.store.keepsDetections else {
            return ToolResult(summary: "this store does not keep Sigma detections", output: .detections(nil))
        }
        let results = try await context.store.detections(filter, minimumLevel: minimum)
        var byLevel: [SigmaLevel: Int] = [:]
        for detection in results { byLevel[detection.level, default: 0] += 1 }
        let levels = SigmaLevel.allCases.reversed().compactMap { level in byLevel[level].map { "\($0) \(level)" } }
        let titles = results.map(\.title).uniqued()
        return ToolResult(
            summary: "\(results.count) Sigma detection\(results.count == 1 ? "" : "s")"
                + (results.isEmpty ? "" : " (\(levels.joined(separator: ", ")))")
                + (titles.isEmpty ? "" : ": " + titles.prefix(5).joined(separator: "; ")),
            output: .detections(results),
            notable: results.contains { $0.level >= .high }
        )
    }
}

/// `detect_brute_force`
struct BruteForceTool: AgentTool {
    let name = "detect_brute_force"
    let description =
        "Failed logins grouped by source address (a terms aggregation): failures, distinct users, first/last seen, and successful logons from the same source afterwards."
    var inputSchema: JSONValue {
        var properties = StoreFilterInput.properties
        properties["min_failures"] = Schema.number(
            "Leave out sources with fewer failures (default 5).",
            minimum: 1,
            maximum: 1_000_000
        )
        return Schema.object(properties)
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(
            input,
            tool: name,
            allowed: Set(StoreFilterInput.properties.keys).union(["min_failures"])
        )
        let minimum = Int(try fields.number("min_failures", range: 1...1_000_000) ?? 5)
        let results = try await context.store.bruteForce(
            try StoreFilterInput.filter(fields, context: context, tool: name),
            minimumFailures: minimum
        )
        let summary =
            results.isEmpty
            ? "no source with \(minimum) or more failures"
            : results.prefix(3).map {
                "\($0.sourceIP): \($0.failures) failures, \($0.users) users, \($0.successes) later successes"
            }.joined(separator: "; ")
        return ToolResult(summary: summary, output: .bruteForce(results), notable: !results.isEmpty)
    }
}

/// `query_events`: a Lucene query, parsed (so validated) before anything runs.
struct QueryEventsTool: AgentTool {
    let name = "query_events"
    let description =
        "Search events with a Lucene query_string (field:value, AND/OR/NOT, wildcards, ranges, phrases) around the alert's time; returns the exact total and the newest events."
    var inputSchema: JSONValue {
        Schema.object(
            [
                "lucene": Schema.string("The Lucene query, e.g. event.code:4625 AND user.name:admin*"),
                "hours": Schema.hours, "limit": Schema.limit,
            ],
            required: ["lucene"]
        )
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(input, tool: name, allowed: ["lucene", "hours", "limit"])
        let text = try fields.string("lucene", required: true, maximumLength: 4096) ?? ""
        let query: LuceneQuery
        do {
            query = try LuceneParser.parse(text)
        } catch {
            throw ToolInputError(tool: name, reason: "invalid Lucene: \(error)")
        }
        let filter = EventFilter(
            timeRange: context.window(hours: try fields.number("hours", range: 0.01...(24 * 90))),
            limit: Int(try fields.number("limit", range: 1...200) ?? 20)
        )
        let result = try await context.store.search(query, filter: filter, now: context.anchor)
        return ToolResult(
            summary: "\(result.total) event\(result.total == 1 ? "" : "s") match \(text)",
            output: .events(total: result.total, events: result.events.map(EventSummary.init)),
            notable: result.total > 0
        )
    }
}

/// `parse_log_file`: parses a log file (any supported format, Microsoft Sentinel exports included) without storing it.
struct ParseLogFileTool: AgentTool {
    let name = "parse_log_file"
    let description =
        "Parse a log file (syslog, Windows event JSON/XML, Winlogbeat, Sentinel JSON/CSV exports, auditd, text) and summarize its events, indicators and rejected records. Only files under the allowed folders can be read."
    var inputSchema: JSONValue {
        Schema.object(
            [
                "path": Schema.string("The file's path."),
                "format": Schema.string("Force a format (see socagent formats)."),
            ],
            required: ["path"]
        )
    }

    static let maximumEvents = 10_000

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(input, tool: name, allowed: ["path", "format"])
        let path = try fields.string("path", required: true, maximumLength: 4096) ?? ""
        let resolved: String
        switch ReadPolicy.check(path, roots: context.readableRoots) {
        case .success(let allowed): resolved = allowed
        case .failure(let refusal): throw ToolInputError(tool: name, reason: "\(path.prefix(200)) \(refusal.reason)")
        }
        var format: LogFormat?
        if let name = try fields.string("format", maximumLength: 40) {
            guard let named = LogFormat.named(name) else {
                throw ToolInputError(tool: self.name, reason: "unknown format '\(name)'")
            }
            format = named
        }
        var reader = try EventFileReader(
            path: resolved,
            format: format,
            options: .init(referenceTime: context.anchor)
        )
        var events = 0
        var indicators = IndicatorSet()
        var codes: [String: Int] = [:]
        while let batch = try reader.nextBatch() {
            for event in batch where events < Self.maximumEvents {
                events += 1
                if let code = event.code { codes[code, default: 0] += 1 }
                indicators.formUnion(IndicatorExtractor.extract(from: event), limit: 50)
            }
            if events >= Self.maximumEvents { break }
        }
        let summary = reader.summary
        let topCodes = codes.sorted { $0.value > $1.value }.prefix(10).map { "\($0.key) (\($0.value))" }
        return ToolResult(
            summary: "\(summary.format): \(events) events, \(summary.rejected) rejected"
                + (topCodes.isEmpty ? "" : "; event codes \(topCodes.joined(separator: ", "))"),
            output: .logFile(
                LogFileSummary(
                    format: summary.format,
                    events: events,
                    rejected: summary.rejected,
                    errors: summary.errors.prefix(10).map { "line \($0.line): \($0.reason)" },
                    indicators: indicators.limited(to: 50)
                )
            ),
            notable: false
        )
    }
}

/// `generate_incident_report`: how a model hands in its conclusion. The analyst merges it with the evidence the
/// tools gathered; the severity it proposes cannot go below the rubric's floor.
struct ReportTool: AgentTool {
    let name = "generate_incident_report"
    let description =
        "Finish the investigation: give the severity (CRITICAL, HIGH, MEDIUM, LOW), a summary, and recommendations. Call it once, last."
    var inputSchema: JSONValue {
        Schema.object(
            [
                "severity": .object([
                    "type": .string("string"), "enum": .array(Severity.allCases.map { .string($0.rawValue) }),
                ]),
                "summary": Schema.string("Two or three sentences for the incident's reader."),
                "recommendations": .object([
                    "type": .string("array"), "items": .object(["type": .string("string")]), "maxItems": .number(10),
                ]),
            ],
            required: ["severity", "summary"]
        )
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolResult {
        let fields = try ToolInput(input, tool: name, allowed: ["severity", "summary", "recommendations"])
        let severityText = try fields.string("severity", required: true, maximumLength: 16) ?? ""
        guard let severity = Severity(rawValue: severityText.uppercased()) else {
            throw ToolInputError(tool: name, reason: "'severity' must be CRITICAL, HIGH, MEDIUM or LOW")
        }
        let summary = try fields.string("summary", required: true, maximumLength: 4000) ?? ""
        var recommendations: [String] = []
        if let value = fields.object["recommendations"], value != .null {
            guard case .array(let items) = value, items.count <= 10 else {
                throw ToolInputError(tool: name, reason: "'recommendations' must be a list of at most 10 strings")
            }
            for item in items {
                guard case .string(let text) = item, text.utf8.count <= 1000 else {
                    throw ToolInputError(
                        tool: name,
                        reason: "each recommendation must be a string of at most 1000 bytes"
                    )
                }
                recommendations.append(text)
            }
        }
        return ToolResult(
            summary: "report proposed: \(severity.rawValue)",
            output: .reportProposal(
                ReportProposal(severity: severity, summary: summary, recommendations: recommendations)
            )
        )
    }
}

/// What `parse_log_file` may read: regular files strictly inside the allowed folders, after symlinks are resolved.
/// Never `/` as a folder, never a dotfile or anything in a dot-folder below the allowed folder (`.env`, `.git`,
/// `.ssh`), never `/proc`, `/sys` or `/dev`, and never a SQLite database or its journal (the event store and the
/// intel cache are SQLite files).
enum ReadPolicy {
    /// Why a path is refused.
    struct Refusal: Error {
        let reason: String
    }

    /// The resolved path when `path` may be read under `roots`, else why not.
    static func check(_ path: String, roots: [String]) -> Result<String, Refusal> {
        let resolved = Self.resolve(path)
        let bases = roots.map(Self.resolve).filter { $0 != "/" && !$0.isEmpty }
        guard let base = bases.first(where: { resolved.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            return .failure(Refusal(reason: "is outside the folders this investigation may read"))
        }
        let below = resolved.dropFirst(base.count).split(separator: "/")
        if below.contains(where: { $0.hasPrefix(".") }) {
            return .failure(Refusal(reason: "is a dotfile or inside a dot-folder, which are never read"))
        }
        for system in ["/proc", "/sys", "/dev"] where resolved == system || resolved.hasPrefix(system + "/") {
            return .failure(Refusal(reason: "is a system pseudo-file, which is never read"))
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: resolved)
        guard (attributes?[.type] as? FileAttributeType) == .typeRegular else {
            return .failure(Refusal(reason: "is not a regular file"))
        }
        if let handle = FileHandle(forReadingAtPath: resolved) {
            defer { try? handle.close() }
            let head = [UInt8]((try? handle.read(upToCount: 16)) ?? Data())
            let sqlite = Array("SQLite format 3\u{0}".utf8)
            let isWAL =
                head.count >= 4 && head[0] == 0x37 && head[1] == 0x7F && head[2] == 0x06 && head[3] & 0xFE == 0x82
            if head == sqlite || isWAL {
                return .failure(
                    Refusal(reason: "is a SQLite database (a store or the intel cache), which is never read")
                )
            }
        }
        return .success(resolved)
    }

    private static func resolve(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
