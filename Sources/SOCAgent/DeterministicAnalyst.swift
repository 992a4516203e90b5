public import Foundation
public import SOCModel
import SOCParsers
public import SOCStore
public import SOCThreatIntel

/// The analyst that needs no model: a playbook that runs the same tools a model would, for the indicators found,
/// correlates what they return (same address, user, host; failures → success → suspicious process → outbound
/// connection), applies the severity rubric (``RubricRule``, and each process rule's own severity) with its reasons,
/// maps ATT&CK and writes the recommendations. Its severity is also the floor under a model's.
///
/// Every decision reads typed values — tool outputs, rule identifiers, finding kinds and entities — never the words of
/// a title or reason: ``phrasing`` may reword every sentence a report shows without changing a severity.
public struct DeterministicAnalyst: Sendable {
    /// Rewrites each human-readable sentence the analyst writes (titles, details, reasons, recommendations, timeline
    /// descriptions); the identity by default.
    public var phrasing: @Sendable (String) -> String

    public init(phrasing: @escaping @Sendable (String) -> String = { $0 }) {
        self.phrasing = phrasing
    }

    /// Investigates `alert` and returns the report (not yet written; see `ReportStore`).
    public func investigate(
        _ alert: Alert,
        store: any EventStore,
        intel: ThreatIntelService,
        readableRoots: [String] = [],
        now: Date = Date()
    ) async -> IncidentReport {
        // A parsed alert is read through its fields (and message), not its raw record: JSON keys and escapes are
        // noise to the text scanner.
        let indicators = alert.event.map(IndicatorExtractor.extract(from:)) ?? IndicatorExtractor.extract(alert.text)
        var anchor =
            alert.event?.timestamp
            ?? indicators.timestamps.lazy.compactMap { TimestampParser.parse($0) }.first
        // An alert with no usable time is looked at where the store's data about its indicators is, not around now.
        var located: Timestamp?
        if anchor == nil {
            located = await Self.newestEvent(about: indicators, in: store, now: now)
            anchor = located
        }
        var investigation = Investigation(
            context: ToolContext(
                store: store,
                intel: intel,
                anchor: anchor ?? Timestamp(secondsSinceEpoch: now.timeIntervalSince1970),
                readableRoots: readableRoots
            ),
            indicators: indicators,
            phrase: phrasing
        )
        await investigation.run()
        var report = investigation.report(alert: alert, createdAt: now)
        if let located {
            report.severityReasons.append(
                phrasing(
                    "The alert gives no time: the investigation is centred on \(located.iso8601Milliseconds), the newest event in the store about its indicators."
                )
            )
        }
        return report
    }

    /// The time of the newest stored event that names one of the alert's addresses, accounts or hosts.
    static func newestEvent(about indicators: IndicatorSet, in store: any EventStore, now: Date) async -> Timestamp? {
        var terms: [LuceneQuery] = []
        for ip in indicators.ips.prefix(5) where IPAddress(ip) != nil {
            terms += [.term(field: "source.ip", value: ip), .term(field: "destination.ip", value: ip)]
        }
        terms += indicators.users.prefix(3).map { .term(field: "user.name", value: $0) }
        terms += indicators.hosts.prefix(3).map { .term(field: "host.name", value: $0) }
        guard !terms.isEmpty else { return nil }
        let query = LuceneQuery.boolean(terms.map { LuceneClause(.should, $0) })
        let result = try? await store.search(
            query,
            filter: EventFilter(limit: 1),
            now: Timestamp(secondsSinceEpoch: now.timeIntervalSince1970)
        )
        return result?.events.first?.timestamp
    }
}

/// One investigation's state: the tool calls made, what they found, and the findings drawn from them.
struct Investigation {
    let context: ToolContext
    var indicators: IndicatorSet
    let phrase: @Sendable (String) -> String
    var calls: [ToolCallRecord] = []
    var findings: [Finding] = []
    var timeline: [TimelineEntry] = []
    var recommendations: [String] = []
    /// The actions already recommended (see ``recommend(_:action:)``).
    var recommendationKeys = Set<String>()
    /// What answered: the event store, and each intelligence source that gave an answer.
    var consulted: [String] = []
    /// Hosts and users a logon tied to the alert's sources, for the follow-up queries.
    var compromisedHosts: [String] = []
    var compromisedUsers: [String] = []
    var logonTimes: [String: Timestamp] = [:]
    /// Sigma rules the incident's alerts already cite: not cited again from the host's detections.
    var citedSigmaRules = Set<String>()
    /// Whether the playbook looks only at the alert's own addresses, accounts and hosts (an incident), never at the
    /// whole store around its time (a lone alert with no indicator).
    var scopedToEntities = false

    init(context: ToolContext, indicators: IndicatorSet, phrase: @escaping @Sendable (String) -> String) {
        self.context = context
        self.indicators = indicators
        self.phrase = phrase
    }

    // MARK: The playbook

    mutating func run() async {
        let publicIPs = indicators.ips.filter { IPAddress($0)?.scope == .public }.prefix(5)
        for ip in publicIPs {
            if case .intelligence(let report)? = await call("check_ip_reputation", ["ip": .string(ip)]) {
                reputation(ip, report)
            }
        }
        for cve in indicators.cves.prefix(5) {
            if let result = await result("lookup_cve", ["cve_id": .string(cve)]),
                case .intelligence(let report) = result.output
            {
                vulnerability(cve, report, summary: result.summary)
            }
        }
        for hash in indicators.hashes.prefix(5) {
            if case .intelligence(let report)? = await call("check_file_hash", ["hash": .string(hash)]) {
                fileHash(hash, report)
            }
        }
        // Brute force: from the alert's addresses, else anywhere around the alert's time.
        let sources = indicators.ips.filter { IPAddress($0) != nil }.prefix(5)
        if sources.isEmpty {
            // An incident is about its own entities: activity elsewhere in the store is another incident's.
            if !scopedToEntities,
                case .bruteForce(let found)? = await call(
                    "detect_brute_force",
                    ["min_failures": .number(5), "limit": .number(5)]
                )
            {
                await bruteForce(found)
            }
        } else {
            for ip in sources {
                if case .bruteForce(let found)? = await call(
                    "detect_brute_force",
                    ["source_ip": .string(ip), "min_failures": .number(1)]
                ) {
                    await bruteForce(found)
                }
            }
        }
        for user in indicators.users.prefix(3) where !compromisedUsers.contains(user) {
            if case .failedLogins(let events)? = await call(
                "query_failed_logins",
                ["user": .string(user), "limit": .number(50)]
            ) {
                failedLogins(user, events)
            }
        }
        // What happened on the hosts involved: suspicious processes, then outbound connections.
        let hosts = Array((compromisedHosts + indicators.hosts).uniqued().prefix(3))
        if hosts.isEmpty && (!scopedToEntities || !indicators.users.isEmpty) {
            let scope: [String: JSONValue] =
                indicators.users.first.map { ["user": .string($0), "limit": .number(50)] } ?? ["limit": .number(50)]
            if case .processes(let found)? = await call("query_suspicious_processes", scope) {
                processes(found, host: nil)
            }
        }
        for host in hosts {
            if case .processes(let found)? = await call(
                "query_suspicious_processes",
                ["host": .string(host), "limit": .number(50)]
            ) {
                processes(found, host: host)
            }
            if case .connections(let events)? = await call(
                "query_network_connections",
                ["host": .string(host), "limit": .number(50)]
            ) {
                connections(events, host: host)
            }
            // What `socagent hunt` found there with the Sigma rules (a cluster keeps no detections: nothing to ask).
            if context.store.keepsDetections,
                case .detections(let found?)? = await call(
                    "query_sigma_detections",
                    ["host": .string(host), "min_level": .string(SigmaLevel.medium.rawValue), "limit": .number(50)]
                )
            {
                sigmaDetections(found, host: host)
            }
        }
        correlateChain()
    }

    /// Runs a tool and records the call; a failing tool is recorded with its error (and named in the report's
    /// reasons), and the playbook goes on.
    mutating func result(_ name: String, _ input: [String: JSONValue]) async -> ToolResult? {
        guard let tool = AgentToolbox.tool(named: name) else { return nil }
        let (result, record) = await tool.runRecorded(.object(input), context: context)
        calls.append(record)
        guard let answer = try? result.get() else { return nil }
        if case .intelligence(let report) = answer.output {
            for source in report.sources where source.error == nil {
                consulted.appendOnce(source.source + (source.fromCache ? " (cached)" : ""))
            }
        } else {
            consulted.appendOnce("the event store")
        }
        return answer
    }

    /// The typed output of a tool call (see ``result(_:_:)``).
    mutating func call(_ name: String, _ input: [String: JSONValue]) async -> ToolOutput? {
        await result(name, input)?.output
    }

    /// Adds a finding whose severity, kind and techniques are the rubric row's.
    mutating func add(
        _ rule: RubricRule,
        title: String,
        detail: String,
        evidence: [String],
        entities: FindingEntities,
        techniques: [String]? = nil
    ) {
        let row = rule.row
        findings.append(
            Finding(
                title: phrase(title),
                severity: row.severity,
                detail: phrase(detail),
                evidence: evidence,
                attackTechniques: techniques ?? row.techniques,
                kind: row.kind,
                rule: rule.rawValue,
                entities: entities
            )
        )
    }

    /// Adds a recommendation unless one with the same `action` (what it asks to do, and to what) is already there:
    /// the first, from the most severe finding, is kept.
    mutating func recommend(_ text: String, action: String? = nil) {
        let key = (action ?? text).lowercased()
        guard recommendationKeys.insert(key).inserted else { return }
        recommendations.append(phrase(text))
    }

    mutating func mark(_ timestamp: String, _ description: String, subject: String?) {
        timeline.append(
            TimelineEntry(timestamp: Self.shown(timestamp), description: phrase(description), subject: subject)
        )
    }

    /// The rubric row an intelligence verdict calls for: `malicious` or `suspicious`, else none.
    static func rule(for verdict: Verdict, malicious: RubricRule, suspicious: RubricRule) -> RubricRule? {
        switch verdict {
        case .malicious: malicious
        case .suspicious: suspicious
        default: nil
        }
    }

    /// An ISO 8601 time as reports show it: one precision, milliseconds.
    static func shown(_ iso: String?) -> String {
        guard let iso else { return "?" }
        return instant(iso)?.iso8601Milliseconds ?? iso
    }

    /// The instant an ISO 8601 time stands for.
    static func instant(_ iso: String?) -> Timestamp? { iso.flatMap { TimestampParser.parse($0) } }

    /// `host` as the events spell it (the first case-insensitive match among `spellings`), else as given.
    static func spelled(_ host: String, in spellings: [String?]) -> String {
        spellings.lazy.compactMap { $0 }.first { $0.caseInsensitiveCompare(host) == .orderedSame } ?? host
    }

    // MARK: Reading the tools' answers

    mutating func reputation(_ ip: String, _ report: IntelReport) {
        guard let rule = Self.rule(for: report.verdict, malicious: .maliciousAddress, suspicious: .suspiciousAddress)
        else { return }
        add(
            rule,
            title: "\(report.verdict == .malicious ? "Malicious" : "Suspicious") address \(ip)",
            detail: "Threat intelligence rates \(ip) \(report.verdict.rawValue).",
            evidence: report.reasons,
            entities: FindingEntities(addresses: [ip])
        )
        recommend("Block \(ip) at the perimeter and search for any other activity from it.", action: "block \(ip)")
    }

    mutating func vulnerability(_ cve: String, _ report: IntelReport, summary: String) {
        guard let record = report.cve else { return }
        if record.knownExploited {
            add(
                .knownExploitedCVE,
                title: "\(cve) is known to be exploited",
                detail: "CISA lists \(cve) as exploited in the wild"
                    + (record.kev.map { ", remediation due \($0.dueDate)" } ?? "") + ".",
                evidence: [summary],
                entities: FindingEntities()
            )
            recommend("Patch or mitigate \(cve) now; check the affected systems for signs of exploitation.")
        } else if let score = record.cvssScore, score >= 9 {
            add(
                .criticalCVE,
                title: "\(cve) is critical (CVSS \(score))",
                detail: record.description ?? "",
                evidence: [summary],
                entities: FindingEntities()
            )
            recommend("Schedule the patch for \(cve).")
        }
    }

    mutating func fileHash(_ hash: String, _ report: IntelReport) {
        guard let rule = Self.rule(for: report.verdict, malicious: .maliciousFile, suspicious: .suspiciousFile) else {
            return
        }
        add(
            rule,
            title: "Known \(report.verdict == .malicious ? "malicious" : "suspicious") file \(hash)",
            detail: "Threat intelligence rates the file \(report.verdict.rawValue).",
            evidence: report.reasons,
            entities: FindingEntities(processes: [hash])
        )
        recommend("Quarantine files with hash \(hash) and isolate the hosts that ran them.")
    }

    mutating func bruteForce(_ sources: [BruteForceSource]) async {
        for source in sources where source.failures >= 5 || source.successes > 0 {
            let spray = source.users >= 5
            let accounts = "\(source.users) account\(source.users == 1 ? "" : "s")"
            let evidence = [
                "\(source.failures) failed logins for \(accounts) (\(source.userNames.prefix(5).joined(separator: ", "))) from \(Self.shown(source.firstSeen)) to \(Self.shown(source.lastSeen))"
            ]
            add(
                spray ? .passwordSpraying : .bruteForce,
                title: "\(spray ? "Password spraying" : "Brute force") from \(source.sourceIP)",
                detail: "\(source.failures) failed attempts against \(accounts) from \(source.sourceIP).",
                evidence: evidence,
                entities: FindingEntities(users: Array(source.userNames.prefix(10)), addresses: [source.sourceIP])
            )
            if let first = source.firstSeen { mark(first, "first failed login", subject: source.sourceIP) }
            if let last = source.lastSeen { mark(last, "last failed login", subject: source.sourceIP) }
            indicators.ips.appendOnce(source.sourceIP)
            for user in source.userNames.prefix(5) { indicators.users.appendOnce(user) }
            recommend(
                "Block \(source.sourceIP) and review the targeted accounts (\(source.userNames.prefix(5).joined(separator: ", "))).",
                action: "block \(source.sourceIP)"
            )
            if source.successes > 0 { await successfulLogons(from: source) }
        }
    }

    /// The logons that followed the failures: which accounts and hosts the attacker reached.
    mutating func successfulLogons(from source: BruteForceSource) async {
        let query = "event.category:authentication AND event.outcome:success AND source.ip:\"\(source.sourceIP)\""
        guard
            case .events(_, let events)? = await call("query_events", ["lucene": .string(query), "limit": .number(20)])
        else { return }
        let firstFailure = Self.instant(source.firstSeen)
        let after = events.filter { event in
            guard let first = firstFailure else { return true }
            return Self.instant(event.timestamp).map { $0 >= first } ?? false
        }
        guard !after.isEmpty else { return }
        for event in after.reversed() {
            if let host = event.host { compromisedHosts.appendOnce(host) }
            if let user = event.user { compromisedUsers.appendOnce(user) }
            if let host = event.host, let time = Self.instant(event.timestamp),
                logonTimes[host].map({ time < $0 }) ?? true
            {
                logonTimes[host] = time
            }
            if let time = event.timestamp {
                mark(time, "successful logon as \(event.user ?? "?")", subject: event.host ?? source.sourceIP)
            }
        }
        add(
            .logonAfterBruteForce,
            title: "Successful logon from \(source.sourceIP) after \(source.failures) failures",
            detail:
                "The brute force succeeded: \(after.count) logon\(after.count == 1 ? "" : "s") as \(compromisedUsers.joined(separator: ", ")) on \(compromisedHosts.joined(separator: ", ")).",
            evidence: after.prefix(5).map {
                "\(Self.shown($0.timestamp)) \($0.host ?? "?") \($0.user ?? "?") \($0.action ?? "")"
            },
            entities: FindingEntities(hosts: compromisedHosts, users: compromisedUsers, addresses: [source.sourceIP])
        )
        recommend(
            "Reset the credentials of \(compromisedUsers.joined(separator: ", ")) and review what those sessions did."
        )
    }

    mutating func failedLogins(_ user: String, _ events: [EventSummary]) {
        guard !events.isEmpty, !findings.contains(where: { $0.attackTechniques.contains("T1110") }) else { return }
        let sources = Set(events.compactMap(\.sourceIP))
        add(
            events.count >= 5 ? .repeatedFailedLogins : .failedLogins,
            title: "Failed logins for \(user)",
            detail:
                "\(events.count) failed login\(events.count == 1 ? "" : "s") for \(user) from \(sources.count) source\(sources.count == 1 ? "" : "s").",
            evidence: events.prefix(5).map {
                "\(Self.shown($0.timestamp)) \($0.host ?? "?") from \($0.sourceIP ?? "?") \($0.reason ?? "")"
            },
            entities: FindingEntities(users: [user], addresses: sources.sorted())
        )
    }

    /// Flagged processes, one finding per severity from MEDIUM up: a process is as severe as the worst rule it matched.
    mutating func processes(_ found: [ProcessFinding], host asked: String?) {
        guard !found.isEmpty else { return }
        let host = asked.map { Self.spelled($0, in: found.map(\.event.host)) }
        var bySeverity: [Severity: [ProcessFinding]] = [:]
        for finding in found {
            let severity = finding.rules.compactMap { InvestigationRules.processRule(id: $0)?.severity }.max() ?? .low
            bySeverity[severity, default: []].append(finding)
        }
        for (severity, group) in bySeverity.sorted(by: { $0.key > $1.key }) where severity >= .medium {
            // The rules (and their reasons as shown) at this severity.
            var rules: [InvestigationRules.ProcessRule] = []
            var reasons = Set<String>()
            for finding in group {
                for (id, reason) in zip(finding.rules, finding.reasons) {
                    guard let rule = InvestigationRules.processRule(id: id), rule.severity == severity else { continue }
                    if !rules.contains(where: { $0.id == rule.id }) { rules.append(rule) }
                    reasons.insert(phrase(reason))
                }
            }
            let sortedReasons = reasons.sorted()
            rules.sort { phrase($0.reason) < phrase($1.reason) }
            // Every technique the flagged starts show (an encoded command is also PowerShell execution, T1059.001).
            let techniques = Set(
                group.flatMap(\.rules).compactMap { InvestigationRules.processRule(id: $0)?.technique }
            ).sorted()
            let labels = rules.map { phrase($0.reason) }.uniqued().joined(separator: ", ")
            let place = host.map { " on \($0)" } ?? ""
            let hosts = host.map { [$0] } ?? group.compactMap(\.event.host).uniqued()
            findings.append(
                Finding(
                    title: phrase(labels.capitalizedFirst + place),
                    severity: severity,
                    detail: phrase(
                        "\(group.count) process start\(group.count == 1 ? "" : "s")\(place) flagged: \(sortedReasons.joined(separator: "; "))."
                    ),
                    evidence: group.prefix(5).map {
                        "\(Self.shown($0.event.timestamp)) \($0.event.host ?? "?") \($0.event.user ?? "?"): \($0.event.commandLine ?? $0.event.processName ?? "")"
                    },
                    attackTechniques: techniques,
                    kind: .suspiciousProcess,
                    rule: rules.first?.id,
                    entities: FindingEntities(
                        hosts: hosts,
                        users: group.compactMap(\.event.user).uniqued(),
                        processes: group.compactMap { $0.event.processExecutable ?? $0.event.processName }.uniqued()
                    )
                )
            )
            for event in group.prefix(3) {
                if let time = event.event.timestamp {
                    mark(time, "suspicious process: \(labels)", subject: event.event.host)
                }
            }
            if severity == .critical {
                recommend(
                    "Isolate \(host ?? "the affected hosts") now; treat its credentials as stolen and look for lateral movement.",
                    action: "isolate \(host ?? "")"
                )
            } else {
                recommend(
                    "Review the flagged command lines\(place) and the accounts that ran them.",
                    action: "review processes \(host ?? "")"
                )
            }
        }
    }

    mutating func connections(_ events: [EventSummary], host asked: String) {
        guard !events.isEmpty else { return }
        let host = Self.spelled(asked, in: events.map(\.host))
        let destinations = Array(Set(events.compactMap(\.destinationIP))).sorted()
        for destination in destinations.prefix(10) { indicators.ips.appendOnce(destination) }
        let afterLogon =
            logonTimes[host].map { logon in
                events.filter { Self.instant($0.timestamp).map { $0 >= logon } ?? false }
            } ?? []
        guard !afterLogon.isEmpty || compromisedHosts.contains(host) == false else { return }
        if let first = (afterLogon.isEmpty ? events : afterLogon).last, let time = first.timestamp {
            mark(
                time,
                "outbound connection to \(first.destinationIP ?? "?"):\(first.destinationPort.map(String.init) ?? "?")",
                subject: host
            )
        }
        let count =
            "\(events.count) connection\(events.count == 1 ? "" : "s") from \(host) to \(destinations.count) public destination\(destinations.count == 1 ? "" : "s")"
        add(
            afterLogon.isEmpty ? .outboundConnections : .outboundAfterLogon,
            title: "Outbound connections from \(host)",
            detail: count + (afterLogon.isEmpty ? "." : ", \(afterLogon.count) after the suspicious logon."),
            evidence: events.prefix(5).map {
                "\(Self.shown($0.timestamp)) \($0.processName ?? "?") → \($0.destinationIP ?? "?"):\($0.destinationPort.map(String.init) ?? "?")"
            },
            entities: FindingEntities(
                hosts: [host],
                addresses: destinations,
                processes: events.compactMap(\.processName).uniqued()
            )
        )
    }

    /// Sigma detections on a host, one finding per level from medium up, rated by ``RubricRule/sigma(level:dumpsCredentials:)``.
    mutating func sigmaDetections(_ found: [StoredDetection], host asked: String) {
        let found = found.filter { !citedSigmaRules.contains($0.ruleID) }
        guard !found.isEmpty else { return }
        let host = Self.spelled(asked, in: found.map(\.host))
        for level in [SigmaLevel.critical, .high, .medium] {
            let group = found.filter { $0.level == level }
            guard !group.isEmpty else { continue }
            let techniques = Array(Set(group.flatMap(\.techniques))).sorted()
            let dumpsCredentials = techniques.contains { $0.hasPrefix("T1003") }
            guard let rule = RubricRule.sigma(level: level, dumpsCredentials: dumpsCredentials) else { continue }
            let titles = group.map(\.title).uniqued()
            let rules = "\(titles.count) \(level)-level Sigma rule\(titles.count == 1 ? "" : "s")"
            add(
                rule,
                title:
                    "Sigma \(level): \(titles.prefix(3).joined(separator: ", "))\(titles.count > 3 ? " and \(titles.count - 3) more" : "") on \(host)",
                detail: "\(group.count) event\(group.count == 1 ? "" : "s") on \(host) matched \(rules)"
                    + (rule == .sigmaCredentialDumping ? " for OS credential dumping." : "."),
                evidence: group.prefix(5).map { detection in
                    let fields = detection.fields.sorted { $0.key < $1.key }.prefix(3).map {
                        "\($0.key)=\($0.value.prefix(160))"
                    }
                    return
                        "\(Self.shown(detection.timestamp)) \(detection.title) [\(detection.techniques.joined(separator: ","))] \(fields.joined(separator: " "))"
                },
                entities: FindingEntities(hosts: [host]),
                techniques: techniques
            )
            for title in titles.prefix(3) {
                if let time = group.filter({ $0.title == title }).compactMap(\.timestamp).min() {
                    mark(time, "Sigma \(level): \(title)", subject: host)
                }
            }
            if rule == .sigmaCredentialDumping {
                recommend(
                    "Isolate \(host) now; treat every credential used on it as stolen and reset them.",
                    action: "isolate \(host)"
                )
            } else if rule.severity >= .medium {
                recommend(
                    "Review the \(level)-level Sigma detections on \(host) (`socagent hunt`) and the processes behind them.",
                    action: "review sigma \(host)"
                )
            }
        }
    }

    /// Failures → success → a suspicious process or Sigma finding (→ outbound connection) on a host the logon
    /// reached: an active breach.
    mutating func correlateChain() {
        guard !compromisedHosts.isEmpty else { return }
        let activityOnHost = findings.contains { finding in
            (finding.kind == .suspiciousProcess || finding.kind == .sigmaDetection) && finding.severity >= .medium
                && finding.entities.hosts.contains { compromisedHosts.contains($0) }
        }
        guard activityOnHost else { return }
        let outbound = findings.contains { $0.rule == RubricRule.outboundAfterLogon.rawValue }
        let row = RubricRule.attackChain.row
        findings.insert(
            Finding(
                title: phrase("Attack chain on \(compromisedHosts.joined(separator: ", "))"),
                severity: row.severity,
                detail: phrase(
                    "Failed logins, then a successful logon, then suspicious processes"
                        + (outbound ? " and outbound connections" : "") + " on the same host: an active breach."
                ),
                evidence: timeline.sorted { $0.timestamp < $1.timestamp }.map {
                    "\($0.timestamp) \($0.subject ?? "") \($0.description)"
                },
                attackTechniques: row.techniques,
                kind: row.kind,
                rule: RubricRule.attackChain.rawValue,
                entities: FindingEntities(
                    hosts: compromisedHosts,
                    users: compromisedUsers,
                    addresses: findings.filter { $0.kind == .logonAfterFailures }.flatMap(\.entities.addresses)
                        .uniqued()
                )
            ),
            at: 0
        )
        recommendations.insert(
            phrase(
                "Contain now: isolate \(compromisedHosts.joined(separator: ", ")), disable \(compromisedUsers.joined(separator: ", ")), block the source addresses."
            ),
            at: 0
        )
    }

    // MARK: The report

    func report(alert: Alert, createdAt: Date) -> IncidentReport {
        let ordered = findings.sorted { $0.severity > $1.severity }
        let severity = ordered.first?.severity ?? RubricRule.nothingCorroborates.severity
        var reasons = ordered.filter { $0.severity == severity }.map {
            "\(severity.rawValue): \($0.title) — \(phrase(severity.meaning))"
        }
        if ordered.isEmpty {
            reasons = [
                phrase(
                    "LOW: no tool found corroborating activity around the alert's time — informational or a likely false positive"
                )
            ]
        }
        let failed = calls.filter { $0.error != nil }
        if !failed.isEmpty {
            reasons.append(
                phrase(
                    "Incomplete: \(failed.count) tool call\(failed.count == 1 ? "" : "s") failed (\(failed.map(\.tool).uniqued().joined(separator: ", "))); the severity rests on what the other tools found."
                )
            )
        }
        let techniques = Array(Set(ordered.flatMap(\.attackTechniques))).sorted()
        let summary: String
        if let top = ordered.first {
            summary =
                "\(severity.rawValue): \(top.title). \(top.detail)"
                + (ordered.count > 1
                    ? phrase(" \(ordered.count - 1) more finding\(ordered.count == 2 ? "" : "s").") : "")
        } else {
            summary = phrase("LOW: nothing in the logs or threat intelligence corroborates the alert.")
        }
        var recommendations = self.recommendations.uniqued()
        if recommendations.isEmpty {
            recommendations = [phrase("No action needed beyond closing the alert; keep monitoring the indicators.")]
        }
        var report = IncidentReport(
            createdAt: Timestamp(secondsSinceEpoch: createdAt.timeIntervalSince1970).iso8601Milliseconds,
            severity: severity,
            severityReasons: reasons,
            summary: summary,
            alert: alert.text,
            indicators: indicators,
            findings: ordered,
            attackTechniques: techniques,
            timeline: timeline.sorted { $0.timestamp < $1.timestamp }.uniqued(),
            recommendations: recommendations,
            toolCalls: calls,
            analyst: AnalystInfo(mode: .offline, consulted: consulted)
        )
        report.executiveSummary = ExecutiveSummary(report: report, meaning: phrase(severity.meaning))
        return report
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
