public import SOCModel

/// Turns `.evtx` records into ``SecurityEvent``s through the one Windows normalizer.
public enum EVTXEvents {
    /// The tag on events recovered from slack space.
    public static let slackTag = "evtx-slack-recovered"

    /// The event for a record.
    /// - Parameters:
    ///   - record: The record.
    ///   - bytes: The record's bytes in the file; the identifier is their hash.
    ///   - context: The input's context.
    public static func event(
        _ record: EVTXRecord,
        bytes: UnsafeRawBufferPointer,
        context: inout ParseContext
    ) -> SecurityEvent {
        var event = WindowsEventNormalizer.makeEvent(
            record.event,
            id: context.identifier(for: bytes),
            original: original(record.event),
            format: .evtx
        )
        event.set(ECSField.logFilePath, context.path)
        if record.recovered { event.append(ECSField.tags, slackTag) }
        return event
    }

    /// The record as EVTX-JSON (`{"Event":{"System":…,"EventData":…}}`) with the parts the normalizer reads, so
    /// `event.original` can be searched and read back like an evtx-rs conversion.
    static func original(_ record: WindowsEventRecord) -> String {
        var writer = JSONWriter(capacity: 512)
        writer.raw("{\"Event\":{\"System\":{")
        if let provider = record.provider {
            writer.raw("\"Provider\":{\"#attributes\":{\"Name\":")
            writer.string(provider)
            writer.raw("}},")
        }
        writer.raw("\"EventID\":")
        writer.integer(Int64(record.eventID))
        if let level = record.level {
            writer.raw(",\"Level\":")
            writer.string(level)
        }
        if let timestamp = record.timestamp {
            writer.raw(",\"TimeCreated\":{\"#attributes\":{\"SystemTime\":")
            writer.string(EVTXText.iso(microseconds: timestamp.microsecondsSinceEpoch))
            writer.raw("}}")
        }
        if let recordID = record.recordID {
            writer.raw(",\"EventRecordID\":")
            writer.integer(recordID)
        }
        if let processID = record.processID {
            writer.raw(",\"Execution\":{\"#attributes\":{\"ProcessID\":")
            writer.integer(processID)
            writer.raw("}}")
        }
        for (key, value) in [("Channel", record.channel), ("Computer", record.computer)] as [(StaticString, String?)] {
            guard let value else { continue }
            writer.raw(",\"")
            writer.raw(key)
            writer.raw("\":")
            writer.string(value)
        }
        if let sid = record.userSID {
            writer.raw(",\"Security\":{\"#attributes\":{\"UserID\":")
            writer.string(sid)
            writer.raw("}}")
        }
        writer.raw("},\"EventData\":{")
        for (index, field) in record.eventData.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(field.name)
            writer.byte(UInt8(ascii: ":"))
            writer.string(field.value)
        }
        writer.raw("}}}")
        return writer.text
    }
}
