#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A record read from an `.evtx` file, before ECS normalization.
public struct EVTXRecord: Sendable {
    /// The record's own identifier (`EventRecordID` as the file stores it).
    public var recordID: UInt64
    /// Where the record starts in the file.
    public var offset: Int
    /// The record's size in bytes.
    public var size: Int
    /// The event, as the Windows normalizer takes it.
    public var event: WindowsEventRecord
    /// Whether the record was recovered from slack space (after the chunk's last valid record) or from a chunk
    /// whose header is damaged, rather than read from the chunk's record area.
    public var recovered: Bool
}

/// A problem met reading an `.evtx` file: where (chunk, record, file offset) and why. Every record that can be read
/// around it is still read.
public struct EVTXDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The chunk's index in the file, or `nil` for the file header.
    public var chunk: Int?
    /// The record's identifier, when the record got that far.
    public var record: UInt64?
    /// The file offset of the problem.
    public var offset: Int
    /// What was wrong, for people. Never includes the record's content.
    public var reason: String

    /// Creates a diagnostic.
    public init(chunk: Int?, record: UInt64?, offset: Int, reason: String) {
        self.chunk = chunk
        self.record = record
        self.offset = offset
        self.reason = reason
    }

    /// `chunk 3, record 1234, offset 0x31200: reason`.
    public var description: String {
        var parts: [String] = []
        parts.append(chunk.map { "chunk \($0)" } ?? "file header")
        if let record { parts.append("record \(record)") }
        parts.append("offset 0x" + String(offset, radix: 16))
        return parts.joined(separator: ", ") + ": " + reason
    }
}

/// What one chunk gave: its records in file order and the problems met.
public struct EVTXChunk: Sendable {
    /// The chunk's index in the file.
    public let index: Int
    /// Where the chunk starts in the file.
    public let fileOffset: Int
    /// Whether the chunk is in use (it has a chunk signature, or records were found in it); a log file is
    /// allocated ahead with empty chunks.
    public var isUsed = false
    /// The records, in the order they are stored.
    public var records: [EVTXRecord] = []
    /// The problems, in the order they were met.
    public var diagnostics: [EVTXDiagnostic] = []

    /// Creates an empty result for chunk `index`.
    public init(index: Int, fileOffset: Int) {
        self.index = index
        self.fileOffset = fileOffset
    }

    /// Notes a problem at `offset` in the chunk.
    mutating func report(_ offset: Int, _ record: UInt64?, _ reason: String) {
        diagnostics.append(EVTXDiagnostic(chunk: index, record: record, offset: fileOffset + offset, reason: reason))
    }
}

/// Reads the records of one 64 KiB chunk: checks its header and checksums, walks its records, and recovers records
/// from its slack space when they verify.
enum EVTXChunkReader {
    static let signature: UInt64 = 0x006B_6E68_4366_6C45  // "ElfChnk\0"
    static let recordSignature: UInt32 = 0x0000_2A2A  // "**\0\0"
    static let headerSize = 512
    /// The reason given for a record found in slack space.
    static let recoveredReason = "record recovered from slack space"

    /// Reads a chunk.
    /// - Parameters:
    ///   - chunk: The chunk's bytes (fewer than 64 KiB when the file is truncated).
    ///   - index: The chunk's index, for diagnostics.
    ///   - fileOffset: Where the chunk starts in the file.
    ///   - recoverSlack: Whether to look for records after the last valid one.
    static func read(_ chunk: UnsafeRawBufferPointer, index: Int, fileOffset: Int, recoverSlack: Bool) -> EVTXChunk {
        var result = EVTXChunk(index: index, fileOffset: fileOffset)
        func report(_ offset: Int, _ record: UInt64?, _ reason: String) {
            result.report(offset, record, reason)
        }
        guard chunk.count >= headerSize else {
            if !isZero(chunk) { report(0, nil, "chunk truncated to \(chunk.count) bytes") }
            return result
        }
        var builder = EVTXRecordBuilder(chunk: chunk)
        guard chunk.le64(0) == signature else {
            if isZero(chunk) { return result }  // an unused chunk
            report(0, nil, "no chunk signature; looking for records in the whole chunk")
            scan(chunk, from: headerSize, builder: &builder, into: &result)
            result.isUsed = !result.records.isEmpty
            return result
        }
        result.isUsed = true
        // The header's first and last record ids say how many records to expect; a damaged header only costs a guess.
        let firstID = chunk.le64(24)
        let lastID = chunk.le64(32)
        result.records.reserveCapacity(lastID >= firstID ? Int(min(lastID - firstID + 1, 1024)) : 64)
        let headerCRC = EVTXChecksum.crc32(
            UnsafeRawBufferPointer(rebasing: chunk[128..<512]),
            continuing: EVTXChecksum.crc32(UnsafeRawBufferPointer(rebasing: chunk[0..<120]))
        )
        if headerCRC != chunk.le32(124) { report(124, nil, "chunk header checksum mismatch") }
        let freeSpace = Int(chunk.le32(48))
        var limit = freeSpace
        if freeSpace < headerSize || freeSpace > 65536 {
            report(48, nil, "free space offset \(freeSpace) out of range; reading records up to the chunk's end")
            limit = chunk.count
        } else if freeSpace > chunk.count {
            report(chunk.count, nil, "chunk truncated to \(chunk.count) bytes (its records end at \(freeSpace))")
            limit = chunk.count
        } else if EVTXChecksum.crc32(UnsafeRawBufferPointer(rebasing: chunk[headerSize..<freeSpace])) != chunk.le32(52)
        {
            report(52, nil, "record data checksum mismatch; keeping the records that verify")
        }
        var offset = headerSize
        var resyncing = false
        while offset + 24 <= limit {
            guard let size = verifiedRecordSize(chunk, at: offset) else {
                if !resyncing {
                    report(offset, nil, "no valid record at this offset; looking for the next one")
                    resyncing = true
                }
                offset += step(chunk, offset)
                continue
            }
            resyncing = false
            read(chunk, at: offset, size: size, builder: &builder, recovered: false, into: &result)
            offset += size
        }
        if recoverSlack, offset < chunk.count {
            scan(chunk, from: offset, builder: &builder, into: &result)
        }
        return result
    }

    /// Whether every byte is zero (a chunk allocated ahead and never written): the first byte is zero and every
    /// byte equals the next, which the C library's vectorised `memcmp` answers at memory speed.
    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 1 else { return (bytes.first ?? 0) == 0 }
        return bytes[0] == 0 && memcmp(base, base + 1, bytes.count - 1) == 0
    }

    /// How far to move on from `offset` when no record starts there: past a zero word at once (no signature can
    /// start in eight zero bytes), otherwise one byte.
    @inline(__always)
    private static func step(_ chunk: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        offset + 8 <= chunk.count && chunk.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == 0 ? 8 : 1
    }

    /// The size of the record at `offset` when its signature, size and trailing size copy agree.
    private static func verifiedRecordSize(_ chunk: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        guard offset + 28 <= chunk.count, chunk.le32(offset) == recordSignature else { return nil }
        let size = Int(chunk.le32(offset + 4))
        guard size >= 28, size <= chunk.count - offset, chunk.le32(offset + size - 4) == UInt32(size) else {
            return nil
        }
        return size
    }

    private static func read(
        _ chunk: UnsafeRawBufferPointer,
        at offset: Int,
        size: Int,
        builder: inout EVTXRecordBuilder,
        recovered: Bool,
        into result: inout EVTXChunk
    ) {
        let recordID = chunk.le64(offset + 8)
        do {
            let event = try builder.build((offset + 24)..<(offset + size - 4))
            result.records.append(
                EVTXRecord(
                    recordID: recordID,
                    offset: result.fileOffset + offset,
                    size: size,
                    event: event,
                    recovered: recovered
                )
            )
        } catch {
            if !recovered { result.report(offset, recordID, error.reason) }
        }
    }

    /// Looks for records that verify from `start` to the chunk's end (slack space, or a chunk without a header).
    private static func scan(
        _ chunk: UnsafeRawBufferPointer,
        from start: Int,
        builder: inout EVTXRecordBuilder,
        into result: inout EVTXChunk
    ) {
        var offset = start
        while offset + 28 <= chunk.count {
            guard let size = verifiedRecordSize(chunk, at: offset) else {
                offset += step(chunk, offset)
                continue
            }
            let before = result.records.count
            read(chunk, at: offset, size: size, builder: &builder, recovered: true, into: &result)
            if result.records.count > before {
                result.report(offset, chunk.le64(offset + 8), recoveredReason)
                offset += size
            } else {
                offset += 1
            }
        }
    }
}
