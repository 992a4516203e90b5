/// Writes values as bytes for ``ArchiveReader`` to read back in the same order: integers in the machine's byte order,
/// strings and arrays with their lengths first, tables of plain values without padding (``BitwiseCopyable``) as their
/// memory, records with padding field by field (``ArchiveRecord``). An
/// archive is read only by the same build that wrote it (see ``SigmaEngine/archiveFormat``), so layouts need no
/// versioning of their own.
struct ArchiveWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: Int) { withUnsafeBytes(of: Int64(value)) { bytes += $0 } }

    mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func write(_ value: Int32) { withUnsafeBytes(of: value) { bytes += $0 } }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            write(utf8.count)
            bytes += utf8
        }
    }

    mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    mutating func write(_ values: [String]) {
        write(values.count)
        for value in values { write(value) }
    }

    /// Records with padding between their fields, written field by field (their memory would carry whatever bytes
    /// the padding held).
    mutating func write<Record: ArchiveRecord>(records: some Collection<Record>) {
        write(records.count)
        for record in records { record.write(to: &self) }
    }

    /// A table of plain values without padding, copied as memory.
    mutating func write<Element: BitwiseCopyable>(table values: UnsafeBufferPointer<Element>) {
        write(values.count)
        bytes += UnsafeRawBufferPointer(values)
    }

    mutating func write<Element: BitwiseCopyable>(table values: [Element]) {
        values.withUnsafeBufferPointer { write(table: $0) }
    }
}

/// Reads what ``ArchiveWriter`` wrote. Every read checks the bounds and throws ``ArchiveError`` past the end; the
/// values in tables are not checked (the caller verifies the archive's digest before reading it).
struct ArchiveReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(ArchiveError) -> Range<Int> {
        guard count >= 0, count <= bytes.count - offset else { throw ArchiveError("truncated at byte \(offset)") }
        defer { offset += count }
        return offset..<(offset + count)
    }

    mutating func int() throws(ArchiveError) -> Int {
        let range = try take(8)
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: range.lowerBound, as: Int64.self) }
        guard let int = Int(exactly: value) else { throw ArchiveError("integer out of range at byte \(offset)") }
        return int
    }

    /// A count or index: an integer from 0 up to `limit`.
    mutating func count(limit: Int = Int(Int32.max)) throws(ArchiveError) -> Int {
        let value = try int()
        guard value >= 0, value <= limit else { throw ArchiveError("count \(value) out of range at byte \(offset)") }
        return value
    }

    mutating func bool() throws(ArchiveError) -> Bool { bytes[try take(1).lowerBound] != 0 }

    mutating func int32() throws(ArchiveError) -> Int32 {
        let range = try take(4)
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: range.lowerBound, as: Int32.self) }
    }

    mutating func uint8() throws(ArchiveError) -> UInt8 { bytes[try take(1).lowerBound] }

    /// A case of an enumeration stored as its raw byte; an unknown byte is an error.
    mutating func enumeration<Value: RawRepresentable>(of type: Value.Type = Value.self) throws(ArchiveError) -> Value
    where Value.RawValue == UInt8 {
        let raw = try uint8()
        guard let value = Value(rawValue: raw) else {
            throw ArchiveError("unknown \(Value.self) \(raw) at byte \(offset)")
        }
        return value
    }

    mutating func records<Record: ArchiveRecord>(of type: Record.Type = Record.self) throws(ArchiveError) -> [Record] {
        let count = try count()
        var records: [Record] = []
        records.reserveCapacity(Swift.min(count, bytes.count - offset))
        for _ in 0..<count { records.append(try Record(from: &self)) }
        return records
    }

    mutating func string() throws(ArchiveError) -> String {
        let range = try take(try count())
        return String(decoding: bytes[range], as: UTF8.self)
    }

    mutating func optionalString() throws(ArchiveError) -> String? { try bool() ? try string() : nil }

    mutating func strings() throws(ArchiveError) -> [String] {
        let count = try count()
        var values: [String] = []
        values.reserveCapacity(Swift.min(count, 1 << 16))
        for _ in 0..<count { values.append(try string()) }
        return values
    }

    mutating func table<Element: BitwiseCopyable>(
        of type: Element.Type = Element.self
    ) throws(ArchiveError)
        -> [Element]
    {
        let count = try count()
        let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !overflow else { throw ArchiveError("table too large at byte \(offset)") }
        let range = try take(size)
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[range])
                )
            }
            initialized = count
        }
    }
}

/// A value written and read field by field.
protocol ArchiveRecord {
    func write(to writer: inout ArchiveWriter)
    init(from reader: inout ArchiveReader) throws(ArchiveError)
}

/// An archive that cannot be read: truncated, or not what this build writes.
struct ArchiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
