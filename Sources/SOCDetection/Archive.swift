/// Writes values as bytes for ``ArchiveReader`` to read back in the same order: integers in the machine's byte order,
/// strings and arrays with their lengths first, tables of plain values (``BitwiseCopyable``) as their memory. An
/// archive is read only by the same build that wrote it (see ``SigmaEngine/archiveFormat``), so layouts need no
/// versioning of their own.
struct ArchiveWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: Int) { withUnsafeBytes(of: Int64(value)) { bytes += $0 } }

    mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

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

    /// A table of plain values, copied as memory.
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

/// An archive that cannot be read: truncated, or not what this build writes.
struct ArchiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
