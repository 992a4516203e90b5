/// A Windows event log file (`.evtx`) over its bytes: the file header, then chunks read one at a time (and so on
/// as many threads as there are chunks).
///
/// ```swift
/// let file = EVTXFile(bytes: buffer)
/// for index in 0..<file.chunkCount {
///     let chunk = file.readChunk(index)
///     for record in chunk.records { print(record.event.eventID) }
/// }
/// ```
public struct EVTXFile {
    /// The file's first eight bytes.
    public static let signature: [UInt8] = Array("ElfFile\0".utf8)
    /// The size of the file header.
    public static let headerSize = 4096
    /// The size of a chunk.
    public static let chunkSize = 65536

    /// The file's bytes, which must outlive this value.
    public let bytes: UnsafeRawBufferPointer
    /// How many chunks the file holds (the last may be truncated): counted from its size, not from its header,
    /// whose count is out of date in a log that was not closed cleanly.
    public let chunkCount: Int
    /// Problems with the file as a whole found from its header and size (signature, header checksum, truncation).
    /// Whether the header's chunk count is out of date is known once the chunks are read: see
    /// ``headerDiagnostics(_:usedChunks:)`` and ``EVTXChunk/isUsed``.
    public private(set) var diagnostics: [EVTXDiagnostic] = []

    /// Whether `bytes` starts with the `.evtx` signature.
    public static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && bytes.prefix(8).elementsEqual(signature)
    }

    /// Reads the header of a file.
    public init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        let data = max(0, bytes.count - EVTXFile.headerSize)
        chunkCount =
            EVTXFile.hasSignature(bytes) && bytes.count >= EVTXFile.headerSize
            ? (data + EVTXFile.chunkSize - 1) / EVTXFile.chunkSize : 0
        diagnostics = EVTXFile.headerDiagnostics(
            UnsafeRawBufferPointer(rebasing: bytes.prefix(EVTXFile.headerSize)),
            usedChunks: 0
        )
        if chunkCount > 0, data % EVTXFile.chunkSize != 0 {
            diagnostics.append(
                EVTXDiagnostic(
                    chunk: chunkCount - 1,
                    record: nil,
                    offset: bytes.count,
                    reason: "file truncated inside its last chunk (\(data % EVTXFile.chunkSize) of 65536 bytes)"
                )
            )
        }
    }

    /// The problems with a file header: signature, truncation, checksum, and a chunk count that is out of date
    /// (the log was not closed cleanly) compared with the `usedChunks` chunks in use found in the file.
    public static func headerDiagnostics(_ header: UnsafeRawBufferPointer, usedChunks: Int) -> [EVTXDiagnostic] {
        func problem(_ offset: Int, _ reason: String) -> EVTXDiagnostic {
            EVTXDiagnostic(chunk: nil, record: nil, offset: offset, reason: reason)
        }
        guard hasSignature(header) else { return [problem(0, "not an .evtx file (no ElfFile signature)")] }
        guard header.count >= headerSize else { return [problem(header.count, "file truncated inside its header")] }
        var problems: [EVTXDiagnostic] = []
        if EVTXChecksum.crc32(UnsafeRawBufferPointer(rebasing: header[0..<120])) != header.le32(124) {
            problems.append(problem(124, "file header checksum mismatch"))
        }
        let stated = Int(header.le16(42))
        let dirty = header.le32(120) & 1 != 0
        if stated < usedChunks {
            problems.append(
                problem(
                    42,
                    "file header \(dirty ? "marked dirty and " : "")out of date: it counts \(stated) chunks, "
                        + "\(usedChunks) are in use; all were read"
                )
            )
        }
        return problems
    }

    /// Reads chunk `index`: its records in order and the problems met.
    /// - Parameter recoverSlack: Whether to look for records after the chunk's last valid one.
    public func readChunk(_ index: Int, recoverSlack: Bool = true) -> EVTXChunk {
        let start = EVTXFile.headerSize + index * EVTXFile.chunkSize
        guard index >= 0, index < chunkCount else { return EVTXChunk(index: index, fileOffset: start) }
        let end = min(bytes.count, start + EVTXFile.chunkSize)
        return EVTXChunkReader.read(
            UnsafeRawBufferPointer(rebasing: bytes[start..<end]),
            index: index,
            fileOffset: start,
            recoverSlack: recoverSlack
        )
    }
}
