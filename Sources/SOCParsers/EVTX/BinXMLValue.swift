import SOCModel

/// The value types of BinXML substitutions (MS-EVEN6 2.2.18); `0x80` marks an array of the type.
enum BinXMLValueType {
    static let null: UInt8 = 0x00
    static let string: UInt8 = 0x01
    static let ansiString: UInt8 = 0x02
    static let int8: UInt8 = 0x03
    static let uint8: UInt8 = 0x04
    static let int16: UInt8 = 0x05
    static let uint16: UInt8 = 0x06
    static let int32: UInt8 = 0x07
    static let uint32: UInt8 = 0x08
    static let int64: UInt8 = 0x09
    static let uint64: UInt8 = 0x0A
    static let real32: UInt8 = 0x0B
    static let real64: UInt8 = 0x0C
    static let bool: UInt8 = 0x0D
    static let binary: UInt8 = 0x0E
    static let guid: UInt8 = 0x0F
    static let sizeT: UInt8 = 0x10
    static let fileTime: UInt8 = 0x11
    static let sysTime: UInt8 = 0x12
    static let sid: UInt8 = 0x13
    static let hexInt32: UInt8 = 0x14
    static let hexInt64: UInt8 = 0x15
    static let evtHandle: UInt8 = 0x20
    static let binXML: UInt8 = 0x21
    static let evtXML: UInt8 = 0x23
    static let array: UInt8 = 0x80

    /// The size of one element of a fixed-size type, or `nil` for variable-size types.
    static func elementSize(_ type: UInt8) -> Int? {
        switch type {
        case int8, uint8: 1
        case int16, uint16: 2
        case int32, uint32, real32, bool, hexInt32: 4
        case int64, uint64, real64, fileTime, hexInt64: 8
        case guid, sysTime: 16
        default: nil
        }
    }
}

/// Renders substitution values as the text evtx-rs writes for them in its JSON view, so an `.evtx` file and its
/// evtx-rs conversion give the same events.
enum EVTXText {
    /// A value's text, or `nil` for null values and types with no text (handles, embedded XML).
    /// Arrays are joined with commas, as the JSON reader joins JSON arrays.
    static func render(type: UInt8, _ bytes: UnsafeRawBufferPointer) -> String? {
        if type & BinXMLValueType.array != 0 { return renderArray(type: type & 0x7F, bytes) }
        switch type {
        case BinXMLValueType.null: return nil
        case BinXMLValueType.string: return utf16(trimmingNULs(bytes, unit: 2))
        case BinXMLValueType.ansiString: return ansi(trimmingNULs(bytes, unit: 1))
        case BinXMLValueType.binary: return hex(bytes)
        case BinXMLValueType.sid: return sid(bytes)
        case BinXMLValueType.sizeT:
            return bytes.count == 8
                ? hexInteger(bytes.le64(0)) : bytes.count == 4 ? hexInteger(UInt64(bytes.le32(0))) : nil
        default:
            guard let size = BinXMLValueType.elementSize(type), bytes.count >= size else { return nil }
            return scalar(type: type, bytes, at: 0)
        }
    }

    private static func renderArray(type: UInt8, _ bytes: UnsafeRawBufferPointer) -> String? {
        var parts: [String] = []
        switch type {
        case BinXMLValueType.string:
            var start = 0
            var index = 0
            while index + 1 < bytes.count {
                if bytes[index] == 0 && bytes[index + 1] == 0 {
                    parts.append(utf16(UnsafeRawBufferPointer(rebasing: bytes[start..<index])))
                    start = index + 2
                }
                index += 2
            }
            if start + 1 < bytes.count {
                parts.append(utf16(UnsafeRawBufferPointer(rebasing: bytes[start..<(bytes.count & ~1)])))
            }
        case BinXMLValueType.ansiString:
            for part in bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast(bytes.last == 0 ? 1 : 0) {
                parts.append(ansi(UnsafeRawBufferPointer(rebasing: part)))
            }
        case BinXMLValueType.sid:
            var offset = 0
            while offset + 8 <= bytes.count {
                let size = 8 + Int(bytes[offset + 1]) * 4
                guard offset + size <= bytes.count else { break }
                if let text = sid(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])) {
                    parts.append(text)
                }
                offset += size
            }
        default:
            guard let size = BinXMLValueType.elementSize(type) else { return nil }
            var offset = 0
            while offset + size <= bytes.count {
                if let text = scalar(type: type, bytes, at: offset) { parts.append(text) }
                offset += size
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: ",")
    }

    /// One fixed-size value at `offset` (checked by the caller).
    private static func scalar(type: UInt8, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> String? {
        switch type {
        case BinXMLValueType.int8: decimal(Int64(Int8(bitPattern: bytes[offset])))
        case BinXMLValueType.uint8: decimal(UInt64(bytes[offset]))
        case BinXMLValueType.int16: decimal(Int64(Int16(bitPattern: bytes.le16(offset))))
        case BinXMLValueType.uint16: decimal(UInt64(bytes.le16(offset)))
        case BinXMLValueType.int32: decimal(Int64(Int32(bitPattern: bytes.le32(offset))))
        case BinXMLValueType.uint32: decimal(UInt64(bytes.le32(offset)))
        case BinXMLValueType.int64: decimal(Int64(bitPattern: bytes.le64(offset)))
        case BinXMLValueType.uint64: decimal(bytes.le64(offset))
        case BinXMLValueType.real32: real(Double(Float(bitPattern: bytes.le32(offset))))
        case BinXMLValueType.real64: real(Double(bitPattern: bytes.le64(offset)))
        case BinXMLValueType.bool: bytes.le32(offset) != 0 ? "true" : "false"
        case BinXMLValueType.hexInt32: hexInteger(UInt64(bytes.le32(offset)))
        case BinXMLValueType.hexInt64: hexInteger(bytes.le64(offset))
        case BinXMLValueType.guid: guid(bytes, at: offset)
        case BinXMLValueType.fileTime: fileTime(bytes.le64(offset))
        case BinXMLValueType.sysTime: systemTime(bytes, at: offset)
        default: nil
        }
    }

    /// `value` in decimal, as `String(value)` writes it, without the generic integer-to-text path.
    static func decimal(_ value: Int64) -> String {
        value < 0 ? decimal(value.magnitude, negative: true) : decimal(UInt64(value))
    }

    /// `value` in decimal, with a leading `-` when `negative`.
    static func decimal(_ value: UInt64, negative: Bool = false) -> String {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let count = digits + (negative ? 1 : 0)
        return String(unsafeUninitializedCapacity: count) { output in
            if negative { output[0] = UInt8(ascii: "-") }
            var position = count - 1
            var remaining = value
            repeat {
                output[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
                position -= 1
            } while remaining > 0
            return count
        }
    }

    private static func real(_ value: Double) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// `bytes` without trailing NUL code units of `unit` bytes.
    static func trimmingNULs(_ bytes: UnsafeRawBufferPointer, unit: Int) -> UnsafeRawBufferPointer {
        var end = bytes.count - bytes.count % unit
        while end >= unit {
            var zero = true
            for index in (end - unit)..<end where bytes[index] != 0 { zero = false }
            guard zero else { break }
            end -= unit
        }
        return UnsafeRawBufferPointer(rebasing: bytes[0..<end])
    }

    /// UTF-16LE to a string, written straight as UTF-8; unpaired surrogates become U+FFFD.
    static func utf16(_ bytes: UnsafeRawBufferPointer) -> String {
        let units = bytes.count / 2
        if units == 0 { return "" }
        return isASCII(bytes, units: units) ? narrowASCII(bytes, units: units) : transcode(bytes, units: units)
    }

    /// Whether every one of the first `units` UTF-16 units is ASCII (its high nine bits zero), four at a time.
    @inline(__always)
    private static func isASCII(_ bytes: UnsafeRawBufferPointer, units: Int) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index + 4 <= units {
            high |= bytes.le64(index * 2)
            index += 4
        }
        while index < units {
            high |= UInt64(bytes.le16(index * 2))
            index += 1
        }
        return high & 0xFF80_FF80_FF80_FF80 == 0
    }

    /// ASCII UTF-16 units as one byte each: a string of exactly `units` bytes (stored inline up to 15).
    private static func narrowASCII(_ bytes: UnsafeRawBufferPointer, units: Int) -> String {
        String(unsafeUninitializedCapacity: units) { output in
            var index = 0
            while index + 4 <= units {
                let word = bytes.le64(index * 2)
                output[index] = UInt8(truncatingIfNeeded: word)
                output[index + 1] = UInt8(truncatingIfNeeded: word >> 16)
                output[index + 2] = UInt8(truncatingIfNeeded: word >> 32)
                output[index + 3] = UInt8(truncatingIfNeeded: word >> 48)
                index += 4
            }
            while index < units {
                output[index] = UInt8(truncatingIfNeeded: bytes.le16(index * 2))
                index += 1
            }
            return units
        }
    }

    /// Any UTF-16 to UTF-8, pairing surrogates.
    private static func transcode(_ bytes: UnsafeRawBufferPointer, units: Int) -> String {
        String(unsafeUninitializedCapacity: units * 3) { output in
            var written = 0
            var index = 0
            while index < units {
                let unit = UInt32(bytes.le16(index * 2))
                index += 1
                var scalar = unit
                if unit >= 0xD800 && unit < 0xDC00 {
                    if index < units {
                        let low = UInt32(bytes.le16(index * 2))
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            index += 1
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if unit >= 0xDC00 && unit < 0xE000 {
                    scalar = 0xFFFD
                }
                if scalar < 0x80 {
                    output[written] = UInt8(scalar)
                    written += 1
                } else if scalar < 0x800 {
                    output[written] = UInt8(0xC0 | (scalar >> 6))
                    output[written + 1] = UInt8(0x80 | (scalar & 0x3F))
                    written += 2
                } else if scalar < 0x10000 {
                    output[written] = UInt8(0xE0 | (scalar >> 12))
                    output[written + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    output[written + 2] = UInt8(0x80 | (scalar & 0x3F))
                    written += 3
                } else {
                    // A pair took two units (six bytes of capacity) and needs four.
                    output[written] = UInt8(0xF0 | (scalar >> 18))
                    output[written + 1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
                    output[written + 2] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    output[written + 3] = UInt8(0x80 | (scalar & 0x3F))
                    written += 4
                }
            }
            return written
        }
    }

    /// Single-byte text: ASCII as is, other bytes as Latin-1.
    static func ansi(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            var written = 0
            for byte in bytes {
                if byte < 0x80 {
                    output[written] = byte
                    written += 1
                } else {
                    output[written] = 0xC0 | (byte >> 6)
                    output[written + 1] = 0x80 | (byte & 0x3F)
                    written += 2
                }
            }
            return written
        }
    }

    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
    private static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Upper-case hex, two digits a byte.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            for (index, byte) in bytes.enumerated() {
                output[index * 2] = upperDigits[Int(byte >> 4)]
                output[index * 2 + 1] = upperDigits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    /// `0x` and lower-case hex without leading zeros (`0x99e3d`).
    static func hexInteger(_ value: UInt64) -> String {
        var digits = 1
        while digits < 16 && value >> (4 * digits) != 0 { digits += 1 }
        return String(unsafeUninitializedCapacity: digits + 2) { output in
            output[0] = UInt8(ascii: "0")
            output[1] = UInt8(ascii: "x")
            for index in 0..<digits {
                output[digits + 1 - index] = lowerDigits[Int((value >> (4 * index)) & 0x0F)]
            }
            return digits + 2
        }
    }

    private static func guid(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        String(unsafeUninitializedCapacity: 36) { output in
            var written = 0
            func put(_ byte: UInt8) {
                output[written] = upperDigits[Int(byte >> 4)]
                output[written + 1] = upperDigits[Int(byte & 0x0F)]
                written += 2
            }
            func dash() {
                output[written] = UInt8(ascii: "-")
                written += 1
            }
            for index in [3, 2, 1, 0] { put(bytes[offset + index]) }
            dash()
            for index in [5, 4] { put(bytes[offset + index]) }
            dash()
            for index in [7, 6] { put(bytes[offset + index]) }
            dash()
            for index in 8..<10 { put(bytes[offset + index]) }
            dash()
            for index in 10..<16 { put(bytes[offset + index]) }
            return written
        }
    }

    /// `S-1-5-21-…`, or `nil` when the bytes are not a SID.
    static func sid(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count >= 8 else { return nil }
        let count = Int(bytes[1])
        guard bytes.count >= 8 + count * 4 else { return nil }
        var authority: UInt64 = 0
        for index in 2..<8 { authority = authority << 8 | UInt64(bytes[index]) }
        var text = "S-" + decimal(UInt64(bytes[0])) + "-" + decimal(authority)
        for index in 0..<count {
            text += "-"
            text += decimal(UInt64(bytes.le32(8 + index * 4)))
        }
        return text
    }

    /// Microseconds since 1970 for a FILETIME (100 ns ticks since 1601), truncated as evtx-rs prints it.
    static func microseconds(fileTime: UInt64) -> Int64 {
        Int64(fileTime / 10) - 11_644_473_600_000_000
    }

    /// `2023-04-19T17:46:27.021276Z`.
    static func fileTime(_ value: UInt64) -> String {
        iso(microseconds: microseconds(fileTime: value))
    }

    private static func systemTime(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String? {
        let year = Int(bytes.le16(offset))
        let month = Int(bytes.le16(offset + 2))
        let day = Int(bytes.le16(offset + 6))
        let hour = Int(bytes.le16(offset + 8))
        let minute = Int(bytes.le16(offset + 10))
        let second = Int(bytes.le16(offset + 12))
        let millisecond = Int(bytes.le16(offset + 14))
        guard let timestamp = Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return iso(microseconds: timestamp.microsecondsSinceEpoch + Int64(min(millisecond, 999)) * 1000)
    }

    /// ISO 8601 with six fractional digits and `Z` (`2023-04-19T17:46:27.021276Z`), written digit by digit.
    static func iso(microseconds: Int64) -> String {
        let c = Timestamp(microsecondsSinceEpoch: microseconds).components
        return String(unsafeUninitializedCapacity: 27) { output in
            var written = 0
            func put(_ value: Int, _ width: Int) {
                var divisor = 1
                for _ in 1..<width { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    output[written] = UInt8(ascii: "0") + UInt8((rest / divisor) % 10)
                    rest %= divisor
                    divisor /= 10
                    written += 1
                }
            }
            func mark(_ character: Unicode.Scalar) {
                output[written] = UInt8(ascii: character)
                written += 1
            }
            put(c.year, 4)
            mark("-")
            put(c.month, 2)
            mark("-")
            put(c.day, 2)
            mark("T")
            put(c.hour, 2)
            mark(":")
            put(c.minute, 2)
            mark(":")
            put(c.second, 2)
            mark(".")
            put(c.microsecond, 6)
            mark("Z")
            return written
        }
    }
}
