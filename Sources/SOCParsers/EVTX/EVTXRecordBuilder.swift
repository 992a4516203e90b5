import SOCModel

/// One substitution value of a template instance: its type and where its bytes are in the chunk.
struct BinXMLSubstitution {
    var type: UInt8
    var offset: Int
    var size: Int
}

/// Walks a record's BinXML (template instances, their compiled templates and substitution values) and fills a
/// ``WindowsEventRecord`` straight from it, with the meaning evtx-rs's JSON view gives each element: no XML tree is
/// built, and a value is only turned into text when the record needs it.
///
/// One builder serves one chunk: names and templates are cached by their chunk offset.
struct EVTXRecordBuilder {
    /// The deepest element nesting and embedded-fragment nesting accepted.
    static let maximumDepth = 64
    static let maximumFragmentNesting = 8

    let chunk: UnsafeRawBufferPointer
    private var compiler = BinXMLCompiler()
    private var templates: [UInt32: BinXMLFragment] = [:]
    /// The template used last: consecutive records mostly share one.
    private var lastTemplate: (offset: UInt32, template: BinXMLFragment)?
    /// Template offsets that could not be compiled, with why: a damaged chunk is not compiled again for each record.
    private var brokenTemplates: [UInt32: BinXMLError] = [:]
    /// The substitution values of the template instances being walked, innermost last.
    private var values: [BinXMLSubstitution] = []
    private var sink = RecordSink()

    init(chunk: UnsafeRawBufferPointer) {
        self.chunk = chunk
        values.reserveCapacity(64)
    }

    /// The record whose BinXML is `range` of the chunk.
    mutating func build(_ range: Range<Int>) throws(BinXMLError) -> WindowsEventRecord {
        sink.reset()
        values.removeAll(keepingCapacity: true)
        var cursor = BinXMLCursor(chunk, at: range.lowerBound, end: range.upperBound)
        try walkFragment(&cursor, nesting: 0)
        return try sink.finish()
    }

    /// Walks one fragment: a header, then a template instance or plain elements, until its end.
    private mutating func walkFragment(_ cursor: inout BinXMLCursor, nesting: Int) throws(BinXMLError) {
        guard nesting <= EVTXRecordBuilder.maximumFragmentNesting else {
            throw BinXMLError("embedded BinXML nested more than \(EVTXRecordBuilder.maximumFragmentNesting) deep")
        }
        while cursor.remaining > 0 {
            let token = cursor.bytes[cursor.position]
            switch token & 0xBF {
            case BinXMLToken.endOfFragment:
                cursor.position += 1
                return
            case BinXMLToken.fragmentHeader:
                try cursor.skip(4)
            case BinXMLToken.templateInstance:
                try cursor.skip(1)
                try walkTemplateInstance(&cursor, nesting: nesting)
            default:
                let fragment = try compiler.compile(&cursor, inTemplate: false)
                try walk(fragment, base: values.count, count: 0, nesting: nesting)
                return
            }
        }
    }

    private mutating func walkTemplateInstance(_ cursor: inout BinXMLCursor, nesting: Int) throws(BinXMLError) {
        try cursor.skip(1)  // unknown
        _ = try cursor.u32()  // template identifier
        let definition = try cursor.u32()
        if Int(definition) == cursor.position {
            // The definition is written here, in the first record that uses it: skip over it.
            try cursor.skip(20)
            let size = Int(try cursor.u32())
            try cursor.skip(size)
        }
        let template = try self.template(at: definition)
        let count = Int(try cursor.u32())
        guard count <= cursor.remaining / 4 else {
            throw BinXMLError("substitution count \(count) larger than the record at offset \(cursor.position)")
        }
        let base = values.count
        var valueOffset = cursor.position + count * 4
        for index in 0..<count {
            let descriptor = cursor.position + index * 4
            let size = Int(chunk.le16(descriptor))
            let type = chunk[descriptor + 2]
            values.append(BinXMLSubstitution(type: type, offset: valueOffset, size: size))
            valueOffset += size
        }
        guard valueOffset <= cursor.end else {
            throw BinXMLError("substitution values run past the end of the record at offset \(cursor.position)")
        }
        cursor.position = valueOffset
        defer { values.removeSubrange(base...) }
        try walk(template, base: base, count: count, nesting: nesting)
    }

    /// The compiled template defined at `offset` in the chunk, compiled on first use.
    private mutating func template(at offset: UInt32) throws(BinXMLError) -> BinXMLFragment {
        if let last = lastTemplate, last.offset == offset { return last.template }
        if let template = templates[offset] {
            lastTemplate = (offset, template)
            return template
        }
        if let error = brokenTemplates[offset] { throw error }
        do throws(BinXMLError) {
            var header = BinXMLCursor(chunk, at: Int(offset), end: chunk.count)
            try header.skip(20)  // next template offset, GUID
            let size = Int(try header.u32())
            var body = BinXMLCursor(chunk, at: header.position, end: header.position + size)
            try body.need(size)
            let template = try compiler.compile(&body, inTemplate: true)
            templates[offset] = template
            return template
        } catch {
            let failure = BinXMLError("template at offset \(offset): \(error.reason)")
            brokenTemplates[offset] = failure
            throw failure
        }
    }

    private mutating func walk(
        _ fragment: BinXMLFragment,
        base: Int,
        count: Int,
        nesting: Int
    ) throws(BinXMLError) {
        for op in fragment.ops {
            switch op.kind {
            case .open: try sink.open(op.name, fragment.strings[Int(op.operand)])
            case .attribute: sink.attribute(op.name)
            case .closeStart: sink.closeStart()
            case .closeEmpty, .end: try sink.end()
            case .text: if sink.wantsValue { sink.text(fragment.strings[Int(op.operand)]) }
            case .substitution, .optionalSubstitution:
                let index = Int(op.operand)
                guard index < count else { continue }
                let value = values[base + index]
                if value.type == BinXMLValueType.binXML {
                    var inner = BinXMLCursor(chunk, at: value.offset, end: value.offset + value.size)
                    try walkFragment(&inner, nesting: nesting + 1)
                } else if value.type != BinXMLValueType.null, sink.wantsValue {
                    sink.value(
                        type: value.type,
                        UnsafeRawBufferPointer(rebasing: chunk[value.offset..<(value.offset + value.size)])
                    )
                }
            }
        }
    }
}

/// Builds a ``WindowsEventRecord`` from element events, as the EVTX-JSON reader reads evtx-rs's JSON view:
/// `System` children by name, `EventData` children by their `Name` attribute (unnamed `Data` joined with commas,
/// repeated names numbered `_1`, `_2`), `UserData`'s grandchildren by element name.
private struct RecordSink {
    private enum AttributeTarget { case none, provider, systemTime, processID, userID, dataName }

    private var record = WindowsEventRecord(eventID: 0)
    private var eventIDText: String?
    /// The open elements' kinds, outermost first: a fixed stack, as deep as ``EVTXRecordBuilder/maximumDepth``.
    private var kinds = ElementStack()
    private var captureDepth = -1
    private var captureKind = BinXMLNameKind.other
    private var captureName = ""
    private var captureDataName: String?
    private var captureText: String?
    private var attribute = AttributeTarget.none
    private var inAttribute = false
    private var attributeText: String?
    private var eventDataText: String?
    private var unnamedDataIndex: Int?
    private var containerNames = ContainerNames()

    init() {}

    mutating func reset() {
        record = WindowsEventRecord(eventID: 0)
        record.eventData.reserveCapacity(24)
        eventIDText = nil
        kinds.removeAll()
        captureDepth = -1
        inAttribute = false
        attribute = .none
        eventDataText = nil
        unnamedDataIndex = nil
        containerNames.removeAll()
    }

    /// Whether the next value is needed at all (values nobody reads are never decoded).
    var wantsValue: Bool {
        if inAttribute { return attribute != .none }
        let depth = kinds.count
        if captureDepth >= 0 { return depth - 1 == captureDepth }
        return depth == 2 && kinds[1] == .eventData
    }

    mutating func open(_ kind: BinXMLNameKind, _ name: String) throws(BinXMLError) {
        finishAttribute()
        let depth = kinds.count
        guard depth < EVTXRecordBuilder.maximumDepth else {
            throw BinXMLError("elements nested more than \(EVTXRecordBuilder.maximumDepth) deep")
        }
        if captureDepth < 0 {
            if depth == 2 && kinds[1] == .system {
                startCapture(kind, name, depth: depth)
            } else if depth == 2 && kinds[1] == .eventData {
                startCapture(kind, name, depth: depth)
            } else if depth == 3 && kinds[1] == .userData {
                startCapture(kind, name, depth: depth)
            } else if (depth == 1 && kind == .eventData) || (depth == 2 && kinds[1] == .userData) {
                containerNames.removeAll()
                unnamedDataIndex = nil
            }
        }
        kinds.append(kind)
    }

    private mutating func startCapture(_ kind: BinXMLNameKind, _ name: String, depth: Int) {
        captureDepth = depth
        captureKind = kind
        captureName = name
        captureDataName = nil
        captureText = nil
    }

    mutating func attribute(_ name: BinXMLNameKind) {
        finishAttribute()
        inAttribute = true
        attributeText = nil
        let element = kinds.last ?? .other
        let depth = kinds.count - 1
        switch (element, name) {
        case (.provider, .nameAttribute) where captureDepth == depth: attribute = .provider
        case (.timeCreated, .systemTime) where captureDepth == depth: attribute = .systemTime
        case (.execution, .processID) where captureDepth == depth: attribute = .processID
        case (.security, .userID) where captureDepth == depth: attribute = .userID
        case (.data, .nameAttribute) where captureDepth == depth && kinds.count >= 2 && kinds[1] == .eventData:
            attribute = .dataName
        default: attribute = .none
        }
    }

    mutating func closeStart() { finishAttribute() }

    /// Literal text, which the caller passes only when ``wantsValue``.
    mutating func text(_ text: String) {
        append(text)
    }

    mutating func value(type: UInt8, _ bytes: UnsafeRawBufferPointer) {
        if inAttribute, attribute == .systemTime, type == BinXMLValueType.fileTime, bytes.count == 8 {
            let microseconds = EVTXText.microseconds(fileTime: bytes.le64(0))
            if microseconds < 253_402_300_800_000_000 {
                record.timestamp = Timestamp(microsecondsSinceEpoch: microseconds)
                attribute = .none
                return
            }
        }
        guard let text = EVTXText.render(type: type, bytes) else { return }
        append(text)
    }

    private mutating func append(_ text: String) {
        if inAttribute {
            if let previous = attributeText { attributeText = previous + text } else { attributeText = text }
        } else if captureDepth >= 0 {
            if let previous = captureText { captureText = previous + text } else { captureText = text }
        } else {
            if let previous = eventDataText { eventDataText = previous + text } else { eventDataText = text }
        }
    }

    @inline(__always)
    private mutating func finishAttribute() {
        if inAttribute { assignAttribute() }
    }

    /// Gives the attribute just read to its field.
    private mutating func assignAttribute() {
        inAttribute = false
        let text = attributeText.take()
        switch attribute {
        case .none: break
        case .provider: record.provider = text
        case .systemTime: record.timestamp = text.flatMap { TimestampParser.parse($0) }
        case .processID: record.processID = text.flatMap(parseInteger)
        case .userID: record.userSID = text
        case .dataName: captureDataName = text
        }
        attribute = .none
    }

    mutating func end() throws(BinXMLError) {
        finishAttribute()
        guard kinds.count > 0 else { throw BinXMLError("end of an element that was not started") }
        let closed = kinds.removeLast()
        let depth = kinds.count
        if depth == captureDepth {
            captureDepth = -1
            finishCapture()
        } else if depth == 1, closed == .eventData, let text = eventDataText {
            eventDataText = nil
            record.addData("Data", text)
        }
    }

    private mutating func finishCapture() {
        let value = captureText.take()
        if kinds.count == 2 && kinds[1] == .system {
            switch captureKind {
            case .eventID: eventIDText = value
            case .level: record.level = value
            case .eventRecordID: record.recordID = value.flatMap(parseInteger)
            case .channel: record.channel = value
            case .computer: record.computer = value
            default: break
            }
            return
        }
        if captureKind == .data && captureDataName == nil {
            // evtx-rs gathers unnamed `Data` into one `#text` list, an empty element as "".
            let value = value ?? ""
            if let index = unnamedDataIndex {
                record.eventData[index].value += "," + value
            } else {
                unnamedDataIndex = record.eventData.count
                record.addData("Data", value)
            }
            return
        }
        let name = containerNames.claim(captureKind == .data ? captureDataName ?? captureName : captureName)
        if let value { record.addData(name, value) }
    }

    mutating func finish() throws(BinXMLError) -> WindowsEventRecord {
        finishAttribute()
        guard let text = eventIDText, let eventID = Int(text) else {
            throw BinXMLError("missing or invalid Event.System.EventID")
        }
        record.eventID = eventID
        var finished = WindowsEventRecord(eventID: 0)
        swap(&finished, &record)  // moved out, not copied
        return finished
    }
}

/// The kinds of the open elements, outermost first, in a fixed inline buffer (no allocation, no copy-on-write
/// checks); the builder refuses nesting deeper than it holds.
private struct ElementStack {
    private var storage = InlineArray<64, BinXMLNameKind>(repeating: .other)
    private(set) var count = 0

    var last: BinXMLNameKind? { count > 0 ? storage[count - 1] : nil }

    subscript(index: Int) -> BinXMLNameKind { storage[index] }

    mutating func append(_ kind: BinXMLNameKind) {
        storage[count] = kind
        count += 1
    }

    mutating func removeLast() -> BinXMLNameKind {
        count -= 1
        return storage[count]
    }

    mutating func removeAll() { count = 0 }
}

/// The keys given so far in one `EventData` or `UserData` container. Most containers hold a few dozen distinct names,
/// compared by a fingerprint first; a hostile record with thousands of repeated names stays linear per name.
private struct ContainerNames {
    private var names: [(fingerprint: UInt64, name: String)] = []
    /// The next number to try for a repeated name: every lower one is taken already.
    private var nextNumbers: [String: Int] = [:]

    /// A cheap fingerprint of a name: its length and its first and last eight bytes.
    private static func fingerprint(_ name: String) -> UInt64 {
        let fingerprint = name.utf8.withContiguousStorageIfAvailable { bytes -> UInt64 in
            let count = bytes.count
            guard count >= 8, let base = UnsafeRawPointer(bytes.baseAddress) else {
                var hash = UInt64(count)
                for byte in bytes { hash = hash << 8 | UInt64(byte) }
                return hash
            }
            let head = base.loadUnaligned(as: UInt64.self)
            let tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            return (head &* 0x9E37_79B9_7F4A_7C15) ^ tail ^ UInt64(count) << 56
        }
        return fingerprint ?? UInt64(name.utf8.count)
    }

    private func contains(_ name: String, _ fingerprint: UInt64) -> Bool {
        names.contains { $0.fingerprint == fingerprint && $0.name == name }
    }

    /// `name` when the container does not have it yet, else the first of `name_1`, `name_2`… it does not have (the keys
    /// evtx-rs gives repeated names in its JSON); recorded as taken.
    mutating func claim(_ name: String) -> String {
        let fingerprint = ContainerNames.fingerprint(name)
        guard contains(name, fingerprint) else {
            names.append((fingerprint, name))
            return name
        }
        var number = nextNumbers[name, default: 1]
        var candidate = name + "_" + String(number)
        var candidateFingerprint = ContainerNames.fingerprint(candidate)
        while contains(candidate, candidateFingerprint) {
            number += 1
            candidate = name + "_" + String(number)
            candidateFingerprint = ContainerNames.fingerprint(candidate)
        }
        nextNumbers[name] = number + 1
        names.append((candidateFingerprint, candidate))
        return candidate
    }

    mutating func removeAll() {
        names.removeAll(keepingCapacity: true)
        if !nextNumbers.isEmpty { nextNumbers.removeAll() }
    }
}
