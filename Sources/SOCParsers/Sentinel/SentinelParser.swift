import SOCModel

/// Maps Microsoft Sentinel / Log Analytics rows onto ECS: `SecurityEvent` (through ``WindowsEventNormalizer``),
/// `Syslog` (through ``AuthMessageInterpreter``), `SigninLogs`, incidents (`SecurityIncident` rows and the
/// incidents REST resource), `SecurityAlert`, `AzureNetworkAnalytics_CL` flows, and any other table generically.
enum SentinelParser {
    /// Expands a JSON record into rows: a row object, a `{"tables": [...]}` query response, or `{"value": [...]}`.
    static func expand(
        _ root: JSONNode,
        record: UnsafeRawBufferPointer,
        context: inout ParseContext,
        format: LogFormat,
        into events: inout [SecurityEvent]
    ) throws(ParseError) {
        if let tables = root["tables"], tables.isArray {
            for table in tables.elements {
                let columns = table["columns"]?.elements.map { $0["name"]?.text ?? "" } ?? []
                guard let rows = table["rows"], rows.isArray else { throw ParseError("a table without rows") }
                for row in rows.elements {
                    var sentinelRow = SentinelRow()
                    for (index, cell) in row.elements.enumerated() where index < columns.count {
                        sentinelRow.add(columns[index], cellText(cell))
                    }
                    events.append(event(sentinelRow, raw: row.rawBytes, context: &context, format: format))
                }
            }
            return
        }
        if let value = root["value"], value.isArray {
            for element in value.elements where element.isObject {
                events.append(event(rowFromObject(element), raw: element.rawBytes, context: &context, format: format))
            }
            return
        }
        events.append(event(rowFromObject(root), raw: record, context: &context, format: format))
    }

    /// A row from an object; an incidents REST resource's `properties` are lifted to the top level.
    private static func rowFromObject(_ object: JSONNode) -> SentinelRow {
        var row = SentinelRow()
        object.forEachMember { name, value in
            if name == "properties" && value.isObject {
                value.forEachMember { inner, innerValue in row.add(inner, cellText(innerValue)) }
            } else {
                row.add(name, cellText(value))
            }
        }
        return row
    }

    /// A cell's text: scalars as written, objects and arrays as their JSON text (Log Analytics `dynamic`).
    private static func cellText(_ node: JSONNode) -> String {
        if let text = node.text { return text }
        if node.isNull { return "" }
        return String(decoding: node.rawBytes, as: UTF8.self)
    }

    /// Builds the event for one row.
    static func event(
        _ row: SentinelRow,
        raw: UnsafeRawBufferPointer,
        context: inout ParseContext,
        format: LogFormat
    ) -> SecurityEvent {
        let id = context.identifier(for: raw)
        let original = String(decoding: raw, as: UTF8.self)
        var event: SecurityEvent
        let type = row["Type"]
        if type == "SecurityEvent"
            || (type == nil && row.has("EventID")
                && (row.has("Activity") || row.has("Channel") || row.has("Account") || row.has("Computer")))
        {
            event = securityEvent(row, id: id, original: original, format: format)
        } else {
            event = SecurityEvent(id: id, original: original)
            event.timestamp = row.first(
                "TimeGenerated",
                "TimeCreatedUtc",
                "EventTime",
                "CreatedDateTime",
                "createdTimeUtc"
            ).flatMap { TimestampParser.parse($0) }
            event[ECSField.sourceFormat] = .string(format.name)
            event.set(ECSField.hostName, row.first("Computer", "HostName", "VMName", "CompromisedEntity"))
            if type == "Syslog" || row.has("SyslogMessage") {
                syslog(row, into: &event, context: context)
            } else if type == "SigninLogs" || type == "AADNonInteractiveUserSignInLogs"
                || (row.has("UserPrincipalName") && row.has("ResultType"))
            {
                signIn(row, into: &event)
            } else if type == "SecurityIncident" || row.has("IncidentNumber") || row.has("incidentNumber") {
                incident(row, into: &event)
            } else if type == "SecurityAlert" || row.has("AlertName") {
                alert(row, into: &event)
            } else if row.has("FlowDirection") || row.has("DestPort") && row.has("L7Protocol") {
                networkFlow(row, into: &event)
            } else {
                event.set(
                    ECSField.message,
                    row.first("Message", "AuditdMessage", "Description", "RenderedDescription", "Activity")
                )
            }
            for column in row.columns where !column.value.isEmpty && !column.name.isEmpty {
                event.setIfMissing("sentinel." + ECSField.component(column.name), column.value)
            }
        }
        if let table = type { event.set(ECSField.eventDataset, "sentinel." + table) }
        event.set(ECSField.logFilePath, context.path)
        WindowsEventNormalizer.addRelated(&event)
        event.completeClassification(fallbackAction: type.map { "sentinel-" + $0 } ?? "sentinel-row")
        return event
    }

    private static func securityEvent(
        _ row: SentinelRow,
        id: EventIdentifier,
        original: String,
        format: LogFormat
    ) -> SecurityEvent {
        var record = WindowsEventRecord(eventID: Int(row["EventID"] ?? "") ?? 0)
        record.channel = row["Channel"] ?? "Security"
        record.provider = row["EventSourceName"] ?? "Microsoft-Windows-Security-Auditing"
        record.computer = row["Computer"]
        record.timestamp = row.first("TimeGenerated", "TimeCreatedUtc").flatMap { TimestampParser.parse($0) }
        record.level = row["Level"]
        record.message = row["Activity"]
        var fromXML: [(String, String)] = []
        if let xml = row["EventData"], xml.contains("<") {
            fromXML = WindowsEventXML.dataFields(xml)
        }
        let skip: Set<String> = [
            "TimeGenerated", "Computer", "EventID", "Channel", "EventSourceName", "Level", "Activity", "EventData",
            "Type", "TenantId", "SourceSystem", "_ResourceId", "MG", "ManagementGroupName", "SourceComputerId",
            "EventOriginId", "Task", "AccountType", "Account", "LogonTypeName",
        ]
        for (name, value) in fromXML { record.addData(name, value) }
        for column in row.columns where !skip.contains(column.name) && !column.name.isEmpty && !column.value.isEmpty {
            if record.data(column.name) == nil { record.addData(column.name, column.value) }
        }
        var event = WindowsEventNormalizer.makeEvent(record, id: id, original: original, format: format)
        if event[ECSField.userName] == nil, let account = row["Account"] {
            if let slash = account.firstIndex(of: "\\") {
                event.set(ECSField.userDomain, String(account[..<slash]))
                event.set(ECSField.userName, String(account[account.index(after: slash)...]))
            } else {
                event.set(ECSField.userName, account)
            }
        }
        return event
    }

    private static func syslog(_ row: SentinelRow, into event: inout SecurityEvent, context: ParseContext) {
        let message = row["SyslogMessage"] ?? ""
        event.set(ECSField.message, message)
        event.set(ECSField.logSyslogFacility, row["Facility"])
        event.set(ECSField.logLevel, row["SeverityLevel"])
        event.set(ECSField.hostIP, row["HostIP"])
        let program = row["ProcessName"] ?? ""
        if let pid = row["ProcessID"].flatMap({ Int64($0) }) { event[ECSField.processPID] = .integer(pid) }
        event.set(ECSField.processName, program)
        event[ECSField.eventModule] = .string("system")
        AuthMessageInterpreter.interpret(program, message, into: &event)
    }

    private static func signIn(_ row: SentinelRow, into event: inout SecurityEvent) {
        let success = row["ResultType"] == "0"
        event[ECSField.eventCategory] = .strings(["authentication"])
        event[ECSField.eventType] = .strings(["start"])
        event[ECSField.eventAction] = .string("sign-in")
        event[ECSField.eventOutcome] = .string(success ? "success" : "failure")
        event[ECSField.eventModule] = .string("azure")
        event.set(ECSField.userName, row["UserPrincipalName"])
        event.set("user.full_name", row["UserDisplayName"])
        event.set(ECSField.userID, row["UserId"])
        WindowsEventNormalizer.setIP(&event, ECSField.sourceIP, row["IPAddress"])
        event.set("source.geo.country_iso_code", row["Location"])
        event.set("user_agent.original", row["UserAgent"])
        event.set("azure.signinlogs.app_display_name", row["AppDisplayName"])
        if !success {
            event.set(ECSField.eventReason, row["ResultDescription"])
            event.set("azure.signinlogs.result_type", row["ResultType"])
        }
        event.set(ECSField.message, row["ResultDescription"])
    }

    private static func incident(_ row: SentinelRow, into event: inout SecurityEvent) {
        event[ECSField.eventKind] = .string("alert")
        event[ECSField.eventCategory] = .strings(["intrusion_detection"])
        event[ECSField.eventAction] = .string("sentinel-incident")
        event.set("rule.name", row.first("Title", "title"))
        let severity = row.first("Severity", "severity")
        event.set("event.severity_name", severity)
        if let score = severity.flatMap(severityScore) { event[ECSField.eventSeverity] = .integer(score) }
        let title = row.first("Title", "title") ?? "Sentinel incident"
        let description = row.first("Description", "description")
        event.set(ECSField.message, description.map { title + ": " + $0 } ?? title)
        if event.timestamp == nil {
            event.timestamp = row.first("CreatedTime", "createdTimeUtc", "firstActivityTimeUtc").flatMap {
                TimestampParser.parse($0)
            }
        }
    }

    private static func alert(_ row: SentinelRow, into event: inout SecurityEvent) {
        event[ECSField.eventKind] = .string("alert")
        event[ECSField.eventCategory] = .strings(["intrusion_detection"])
        event[ECSField.eventAction] = .string("sentinel-alert")
        event.set("rule.name", row.first("AlertName", "DisplayName"))
        let severity = row["AlertSeverity"]
        event.set("event.severity_name", severity)
        if let score = severity.flatMap(severityScore) { event[ECSField.eventSeverity] = .integer(score) }
        let title = row.first("DisplayName", "AlertName") ?? "Sentinel alert"
        event.set(ECSField.message, row["Description"].map { title + ": " + $0 } ?? title)
    }

    private static func networkFlow(_ row: SentinelRow, into event: inout SecurityEvent) {
        event[ECSField.eventCategory] = .strings(["network"])
        event[ECSField.eventType] = .strings(["connection"])
        event[ECSField.eventAction] = .string("network-flow")
        let outbound = row["FlowDirection"] == "O"
        event[ECSField.networkDirection] = .string(outbound ? "egress" : "ingress")
        let publicIP = row["PublicIPs"].flatMap(firstAddress) ?? row["AllExtIPs"].flatMap(firstAddress)
        let local = row.first("VMIPAddress", "SrcIP")
        let source = row["SrcIP"] ?? (outbound ? local : publicIP)
        let destination = row["DestIP"] ?? (outbound ? publicIP : local)
        WindowsEventNormalizer.setIP(&event, ECSField.sourceIP, source)
        WindowsEventNormalizer.setIP(&event, ECSField.destinationIP, destination)
        if let port = row["DestPort"].flatMap({ Double($0) }).flatMap({ Int64(exactly: $0) }) {
            event[ECSField.destinationPort] = .integer(port)
        }
        event.set(ECSField.networkProtocol, row["L7Protocol"])
        switch row["L4Protocol"] {
        case "T": event[ECSField.networkTransport] = .string("tcp")
        case "U": event[ECSField.networkTransport] = .string("udp")
        default: break
        }
    }

    /// The first IP address in text such as `['65.55.44.109']` or `1.2.3.4,5.6.7.8`.
    private static func firstAddress(_ text: String) -> String? {
        let separators: Set<Character> = ["[", "]", "'", "\"", ",", " ", ";"]
        return text.split(whereSeparator: { separators.contains($0) }).map(String.init).first { IPAddressText.isIP($0) }
    }

    private static func severityScore(_ severity: String) -> Int64? {
        switch severity.lowercased() {
        case "informational": 21
        case "low": 21
        case "medium": 47
        case "high": 73
        case "critical": 99
        default: nil
        }
    }
}
