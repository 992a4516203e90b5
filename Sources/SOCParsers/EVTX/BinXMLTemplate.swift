/// What an element or attribute name means to the record builder, decided once when a name is first read.
enum BinXMLNameKind: UInt8 {
    case other
    case event, system, eventData, userData, data
    case provider, eventID, level, timeCreated, eventRecordID, execution, channel, computer, security
    case nameAttribute, systemTime, processID, userID

    init(_ name: String) {
        switch name {
        case "Event": self = .event
        case "System": self = .system
        case "EventData": self = .eventData
        case "UserData": self = .userData
        case "Data": self = .data
        case "Provider": self = .provider
        case "EventID": self = .eventID
        case "Level": self = .level
        case "TimeCreated": self = .timeCreated
        case "EventRecordID": self = .eventRecordID
        case "Execution": self = .execution
        case "Channel": self = .channel
        case "Computer": self = .computer
        case "Security": self = .security
        case "Name": self = .nameAttribute
        case "SystemTime": self = .systemTime
        case "ProcessID": self = .processID
        case "UserID": self = .userID
        default: self = .other
        }
    }
}

/// A name from a chunk's string table, decoded once.
struct BinXMLName {
    let text: String
    let kind: BinXMLNameKind
}

/// One step of a compiled BinXML fragment: the token stream with names decoded and inline definitions skipped, so a
/// record only walks these and reads its substitution values. A plain value, so walking steps copies no strings.
struct BinXMLOp {
    enum Kind: UInt8 {
        /// An element starts; `operand` is its name in ``BinXMLFragment/strings``.
        case open
        /// An attribute starts; `operand` is its name in ``BinXMLFragment/strings``.
        case attribute
        case closeStart
        case closeEmpty
        case end
        /// Literal text; `operand` is the text in ``BinXMLFragment/strings``.
        case text
        /// Substitution slot `operand`.
        case substitution
        /// Substitution slot `operand`, left out when its value is null.
        case optionalSubstitution
    }

    var kind: Kind
    /// What an element's or attribute's name means to the record builder.
    var name: BinXMLNameKind = .other
    var operand: Int32 = 0
}

/// A compiled BinXML fragment (a template definition, compiled once per chunk, or elements written straight into a
/// record): its steps and the strings they refer to.
final class BinXMLFragment {
    let ops: [BinXMLOp]
    let strings: [String]
    init(ops: [BinXMLOp], strings: [String]) {
        self.ops = ops
        self.strings = strings
    }
}

/// The BinXML tokens (MS-EVEN6 2.2.12); `0x40` on the first five marks "more data" (attributes, or nothing).
enum BinXMLToken {
    static let endOfFragment: UInt8 = 0x00
    static let openStartElement: UInt8 = 0x01
    static let closeStartElement: UInt8 = 0x02
    static let closeEmptyElement: UInt8 = 0x03
    static let endElement: UInt8 = 0x04
    static let value: UInt8 = 0x05
    static let attribute: UInt8 = 0x06
    static let cdataSection: UInt8 = 0x07
    static let characterReference: UInt8 = 0x08
    static let entityReference: UInt8 = 0x09
    static let processingInstructionTarget: UInt8 = 0x0A
    static let processingInstructionData: UInt8 = 0x0B
    static let templateInstance: UInt8 = 0x0C
    static let normalSubstitution: UInt8 = 0x0D
    static let optionalSubstitution: UInt8 = 0x0E
    static let fragmentHeader: UInt8 = 0x0F
}

/// Compiles BinXML token streams into ``BinXMLFragment``s, caching names by their chunk offset.
struct BinXMLCompiler {
    private(set) var names: [UInt32: BinXMLName] = [:]

    /// Compiles tokens from the cursor's position until the end of the fragment (or the cursor's end).
    /// - Throws: ``BinXMLError`` for an unknown token, a template instance inside a template, or data that ends early.
    /// - Parameter inTemplate: Whether the tokens are a template definition, whose elements carry a dependency
    ///   identifier; elements written straight into a record have none. When an element's name offset shows the
    ///   other layout, that one is used.
    mutating func compile(_ cursor: inout BinXMLCursor, inTemplate: Bool) throws(BinXMLError) -> BinXMLFragment {
        var ops: [BinXMLOp] = []
        ops.reserveCapacity(64)
        var strings: [String] = []
        func named(_ kind: BinXMLOp.Kind, _ name: BinXMLName) {
            ops.append(BinXMLOp(kind: kind, name: name.kind, operand: Int32(strings.count)))
            strings.append(name.text)
        }
        func text(_ text: String) {
            ops.append(BinXMLOp(kind: .text, operand: Int32(strings.count)))
            strings.append(text)
        }
        while cursor.remaining > 0 {
            let tokenOffset = cursor.position
            let token = try cursor.u8()
            switch token & 0xBF {
            case BinXMLToken.endOfFragment:
                return BinXMLFragment(ops: ops, strings: strings)
            case BinXMLToken.fragmentHeader:
                try cursor.skip(3)
            case BinXMLToken.openStartElement:
                try cursor.skip(BinXMLCompiler.hasDependencyIdentifier(cursor, preferred: inTemplate) ? 6 : 4)
                let name = try readName(&cursor)
                if token & 0x40 != 0 { try cursor.skip(4) }  // attribute list size
                named(.open, name)
            case BinXMLToken.closeStartElement:
                ops.append(BinXMLOp(kind: .closeStart))
            case BinXMLToken.closeEmptyElement:
                ops.append(BinXMLOp(kind: .closeEmpty))
            case BinXMLToken.endElement:
                ops.append(BinXMLOp(kind: .end))
            case BinXMLToken.value:
                let type = try cursor.u8()
                if type == BinXMLValueType.string {
                    let count = Int(try cursor.u16())
                    text(try cursor.utf16(units: count))
                } else if let size = BinXMLValueType.elementSize(type) {
                    try cursor.need(size)
                    let bytes = UnsafeRawBufferPointer(
                        rebasing: cursor.bytes[cursor.position..<(cursor.position + size)]
                    )
                    if let rendered = EVTXText.render(type: type, bytes) { text(rendered) }
                    cursor.position += size
                } else {
                    throw BinXMLError(
                        "value token of unsupported type 0x\(String(type, radix: 16)) at offset \(tokenOffset)"
                    )
                }
            case BinXMLToken.attribute:
                named(.attribute, try readName(&cursor))
            case BinXMLToken.cdataSection:
                let count = Int(try cursor.u16())
                text(try cursor.utf16(units: count))
            case BinXMLToken.characterReference:
                let value = try cursor.u16()
                text(String(Unicode.Scalar(value).map(Character.init) ?? "\u{FFFD}"))
            case BinXMLToken.entityReference:
                let name = try readName(&cursor)
                text(BinXMLCompiler.entity(name.text))
            case BinXMLToken.processingInstructionTarget:
                _ = try readName(&cursor)
            case BinXMLToken.processingInstructionData:
                let count = Int(try cursor.u16())
                try cursor.skip(count * 2)
            case BinXMLToken.normalSubstitution, BinXMLToken.optionalSubstitution:
                let index = Int(try cursor.u16())
                _ = try cursor.u8()  // the value's type, which the substitution array states again
                ops.append(
                    BinXMLOp(
                        kind: token == BinXMLToken.optionalSubstitution ? .optionalSubstitution : .substitution,
                        operand: Int32(index)
                    )
                )
            case BinXMLToken.templateInstance:
                throw BinXMLError("template instance inside a template at offset \(tokenOffset)")
            default:
                throw BinXMLError("unknown BinXML token 0x\(String(token, radix: 16)) at offset \(tokenOffset)")
            }
        }
        return BinXMLFragment(ops: ops, strings: strings)
    }

    /// Whether the element token just read (the cursor is after its token byte) has a dependency identifier: the
    /// `preferred` layout unless only the other one gives a name offset that is plausible (the name right there, or
    /// earlier in the chunk).
    static func hasDependencyIdentifier(_ cursor: BinXMLCursor, preferred: Bool) -> Bool {
        func plausible(_ withIdentifier: Bool) -> Bool {
            let field = cursor.position + (withIdentifier ? 6 : 4)
            guard field + 4 <= cursor.end else { return false }
            let offset = Int(cursor.bytes.le32(field))
            return offset == field + 4 || offset < cursor.position
        }
        if plausible(preferred) { return preferred }
        return plausible(!preferred) ? !preferred : preferred
    }

    /// Reads a name reference; a name defined right here (its offset is the current one) is skipped over.
    mutating func readName(_ cursor: inout BinXMLCursor) throws(BinXMLError) -> BinXMLName {
        let offset = try cursor.u32()
        if Int(offset) == cursor.position {
            try cursor.skip(6)
            let count = Int(try cursor.u16())
            try cursor.skip(count * 2 + 2)
        }
        return try name(at: offset, in: cursor.bytes)
    }

    /// The name stored at `offset` in the chunk: next offset (4), hash (2), length (2), UTF-16 characters.
    mutating func name(at offset: UInt32, in chunk: UnsafeRawBufferPointer) throws(BinXMLError) -> BinXMLName {
        if let name = names[offset] { return name }
        var cursor = BinXMLCursor(chunk, at: Int(offset), end: chunk.count)
        try cursor.skip(6)
        let count = Int(try cursor.u16())
        let text = try cursor.utf16(units: count)
        let name = BinXMLName(text: text, kind: BinXMLNameKind(text))
        names[offset] = name
        return name
    }

    /// The text of an XML entity reference.
    static func entity(_ name: String) -> String {
        switch name {
        case "amp": "&"
        case "lt": "<"
        case "gt": ">"
        case "quot": "\""
        case "apos": "'"
        default: "&" + name + ";"
        }
    }
}
