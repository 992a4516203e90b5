public import Foundation
public import SOCModel
import SOCParsers
public import SOCStore
public import SOCThreatIntel

/// What an investigation starts from: an alert's text, and the event it came from when there is one.
public struct Alert: Sendable {
    /// The text (a free-text event, a log line, an alert's description).
    public var text: String
    /// The parsed event, when the alert is a record (an ECS event, a Sentinel incident, a raw log line).
    public var event: SecurityEvent?

    public init(text: String, event: SecurityEvent? = nil) {
        self.text = text
        self.event = event
    }
}

/// The analyst that needs no model: a playbook that runs the same tools a model would, for the indicators found,
/// correlates what they return (same address, user, host; failures → success → suspicious process → outbound
/// connection), applies the severity rubric of DESIGN.md §1 with its reasons, maps ATT&CK and writes the
/// recommendations. Its severity is also the floor under a model's.
public struct DeterministicAnalyst: Sendable {
    public init() {}

    /// Investigates `alert` and returns the report (not yet written; see `ReportStore`).
    public func investigate(
        _ alert: Alert, store: any EventStore, intel: ThreatIntelService, readableRoots: [String] = [], now: Date = Date()
    ) async -> IncidentReport {
        // A parsed alert is read through its fields (and message), not its raw record: JSON keys and escapes are
        // noise to the text scanner.
        let indicators = alert.event.map(IndicatorExtractor.extract(from:)) ?? IndicatorExtractor.extract(alert.text)
        let anchor = alert.event?.timestamp
            ?? indicators.timestamps.lazy.compactMap { TimestampParser.parse($0) }.first
            ?? Timestamp(secondsSinceEpoch: now.timeIntervalSince1970)
        var investigation = Investigation(
            context: ToolContext(store: store, intel: intel, anchor: anchor, readableRoots: readableRoots), indicators: indicators)
        await investigation.run()
        return investigation.report(alert: alert, createdAt: now)
    }
}

/// One investigation's state: the tool calls made, what they found, and the findings drawn from them.
struct Investigation {
    let context: ToolContext
    var indicators: IndicatorSet
    var calls: [ToolCallRecord] = []
    var findings: [Finding] = []
    var timeline: [TimelineEntry] = []
    var recommendations: [String] = []
    /// Hosts and users a logon tied to the alert's sources, for the follow-up queries.
    var compromisedHosts: [String] = []
    var compromisedUsers: [String] = []
    var logonTimes: [String: String] = [:]

    init(context: ToolContext, indicators: IndicatorSet) {
        self.context = context
        self.indicators = indicators
    }

    // MARK: The playbook

    mutating func run() async {
        let publicIPs = indicators.ips.filter { IPAddress($0)?.scope == .public }.prefix(5)
        for ip in publicIPs {
            if let result = await call("check_ip_reputation", ["ip": .string(ip)]) { reputation(ip, result) }
        }
        for cve in indicators.cves.prefix(5) {
            if let result = await call("lookup_cve", ["cve_id": .string(cve)]) { vulnerability(cve, result) }
        }
        for hash in indicators.hashes.prefix(5) {
            if let result = await call("check_file_hash", ["hash": .string(hash)]) { fileHash(hash, result) }
        }
        // Brute force: from the alert's addresses, else anywhere around the alert's time.
        let sources = indicators.ips.filter { IPAddress($0) != nil }.prefix(5)
        if sources.isEmpty {
            if let result = await call("detect_brute_force", ["min_failures": .number(5), "limit": .number(5)]) { await bruteForce(result) }
        } else {
            for ip in sources {
                if let result = await call("detect_brute_force", ["source_ip": .string(ip), "min_failures": .number(1)]) {
                    await bruteForce(result)
                }
            }
        }
        for user in indicators.users.prefix(3) where !compromisedUsers.contains(user) {
            if let result = await call("query_failed_logins", ["user": .string(user), "limit": .number(50)]) { failedLogins(user, result) }
        }
        // What happened on the hosts involved: suspicious processes, then outbound connections.
        let hosts = Array((compromisedHosts + indicators.hosts).uniqued().prefix(3))
        if hosts.isEmpty {
            let scope: [String: JSONValue] = indicators.users.first.map { ["user": .string($0), "limit": .number(50)] } ?? ["limit": .number(50)]
            if let result = await call("query_suspicious_processes", scope) { processes(result, host: nil) }
        }
        for host in hosts {
            if let result = await call("query_suspicious_processes", ["host": .string(host), "limit": .number(50)]) { processes(result, host: host) }
            if let result = await call("query_network_connections", ["host": .string(host), "limit": .number(50)]) { connections(result, host: host) }
            // What `socagent hunt` found there with the Sigma rules (a cluster keeps no detections: nothing to ask).
            if context.store.keepsDetections,
                let result = await call("query_sigma_detections", ["host": .string(host), "min_level": .string("medium"), "limit": .number(50)])
            {
                sigmaDetections(result, host: host)
            }
        }
        correlateChain()
    }

    /// Runs a tool and records the call; a failing tool is recorded with its error and the playbook goes on.
    mutating func call(_ name: String, _ input: [String: JSONValue]) async -> ToolResult? {
        guard let tool = AgentToolbox.tool(named: name) else { return nil }
        let (result, record) = await tool.runRecorded(.object(input), context: context)
        calls.append(record)
        return try? result.get()
    }

    // MARK: Reading the tools' answers

    mutating func reputation(_ ip: String, _ result: ToolResult) {
        guard let report = result.data.decoded(as: IntelReport.self), report.verdict == .malicious || report.verdict == .suspicious else { return }
        let severity: Severity = report.verdict == .malicious ? .high : .medium
        findings.append(
            Finding(
                title: "\(report.verdict == .malicious ? "Malicious" : "Suspicious") address \(ip)", severity: severity,
                detail: "Threat intelligence rates \(ip) \(report.verdict.rawValue).", evidence: report.reasons, attackTechniques: []))
        recommendations.append("Block \(ip) at the perimeter and search for any other activity from it.")
    }

    mutating func vulnerability(_ cve: String, _ result: ToolResult) {
        guard let record = result.data.decoded(as: IntelReport.self)?.cve else { return }
        if record.knownExploited {
            findings.append(
                Finding(
                    title: "\(cve) is known to be exploited", severity: .high,
                    detail: "CISA lists \(cve) as exploited in the wild" + (record.kev.map { ", remediation due \($0.dueDate)" } ?? "") + ".",
                    evidence: [result.summary], attackTechniques: ["T1190"]))
            recommendations.append("Patch or mitigate \(cve) now; check the affected systems for signs of exploitation.")
        } else if let score = record.cvssScore, score >= 9 {
            findings.append(
                Finding(title: "\(cve) is critical (CVSS \(score))", severity: .medium, detail: record.description ?? "", evidence: [result.summary]))
            recommendations.append("Schedule the patch for \(cve).")
        }
    }

    mutating func fileHash(_ hash: String, _ result: ToolResult) {
        guard let report = result.data.decoded(as: IntelReport.self), report.verdict == .malicious || report.verdict == .suspicious else { return }
        findings.append(
            Finding(
                title: "Known \(report.verdict == .malicious ? "malicious" : "suspicious") file \(hash)", severity: report.verdict == .malicious ? .high : .medium,
                detail: "Threat intelligence rates the file \(report.verdict.rawValue).", evidence: report.reasons, attackTechniques: ["T1204.002"]))
        recommendations.append("Quarantine files with hash \(hash) and isolate the hosts that ran them.")
    }

    mutating func bruteForce(_ result: ToolResult) async {
        guard let sources = result.data.decoded(as: [BruteForceSource].self) else { return }
        for source in sources where source.failures >= 5 || source.successes > 0 {
            let spray = source.users >= 5
            let technique = spray ? "T1110.003" : "T1110.001"
            let evidence = [
                "\(source.failures) failed logins for \(source.users) account\(source.users == 1 ? "" : "s") (\(source.userNames.prefix(5).joined(separator: ", "))) from \(source.firstSeen ?? "?") to \(source.lastSeen ?? "?")"
            ]
            findings.append(
                Finding(
                    title: "\(spray ? "Password spraying" : "Brute force") from \(source.sourceIP)", severity: .medium,
                    detail: "\(source.failures) failed attempts against \(source.users) account\(source.users == 1 ? "" : "s") from \(source.sourceIP).",
                    evidence: evidence, attackTechniques: ["T1110", technique]))
            if let first = source.firstSeen { timeline.append(TimelineEntry(timestamp: first, description: "first failed login", subject: source.sourceIP)) }
            if let last = source.lastSeen { timeline.append(TimelineEntry(timestamp: last, description: "last failed login", subject: source.sourceIP)) }
            indicators.ips.appendOnce(source.sourceIP)
            for user in source.userNames.prefix(5) { indicators.users.appendOnce(user) }
            recommendations.append("Block \(source.sourceIP) and review the targeted accounts (\(source.userNames.prefix(5).joined(separator: ", "))).")
            if source.successes > 0 { await successfulLogons(from: source) }
        }
    }

    /// The logons that followed the failures: which accounts and hosts the attacker reached.
    mutating func successfulLogons(from source: BruteForceSource) async {
        let query = "event.category:authentication AND event.outcome:success AND source.ip:\"\(source.sourceIP)\""
        guard let result = await call("query_events", ["lucene": .string(query), "limit": .number(20)]),
            case .object(let object) = result.data, let events = object["events"]?.decoded(as: [EventSummary].self)
        else { return }
        let after = events.filter { ($0.timestamp ?? "") >= (source.firstSeen ?? "") }
        guard !after.isEmpty else { return }
        for event in after.reversed() {
            if let host = event.host { compromisedHosts.appendOnce(host) }
            if let user = event.user { compromisedUsers.appendOnce(user) }
            if let host = event.host, let time = event.timestamp, logonTimes[host] == nil || time < logonTimes[host]! { logonTimes[host] = time }
            if let time = event.timestamp {
                timeline.append(TimelineEntry(timestamp: time, description: "successful logon as \(event.user ?? "?")", subject: event.host ?? source.sourceIP))
            }
        }
        findings.append(
            Finding(
                title: "Successful logon from \(source.sourceIP) after \(source.failures) failures", severity: .high,
                detail: "The brute force succeeded: \(after.count) logon\(after.count == 1 ? "" : "s") as \(compromisedUsers.joined(separator: ", ")) on \(compromisedHosts.joined(separator: ", ")).",
                evidence: after.prefix(5).map { "\($0.timestamp ?? "?") \($0.host ?? "?") \($0.user ?? "?") \($0.action ?? "")" },
                attackTechniques: ["T1110", "T1078"]))
        recommendations.append("Reset the credentials of \(compromisedUsers.joined(separator: ", ")) and review what those sessions did.")
    }

    mutating func failedLogins(_ user: String, _ result: ToolResult) {
        guard let events = result.data.decoded(as: [EventSummary].self), !events.isEmpty else { return }
        let sources = Set(events.compactMap(\.sourceIP))
        guard !findings.contains(where: { $0.attackTechniques.contains("T1110") }) else { return }
        findings.append(
            Finding(
                title: "Failed logins for \(user)", severity: events.count >= 5 ? .medium : .low,
                detail: "\(events.count) failed login\(events.count == 1 ? "" : "s") for \(user) from \(sources.count) source\(sources.count == 1 ? "" : "s").",
                evidence: events.prefix(5).map { "\($0.timestamp ?? "?") \($0.host ?? "?") from \($0.sourceIP ?? "?") \($0.reason ?? "")" },
                attackTechniques: events.count >= 5 ? ["T1110"] : []))
    }

    mutating func processes(_ result: ToolResult, host: String?) {
        guard let found = result.data.decoded(as: [ProcessFinding].self), !found.isEmpty else { return }
        var bySeverity: [Severity: [ProcessFinding]] = [:]
        for finding in found {
            let severity = finding.reasons.map(Self.severity(ofReason:)).max() ?? .low
            bySeverity[severity, default: []].append(finding)
        }
        for (severity, group) in bySeverity.sorted(by: { $0.key > $1.key }) where severity >= .medium {
            let reasons = Array(Set(group.flatMap(\.reasons).filter { Self.severity(ofReason: $0) == severity })).sorted()
            // Every technique the flagged starts show (an encoded command is also PowerShell execution, T1059.001).
            let techniques = Array(Set(group.flatMap(\.reasons).compactMap(Self.technique))).sorted()
            let place = host.map { " on \($0)" } ?? ""
            findings.append(
                Finding(
                    title: reasons.map(Self.label).uniqued().joined(separator: ", ").capitalizedFirst + place, severity: severity,
                    detail: "\(group.count) process start\(group.count == 1 ? "" : "s")\(place) flagged: \(reasons.joined(separator: "; ")).",
                    evidence: group.prefix(5).map { "\($0.event.timestamp ?? "?") \($0.event.host ?? "?") \($0.event.user ?? "?"): \($0.event.commandLine ?? $0.event.processName ?? "")" },
                    attackTechniques: techniques))
            for event in group.prefix(3) {
                if let time = event.event.timestamp {
                    timeline.append(TimelineEntry(timestamp: time, description: "suspicious process: \(reasons.map(Self.label).uniqued().joined(separator: ", "))", subject: event.event.host))
                }
            }
            if severity == .critical {
                recommendations.append("Isolate \(host ?? "the affected hosts") now; treat its credentials as stolen and look for lateral movement.")
            } else {
                recommendations.append("Review the flagged command lines\(place) and the accounts that ran them.")
            }
        }
    }

    mutating func connections(_ result: ToolResult, host: String) {
        guard let events = result.data.decoded(as: [EventSummary].self), !events.isEmpty else { return }
        let destinations = Array(Set(events.compactMap(\.destinationIP))).sorted()
        for destination in destinations.prefix(10) { indicators.ips.appendOnce(destination) }
        let afterLogon = logonTimes[host].map { time in events.filter { ($0.timestamp ?? "") >= time } } ?? []
        guard !afterLogon.isEmpty || compromisedHosts.contains(host) == false else { return }
        if let first = (afterLogon.isEmpty ? events : afterLogon).last, let time = first.timestamp {
            timeline.append(TimelineEntry(timestamp: time, description: "outbound connection to \(first.destinationIP ?? "?"):\(first.destinationPort.map(String.init) ?? "?")", subject: host))
        }
        findings.append(
            Finding(
                title: "Outbound connections from \(host)", severity: afterLogon.isEmpty ? .low : .medium,
                detail: "\(events.count) connection\(events.count == 1 ? "" : "s") from \(host) to \(destinations.count) public destination\(destinations.count == 1 ? "" : "s")" + (afterLogon.isEmpty ? "." : ", \(afterLogon.count) after the suspicious logon."),
                evidence: events.prefix(5).map { "\($0.timestamp ?? "?") \($0.processName ?? "?") → \($0.destinationIP ?? "?"):\($0.destinationPort.map(String.init) ?? "?")" },
                attackTechniques: afterLogon.isEmpty ? [] : ["T1071"]))
    }

    /// Sigma detections on a host, one finding per level. A critical rule is HIGH (an incident by Sigma's definition,
    /// not yet a confirmed breach), a high rule MEDIUM, a medium rule LOW; a high or critical rule for OS credential
    /// dumping (T1003) is CRITICAL, credential theft in the rubric.
    mutating func sigmaDetections(_ result: ToolResult, host: String) {
        guard let found = result.data.decoded(as: [StoredDetection].self), !found.isEmpty else { return }
        for level in ["critical", "high", "medium"] {
            let group = found.filter { $0.level == level }
            guard !group.isEmpty else { continue }
            let techniques = Array(Set(group.flatMap(\.techniques))).sorted()
            let dumpsCredentials = level != "medium" && techniques.contains { $0.hasPrefix("T1003") }
            let severity: Severity = dumpsCredentials ? .critical : level == "critical" ? .high : level == "high" ? .medium : .low
            let titles = group.map(\.title).uniqued()
            findings.append(
                Finding(
                    title: "Sigma \(level): \(titles.prefix(3).joined(separator: ", "))\(titles.count > 3 ? " and \(titles.count - 3) more" : "") on \(host)",
                    severity: severity,
                    detail: "\(group.count) event\(group.count == 1 ? "" : "s") on \(host) matched \(titles.count) \(level)-level Sigma rule\(titles.count == 1 ? "" : "s")"
                        + (dumpsCredentials ? " for OS credential dumping." : "."),
                    evidence: group.prefix(5).map { detection in
                        let fields = detection.fields.sorted { $0.key < $1.key }.prefix(3).map { "\($0.key)=\($0.value.prefix(160))" }
                        return "\(detection.timestamp ?? "?") \(detection.title) [\(detection.techniques.joined(separator: ","))] \(fields.joined(separator: " "))"
                    },
                    attackTechniques: techniques))
            for title in titles.prefix(3) {
                if let time = group.filter({ $0.title == title }).compactMap(\.timestamp).min() {
                    timeline.append(TimelineEntry(timestamp: time, description: "Sigma \(level): \(title)", subject: host))
                }
            }
            if dumpsCredentials {
                recommendations.append("Isolate \(host) now; treat every credential used on it as stolen and reset them.")
            } else if severity >= .medium {
                recommendations.append("Review the \(level)-level Sigma detections on \(host) (`socagent hunt`) and the processes behind them.")
            }
        }
    }

    /// Failures → success → suspicious process (→ outbound connection) on the same host: an active breach.
    mutating func correlateChain() {
        guard !compromisedHosts.isEmpty else { return }
        let processOnHost = findings.contains { finding in
            finding.severity >= .medium && compromisedHosts.contains { finding.title.hasSuffix(" on \($0)") }
        }
        guard processOnHost else { return }
        let outbound = findings.contains { $0.title.hasPrefix("Outbound connections from") && $0.attackTechniques.contains("T1071") }
        findings.insert(
            Finding(
                title: "Attack chain on \(compromisedHosts.joined(separator: ", "))", severity: .critical,
                detail: "Failed logins, then a successful logon, then suspicious processes" + (outbound ? " and outbound connections" : "") + " on the same host: an active breach.",
                evidence: timeline.sorted { $0.timestamp < $1.timestamp }.map { "\($0.timestamp) \($0.subject ?? "") \($0.description)" },
                attackTechniques: ["T1110", "T1078"]),
            at: 0)
        recommendations.insert("Contain now: isolate \(compromisedHosts.joined(separator: ", ")), disable \(compromisedUsers.joined(separator: ", ")), block the source addresses.", at: 0)
    }

    // MARK: The report

    func report(alert: Alert, createdAt: Date) -> IncidentReport {
        let ordered = findings.sorted { $0.severity > $1.severity }
        let severity = ordered.first?.severity ?? .low
        var reasons = ordered.filter { $0.severity == severity }.map { "\(severity.rawValue): \($0.title) — \(Self.rubric(severity))" }
        if ordered.isEmpty { reasons = ["LOW: no tool found corroborating activity around the alert's time — informational or a likely false positive"] }
        let techniques = Array(Set(ordered.flatMap(\.attackTechniques))).sorted()
        let summary: String
        if let top = ordered.first {
            summary = "\(severity.rawValue): \(top.title). \(top.detail)" + (ordered.count > 1 ? " \(ordered.count - 1) more finding\(ordered.count == 2 ? "" : "s")." : "")
        } else {
            summary = "LOW: nothing in the logs or threat intelligence corroborates the alert."
        }
        var recommendations = self.recommendations.uniqued()
        if recommendations.isEmpty { recommendations = ["No action needed beyond closing the alert; keep monitoring the indicators."] }
        return IncidentReport(
            createdAt: Timestamp(secondsSinceEpoch: createdAt.timeIntervalSince1970).iso8601, severity: severity, severityReasons: reasons, summary: summary,
            alert: alert.text, indicators: indicators, findings: ordered, attackTechniques: techniques,
            timeline: timeline.sorted { $0.timestamp < $1.timestamp }.uniqued(), recommendations: recommendations, toolCalls: calls,
            analyst: AnalystInfo(mode: "offline"))
    }

    /// The rubric line (DESIGN.md §1) behind a severity.
    static func rubric(_ severity: Severity) -> String {
        switch severity {
        case .critical: "active breach, exfiltration, ransomware or credential theft"
        case .high: "confirmed malicious activity, a successful brute force or lateral movement"
        case .medium: "suspicious activity that needs investigation"
        case .low: "informational or likely false positive"
        }
    }

    /// How bad a process rule's reason is: credential dumping and shadow-copy deletion are CRITICAL; encoded
    /// commands, download cradles, log clearing, Office spawning shells and remote scripts HIGH; obfuscation,
    /// LOLBins and discovery MEDIUM; merely running an interpreter LOW.
    static func severity(ofReason reason: String) -> Severity {
        let text = reason.lowercased()
        if text.hasPrefix("credential dumping") || text.hasPrefix("shadow copy deletion") { return .critical }
        for prefix in ["encoded powershell", "download cradle", "event log clearing", "office application", "remote script"] where text.hasPrefix(prefix) {
            return .high
        }
        for prefix in ["invoke-expression", "execution policy", "hidden window", "living-off-the-land", "discovery"] where text.hasPrefix(prefix) {
            return .medium
        }
        return .low
    }

    /// `T1059.001` from `encoded PowerShell command (T1059.001)`.
    static func technique(_ reason: String) -> String? {
        guard let open = reason.lastIndex(of: "("), reason.hasSuffix(")") else { return nil }
        return String(reason[reason.index(after: open)..<reason.index(before: reason.endIndex)])
    }

    /// The reason without its technique or image (`encoded PowerShell command`).
    static func label(_ reason: String) -> String {
        var text = reason
        if let open = text.lastIndex(of: "(") { text = String(text[..<open]) }
        if let colon = text.firstIndex(of: ":") { text = String(text[..<colon]) }
        return text.trimmingCharacters(in: .whitespaces)
    }
}

extension JSONValue {
    /// Decodes the value as `T` (the tools encode store results; the analyst reads them back).
    func decoded<T: Decodable>(as type: T.Type) -> T? {
        guard let data = try? JSONEncoder().encode(self) else { return nil }
        return try? JSONDecoder().decode(T.self, from: data)
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}


extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
