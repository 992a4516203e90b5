public import SOCDetection
public import SOCModel
import SOCParsers
public import SOCStore

/// How each source's records become one typed ``Alert``.
extension Alert {
    /// A Sigma detection `socagent hunt` saved: one alert per rule and event, rated by what the rule's level means
    /// (``Alert/severity(fromSource:)``).
    public init(detection: StoredDetection) {
        var processes: [String] = []
        var users: [String] = []
        var addresses: [String] = []
        var hashes: [String] = []
        for (name, value) in detection.fields.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let lower = name.lowercased()
            if lower.hasSuffix("image") || lower.hasSuffix("commandline") || lower.hasSuffix("command_line")
                || lower.hasPrefix("process.")
            {
                processes.append(value)
            } else if lower.hasSuffix("user") || lower.hasSuffix("username") || lower.hasSuffix("user.name") {
                users.append(value)
            } else if lower.hasSuffix("ip") || lower.hasSuffix(".ip") || lower.hasSuffix("address") {
                if IPAddress(value) != nil { addresses.append(value) }
            } else if lower.contains("hash") || lower.hasSuffix("sha256") || lower.hasSuffix("md5") {
                hashes.append(value)
            }
        }
        let evidence = detection.fields.sorted(by: { $0.key < $1.key }).prefix(8).map { "\($0.key)=\($0.value)" }
        self.init(
            source: .sigma,
            id: "sigma:\(detection.ruleID):\(detection.eventID)",
            time: detection.instant,
            title: detection.title,
            rule: detection.ruleID,
            sourceSeverity: detection.level.rawValue,
            severity: Alert.severity(fromSource: detection.level.rawValue),
            hosts: detection.host.map { [$0] } ?? [],
            users: users,
            addresses: addresses,
            processes: Array(processes.prefix(5)),
            hashes: hashes,
            techniques: detection.techniques,
            text: "Sigma \(detection.level.rawValue): \(detection.title) on \(detection.host ?? "?") — "
                + evidence.joined(separator: " ")
        )
    }

    /// Failed logins from one address (``EventStore/bruteForce(_:minimumFailures:)``): a brute force or a spray,
    /// with its later successes. The id names the address and its first failure, so reading the same failures
    /// again names the same alert.
    public init(bruteForce source: BruteForceSource) {
        let spraying = source.users >= 5
        let succeeded = source.successes > 0
        let rule = (succeeded ? PlaybookAlertRule.logonAfterBruteForce : spraying ? .passwordSpraying : .bruteForce)
            .rawValue
        let title =
            succeeded
            ? "Successful logon after \(source.failures) failed logins from \(source.sourceIP)"
            : spraying
                ? "Password spraying from \(source.sourceIP): \(source.failures) failed logins against \(source.users) accounts"
                : "Brute force from \(source.sourceIP): \(source.failures) failed logins"
        self.init(
            source: .behaviour,
            id: "behaviour:\(rule):\(source.sourceIP):\(source.firstSeen ?? "")",
            time: source.lastSeen.flatMap { TimestampParser.parse($0) }
                ?? source.firstSeen.flatMap { TimestampParser.parse($0) },
            title: title,
            rule: rule,
            severity: succeeded ? .high : .medium,
            // The accounts tried are targets, not entities the attack shares with others (every SSH brute force
            // tries root): only after a success do they tie alerts together.
            users: succeeded ? source.userNames : [],
            addresses: [source.sourceIP],
            techniques: succeeded ? ["T1110", "T1078"] : spraying ? ["T1110.003"] : ["T1110.001"],
            count: 1,
            text: "\(title) (\(source.users) account\(source.users == 1 ? "" : "s"): "
                + source.userNames.prefix(5).joined(separator: ", ")
                + "; first \(source.firstSeen ?? "?"), last \(source.lastSeen ?? "?"), \(source.successes) later successful logon\(source.successes == 1 ? "" : "s"))"
        )
    }

    /// A process start a process rule flags (``InvestigationRules``), rated by the worst rule it matched.
    public init(process finding: ProcessFinding) {
        let rules = finding.rules.compactMap { InvestigationRules.processRule(id: $0) }
        let worst = rules.max { $0.severity < $1.severity }
        let event = finding.event
        self.init(
            source: .behaviour,
            id: "behaviour:\(worst?.id ?? "process"):\(event.id)",
            time: event.timestamp.flatMap { TimestampParser.parse($0) },
            title: (worst?.reason ?? "suspicious process").capitalizedFirstLetter,
            rule: worst?.id,
            severity: worst?.severity ?? .low,
            hosts: event.host.map { [$0] } ?? [],
            users: event.user.map { [$0] } ?? [],
            addresses: [event.sourceIP].compactMap { $0 },
            processes: [event.commandLine ?? event.processExecutable ?? event.processName].compactMap { $0 },
            techniques: Array(Set(rules.map(\.technique))).sorted(),
            text: "\(finding.reasons.joined(separator: "; ")) on \(event.host ?? "?") by \(event.user ?? "?"): "
                + (event.commandLine ?? event.script ?? event.processName ?? "")
        )
    }

    /// A record read from an alert file, standard input or an alert index: an Elastic Security alert (8.x
    /// `kibana.alert.*` or 7.x `signal.*`), a Sentinel incident or alert, or any event (its rule or message the
    /// title). Entities come from the record's fields (``IndicatorExtractor/extract(from:)``); the id is the
    /// source's own where it has one, else the record's content digest.
    public init(record event: SecurityEvent) {
        let indicators = IndicatorExtractor.extract(from: event)
        let source: AlertSource
        let nativeID: String?
        let title: String?
        let severityWord: String?
        let rule: String?
        var techniques: [String] = []
        if let name = event.string("kibana.alert.rule.name") ?? event.string("signal.rule.name") {
            source = .elasticSecurity
            nativeID = event.string("kibana.alert.uuid") ?? event.string("signal.id") ?? event.string("_id")
            title = name
            severityWord =
                event.string("kibana.alert.severity") ?? event.string("signal.rule.severity")
                ?? event.string("kibana.alert.rule.severity")
            rule =
                event.string("kibana.alert.rule.uuid") ?? event.string("kibana.alert.rule.rule_id")
                ?? event.string("signal.rule.rule_id") ?? event.string("signal.rule.id")
            for field in [
                "kibana.alert.rule.threat.technique.id", "kibana.alert.rule.threat.technique.subtechnique.id",
                "signal.rule.threat.technique.id", "signal.rule.threat.technique.subtechnique.id",
                "threat.technique.id",
            ] {
                techniques += event[field]?.stringValues ?? []
            }
        } else if let action = event.action, action == "sentinel-incident" || action == "sentinel-alert" {
            source = .sentinel
            nativeID =
                event.string("IncidentNumber") ?? event.string("SystemAlertId") ?? event.string("event.id")
            title = event.string("rule.name")
            severityWord = event.string("event.severity_name")
            rule = event.string("rule.name")
        } else {
            source = .file
            nativeID = nil
            title = event.string("rule.name")
            severityWord = event.string("event.severity_name") ?? event.string("log.level")
            rule = event.string("rule.id") ?? event.string("rule.name")
            techniques += event["threat.technique.id"]?.stringValues ?? []
        }
        let message = event.string(ECSField.message) ?? event.original
        self.init(
            source: source,
            id: "\(source.rawValue):\(nativeID.map { "\($0)" } ?? event.id.hex)",
            time: event.timestamp,
            title: String((title ?? message.prefix { $0 != "\n" }.description).prefix(200)),
            rule: rule,
            sourceSeverity: severityWord,
            severity: Alert.severity(fromSource: severityWord),
            hosts: Self.spelledOnce([event.string(ECSField.hostName)].compactMap { $0 } + indicators.hosts),
            users: Self.spelledOnce([event.string(ECSField.userName)].compactMap { $0 } + indicators.users),
            addresses: indicators.ips.filter { IPAddress($0) != nil },
            processes: [event.string(ECSField.processCommandLine) ?? event.string(ECSField.processExecutable)]
                .compactMap { $0 },
            hashes: indicators.hashes,
            techniques: Array(Set(techniques.filter { $0.hasPrefix("T") })).sorted(),
            text: event.original.isEmpty ? message : event.original,
            event: event
        )
    }
}

extension Alert {
    /// `values` with later spellings of an earlier value (any case) left out: the record's own spelling first.
    static func spelledOnce(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
    }
}

extension String {
    var capitalizedFirstLetter: String { prefix(1).uppercased() + dropFirst() }
}

extension Alert {
    /// A behaviour rule's hit (``BehaviourEngine``): one alert per rule and host (or source), rated by the rule.
    /// The id names the rule, the grouping entity and the first event, so scanning the same events again names the
    /// same alert.
    public init(behaviour hit: BehaviourHit) {
        let anchor = hit.hosts.first ?? hit.addresses.first ?? hit.users.first ?? ""
        let place = hit.hosts.isEmpty ? "" : " on \(hit.hosts.prefix(3).joined(separator: ", "))"
        self.init(
            source: .behaviour,
            id: "behaviour:\(hit.rule.id):\(anchor.lowercased()):\(hit.eventIDs.first ?? hit.firstSeen?.iso8601 ?? "")",
            time: hit.lastSeen ?? hit.firstSeen,
            title: hit.rule.title,
            rule: hit.rule.id,
            severity: hit.rule.severity,
            hosts: hit.hosts,
            users: hit.users,
            addresses: hit.addresses,
            processes: hit.processes,
            techniques: hit.rule.techniques,
            count: max(1, hit.count),
            text: "\(hit.rule.title)\(place): \(hit.count) event\(hit.count == 1 ? "" : "s") — "
                + hit.evidence.prefix(3).joined(separator: " | ")
        )
    }
}
