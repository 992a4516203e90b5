import SOCModel

/// Reads Elastic Beats documents (ECS): Winlogbeat 7/8 before or after the ingest pipeline, Filebeat, Packetbeat,
/// or any JSON object whose keys are ECS names.
///
/// Windows events (`winlog.*`) go through ``WindowsEventNormalizer`` from their raw `winlog.event_data`, so a raw
/// Winlogbeat event and the same event after Elastic's pipeline give the same fields; the document's own ECS fields
/// then fill in whatever the normalizer did not set.
enum ECSDocument {
    static func event(
        _ root: JSONNode,
        id: EventIdentifier,
        original: String,
        context: ParseContext
    ) throws(ParseError)
        -> SecurityEvent
    {
        var event: SecurityEvent
        let timestamp = root["@timestamp"]?.text.flatMap { TimestampParser.parse($0) }
        if let winlog = root["winlog"], winlog.isObject,
            let eventID = winlog["event_id"]?.integer ?? root["event"]?["code"]?.integer
        {
            var record = WindowsEventRecord(eventID: Int(eventID))
            record.channel = winlog["channel"]?.text
            record.provider = winlog["provider_name"]?.text ?? root["event"]?["provider"]?.text
            record.computer = winlog["computer_name"]?.text ?? root["host"]?["name"]?.text
            record.recordID = winlog["record_id"]?.integer
            record.level = root["log"]?["level"]?.text
            record.userSID = winlog["user"]?["identifier"]?.text
            record.processID = winlog["process"]?["pid"]?.integer
            record.message = root["message"]?.text
            record.timestamp = timestamp
            for key in ["event_data", "user_data"] as [StaticString] {
                winlog[key]?.forEachMember { name, value in
                    if let text = EVTXJSON.textOrHashText(value), name != "xml_name" { record.addData(name, text) }
                }
            }
            event = WindowsEventNormalizer.makeEvent(record, id: id, original: original, format: .ecs)
        } else {
            event = SecurityEvent(id: id, timestamp: timestamp, original: original)
            event[ECSField.sourceFormat] = .string(LogFormat.ecs.name)
            event.set(ECSField.message, root["message"]?.text)
        }
        flatten(root, into: &event)
        for field in [ECSField.sourceIP, ECSField.destinationIP] {
            if let address = event.string(field).flatMap(IPAddress.init) { event[field] = .string(address.description) }
        }
        if event[ECSField.eventCategory] == nil, let message = event.string(ECSField.message) {
            // Filebeat without its ingest pipeline ships the raw syslog line: read it as syslog.
            if let parsed = SyslogLine.parse(message, context: context) {
                AuthMessageInterpreter.interpret(parsed.program, parsed.message, into: &event)
                if event.timestamp == nil { event.timestamp = parsed.timestamp }
                event.setIfMissing(ECSField.hostName, parsed.host)
            }
        }
        if let category = event[ECSField.eventCategory], case .string(let single) = category {
            event[ECSField.eventCategory] = .strings([single])
        }
        WindowsEventNormalizer.addRelated(&event)
        event.completeClassification(
            fallbackAction: event.string(ECSField.processName).map { $0.lowercased() } ?? "log-event"
        )
        return event
    }

    /// Copies leaf values into dotted fields that are not set yet. `winlog.event_data` is already mapped.
    ///
    /// The dotted name is built in a reusable byte buffer and becomes a `String` only when the field is new, since
    /// most of a pipeline-processed document repeats what the normalizer already set.
    private static func flatten(_ node: JSONNode, into event: inout SecurityEvent) {
        var path: [UInt8] = []
        path.reserveCapacity(128)
        flatten(node, path: &path, into: &event)
    }

    private static func flatten(_ node: JSONNode, path: inout [UInt8], into event: inout SecurityEvent) {
        node.forEachMemberRaw { key, value in
            let start = path.count
            if start > 0 { path.append(UInt8(ascii: ".")) }
            path.append(contentsOf: key)
            defer { path.removeSubrange(start...) }
            if start == 0, isSkippedTopLevel(key) { return }
            if value.kind == .object {
                if isSkippedWinlog(path) { return }
                flatten(value, path: &path, into: &event)
                return
            }
            if value.kind == .null { return }
            let present = path.withUnsafeBufferPointer { event.fields.contains(utf8: $0) }
            guard !present else { return }
            let name = String(decoding: path, as: UTF8.self)
            switch value.kind {
            case .array:
                let texts = value.elements.compactMap(\.text)
                if !texts.isEmpty { event[name] = .strings(texts) }
            case .integer:
                if let number = value.integer { event[name] = .integer(number) }
            default:
                if let text = value.text { event[name] = .string(text) }
            }
        }
    }

    private static func isSkippedTopLevel(_ key: UnsafeRawBufferPointer) -> Bool {
        // socagent sets these itself: @timestamp, message, @metadata (a Beats transport detail).
        key.elementsEqual("@timestamp".utf8) || key.elementsEqual("message".utf8) || key.elementsEqual("@metadata".utf8)
    }

    private static func isSkippedWinlog(_ path: [UInt8]) -> Bool {
        path.elementsEqual("winlog.event_data".utf8) || path.elementsEqual("winlog.user_data".utf8)
            || path.elementsEqual("event.original".utf8)
    }
}
