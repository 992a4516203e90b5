import CCRC32

/// Why a structure in an EVTX file could not be read. Never includes the record's content.
struct BinXMLError: Error {
    /// What was wrong, for people.
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A bounds-checked little-endian reader over a chunk's bytes: every read checks its end first, so damaged data
/// gives an error rather than a trap, and every read moves forward, so no loop over it can run for ever.
struct BinXMLCursor {
    /// The whole chunk; offsets are relative to its start, as EVTX's own offsets are.
    let bytes: UnsafeRawBufferPointer
    /// The next byte to read.
    var position: Int
    /// One past the last byte this cursor may read.
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int, end: Int) {
        self.bytes = bytes
        self.position = position
        self.end = min(end, bytes.count)
    }

    var remaining: Int { end - position }

    @inline(__always)
    mutating func need(_ count: Int) throws(BinXMLError) {
        guard count >= 0, position >= 0, count <= end - position else {
            throw BinXMLError("data ends early at offset \(position) (needed \(count) bytes)")
        }
    }

    @inline(__always)
    mutating func u8() throws(BinXMLError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    @inline(__always)
    mutating func u16() throws(BinXMLError) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self).littleEndian
    }

    @inline(__always)
    mutating func u32() throws(BinXMLError) -> UInt32 {
        try need(4)
        defer { position += 4 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
    }

    @inline(__always)
    mutating func skip(_ count: Int) throws(BinXMLError) {
        try need(count)
        position += count
    }

    /// `count` UTF-16 code units as a string.
    mutating func utf16(units count: Int) throws(BinXMLError) -> String {
        try need(count * 2)
        defer { position += count * 2 }
        return EVTXText.utf16(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count * 2)]))
    }
}

/// Little-endian loads at offsets already checked by the caller.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func le16(_ offset: Int) -> UInt16 { loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian }
    @inline(__always)
    func le32(_ offset: Int) -> UInt32 { loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
    @inline(__always)
    func le64(_ offset: Int) -> UInt64 { loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian }
}

/// CRC-32 (the zlib polynomial EVTX uses for its header and chunk checksums).
enum EVTXChecksum {
    /// The CRC-32 of `bytes`, continuing from `crc`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return socagent_crc32(crc, base, bytes.count)
    }
}
