public import Foundation
public import SOCModel
import SOCParsers
public import SOCStore
public import SOCThreatIntel

extension DeterministicAnalyst {
    /// Investigates an incident triage grouped: all of its alerts are the context. Each alert group becomes a
    /// finding rated by the rubric (Sigma levels, another product's severity, a behaviour rule's own severity); the
    /// playbook then runs for the incident's addresses, accounts and hosts around its last alert; independent
    /// MEDIUM findings raise it (``RubricRule/corroborated``).
    public func investigate(
        incident: TriageIncident,
        alerts: [Alert],
        store: any EventStore,
        intel: ThreatIntelService,
        readableRoots: [String] = [],
        now: Date = Date()
    ) async -> IncidentReport {
        var indicators = IndicatorSet()
        indicators.ips = incident.addresses.filter { IPAddress($0) != nil }
        indicators.hosts = incident.hosts
        indicators.users = incident.users.filter(Alert.namesAPerson)
        indicators.hashes = Array(alerts.flatMap(\.hashes).uniqued().prefix(10))
        indicators.timestamps = [incident.firstSeen.iso8601, incident.lastSeen.iso8601].uniqued()
        var investigation = Investigation(
            context: ToolContext(
                store: store,
                intel: intel,
                anchor: incident.lastSeen,
                readableRoots: readableRoots
            ),
            indicators: indicators,
            phrase: phrasing
        )
        investigation.scopedToEntities = true
        investigation.cite(alerts)
        await investigation.run()
        investigation.corroborate(alerts)
        let text = IncidentText.describe(incident, alerts: alerts)
        var report = investigation.report(alert: Alert(text: text), createdAt: now)
        report.incidentID = incident.id
        return report
    }
}

/// How an incident is described to the analyst.
enum IncidentText {
    /// The incident as the alert text of its report: its alerts by rule, with counts and entities.
    static func describe(_ incident: TriageIncident, alerts: [Alert]) -> String {
        var lines = [
            "Incident \(incident.id): \(incident.alertCount) alert\(incident.alertCount == 1 ? "" : "s") from \(incident.firstSeen.iso8601Milliseconds) to \(incident.lastSeen.iso8601Milliseconds)"
        ]
        for rule in incident.rules.prefix(20) {
            lines.append("- \(rule.count)× [\(rule.source.rawValue)] \(rule.title)")
        }
        if incident.rules.count > 20 { lines.append("- and \(incident.rules.count - 20) more rules") }
        if !incident.hosts.isEmpty { lines.append("Hosts: " + incident.hosts.prefix(10).joined(separator: ", ")) }
        if !incident.users.isEmpty { lines.append("Accounts: " + incident.users.prefix(10).joined(separator: ", ")) }
        if !incident.addresses.isEmpty {
            lines.append("Addresses: " + incident.addresses.prefix(10).joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

extension Investigation {
    /// Behaviour alerts the playbook derives again from the incident's entities (``PlaybookAlertRule``: brute force,
    /// the logon after it, outbound connections after that; and flagged processes): not cited twice.
    static func playbookDerives(_ alert: Alert) -> Bool {
        guard alert.source == .behaviour, let rule = alert.rule else { return false }
        return rule.hasPrefix("process.") || PlaybookAlertRule(rawValue: rule) != nil
    }

    /// The incident's alerts as findings: one per source and rule, most severe first.
    mutating func cite(_ alerts: [Alert]) {
        var groups: [String: [Alert]] = [:]
        var order: [String] = []
        for alert in alerts where !Self.playbookDerives(alert) {
            let key = alert.source.rawValue + "\u{1F}" + (alert.rule ?? alert.title)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(alert)
        }
        for key in order {
            guard let group = groups[key], let first = group.first else { continue }
            if first.source == .sigma, let rule = first.rule { citedSigmaRules.insert(rule) }
            cite(group: group, first: first)
        }
    }

    private mutating func cite(group: [Alert], first: Alert) {
        let techniques = Array(Set(group.flatMap(\.techniques))).sorted()
        let hosts = group.flatMap(\.hosts).uniqued()
        let count = group.reduce(0) { $0 + max(1, $1.count) }
        let place = hosts.isEmpty ? "" : " on \(hosts.prefix(3).joined(separator: ", "))"
        let evidence = group.prefix(5).map { alert in
            "\(alert.time?.iso8601Milliseconds ?? "?") \(String(alert.text.prefix(300)))"
        }
        let entities = FindingEntities(
            hosts: hosts,
            users: group.flatMap(\.users).uniqued(),
            addresses: group.flatMap(\.addresses).uniqued(),
            processes: Array(group.flatMap(\.processes).uniqued().prefix(10))
        )
        let times = "\(count) alert\(count == 1 ? "" : "s")\(place)"
        switch first.source {
        case .sigma:
            let level = SigmaLevel(lenient: first.sourceSeverity ?? "medium")
            let dumps = techniques.contains { $0.hasPrefix("T1003") }
            guard let rule = RubricRule.sigma(level: level, dumpsCredentials: dumps) else { return }
            add(
                rule,
                title: "Sigma \(level): \(first.title)\(place)",
                detail: "\(times) from the \(level)-level Sigma rule \"\(first.title)\".",
                evidence: evidence,
                entities: entities,
                techniques: techniques
            )
            if rule == .sigmaCredentialDumping, let host = hosts.first {
                recommend(
                    "Isolate \(host) now; treat every credential used on it as stolen and reset them.",
                    action: "isolate \(host)"
                )
            } else if rule.severity >= .medium {
                recommend(
                    "Review the \(level)-level Sigma detections\(place) (`socagent hunt`) and the processes behind them.",
                    action: "review sigma \(hosts.first ?? "")"
                )
            }
        case .behaviour:
            findings.append(
                Finding(
                    title: phrase(first.title + place),
                    severity: first.severity,
                    detail: phrase("\(times) from the behaviour rule \(first.rule ?? first.title)."),
                    evidence: evidence,
                    attackTechniques: techniques,
                    kind: .behaviour,
                    rule: first.rule,
                    entities: entities
                )
            )
            if first.severity >= .high {
                recommend(
                    "Contain\(place.isEmpty ? " the hosts involved" : place): \(first.title.lowercased()).",
                    action: "contain \(hosts.first ?? first.rule ?? "")"
                )
            }
        case .elasticSecurity, .sentinel, .file, .text:
            let rule: RubricRule =
                switch first.severity {
                case .critical, .high: .alertCritical
                case .medium: .alertElevated
                case .low: .alertLow
                }
            let origin =
                first.source == .elasticSecurity ? "Elastic Security" : first.source == .sentinel ? "Sentinel" : "Alert"
            add(
                rule,
                title: "\(origin) \(first.sourceSeverity ?? "alert"): \(first.title)\(place)",
                detail: "\(times) the source rates \(first.sourceSeverity ?? "without a severity").",
                evidence: evidence,
                entities: entities,
                techniques: techniques
            )
        }
        for alert in group.prefix(3) {
            if let time = alert.time {
                mark(time.iso8601, "\(first.source.rawValue): \(first.title)", subject: alert.hosts.first)
            }
        }
    }

    /// Independent evidence raises one step: MEDIUM findings from two or more rules whose ATT&CK techniques differ
    /// make the incident HIGH (``RubricRule/corroborated``); LOW alerts from two or more such rules make it MEDIUM
    /// (``RubricRule/corroboratedLow``). A lone alert, however many times it fired, raises nothing.
    mutating func corroborate(_ alerts: [Alert]) {
        let top = findings.map(\.severity).max() ?? .low
        guard top <= .medium else { return }
        var rules = Set<String>()
        var techniques = Set<String>()
        // Independent means different events too: two rules matching one event are one piece of evidence.
        var events = Set<String>()
        for alert in alerts where alert.severity >= top {
            rules.insert(alert.source.rawValue + ":" + (alert.rule ?? alert.title))
            techniques.formUnion(alert.techniques.map { String($0.prefix(5)) })
            events.insert(alert.eventKey)
        }
        for finding in findings
        where finding.severity >= top && finding.kind != .sigmaDetection && finding.kind != .behaviour
            && finding.kind != .externalAlert
        {
            rules.insert(finding.rule ?? finding.title)
            techniques.formUnion(finding.attackTechniques.map { String($0.prefix(5)) })
            events.insert(finding.rule ?? finding.title)
        }
        guard rules.count >= 2, techniques.count >= 2, events.count >= 2 else { return }
        let rubric: RubricRule = top == .medium ? .corroborated : .corroboratedLow
        let row = rubric.row
        findings.append(
            Finding(
                title: phrase(
                    "Corroborated: \(rules.count) rules, \(techniques.count) ATT&CK techniques in one incident"
                ),
                severity: row.severity,
                detail: phrase(
                    "Independent detections point at the same hosts, accounts or addresses: \(techniques.sorted().joined(separator: ", "))."
                ),
                evidence: rules.sorted().prefix(10).map { $0 },
                attackTechniques: techniques.sorted(),
                kind: row.kind,
                rule: rubric.rawValue,
                entities: FindingEntities(
                    hosts: findings.flatMap(\.entities.hosts).uniqued(),
                    users: findings.flatMap(\.entities.users).uniqued(),
                    addresses: findings.flatMap(\.entities.addresses).uniqued()
                )
            )
        )
    }
}
