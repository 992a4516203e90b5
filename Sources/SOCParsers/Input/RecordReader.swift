#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a byte stream into records with bounded memory, counting lines for diagnostics.
///
/// The reader holds at most one record plus one read chunk. A record larger than ``maximumRecordBytes`` is skipped
/// (for line framing, up to the next line) and reported, never buffered whole.
///
/// ```swift
/// var reader = RecordReader(source: MemorySource("a\nb\n"), framing: .lines)
/// while let item = try reader.next() { ... }  // .record(bytes, line: 1), .record(bytes, line: 2)
/// ```
public struct RecordReader<Source: ByteSource> {
    /// One step of reading.
    public enum Item {
        /// A record's bytes (valid until the next call to ``RecordReader/next()``) and its first line number.
        case record(UnsafeRawBufferPointer, line: Int)
        /// A record that could not be framed or was too large, with its first line number and the reason.
        case rejected(line: Int, reason: String)
    }

    /// The largest record accepted.
    public let maximumRecordBytes: Int
    private var source: Source
    private var framer: Framer
    /// How records are delimited.
    public var framing: RecordFraming { framer.framing }
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEnd = false
    private var line = 1
    private var skippingOversizedLine = false
    private var stopped = false
    private let chunkSize: Int
    private var owner: StorageOwner

    /// Creates a reader.
    /// - Parameters:
    ///   - source: Where bytes come from.
    ///   - framing: How records are delimited.
    ///   - maximumRecordBytes: The largest record accepted (4 MiB by default).
    ///   - chunkSize: How many bytes each read asks for.
    public init(source: Source, framing: RecordFraming, maximumRecordBytes: Int = 4 << 20, chunkSize: Int = 1 << 20) {
        self.source = source
        self.framer = Framer(framing)
        self.maximumRecordBytes = maximumRecordBytes
        self.chunkSize = chunkSize
        self.owner = StorageOwner(byteCount: chunkSize * 2)
        self.storage = owner.storage
    }

    /// The bytes buffered but not yet consumed, for sniffing a format before reading records.
    ///
    /// Reads until at least `count` bytes are buffered or the input ends.
    public mutating func peek(atLeast count: Int) throws(InputError) -> UnsafeRawBufferPointer {
        while end - start < count && !atEnd { try fill() }
        return UnsafeRawBufferPointer(rebasing: storage[start..<end])
    }

    /// Takes up to `count` bytes as they are (fewer at the end of the input), for binary formats read without
    /// framing (`.evtx` chunks). Mixing this with ``next()`` on one input is not supported.
    public mutating func take(_ count: Int, into bytes: inout [UInt8]) throws(InputError) {
        let available = try peek(atLeast: count)
        let taken = min(count, available.count)
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: available[0..<taken]))
        start += taken
    }

    /// Changes how records are delimited; only before the first call to ``next()`` (after ``peek(atLeast:)``).
    public mutating func reframe(as framing: RecordFraming) {
        framer = Framer(framing)
    }

    /// Whether the input is known to be exhausted with nothing left to read.
    public var isExhausted: Bool { atEnd && start == end }

    /// Returns the next record or rejection, or `nil` at the end of the input.
    /// - Throws: ``InputError`` when the source fails; records already returned stay valid results.
    public mutating func next() throws(InputError) -> Item? {
        while !stopped {
            let available = UnsafeRawBufferPointer(rebasing: storage[start..<end])
            if skippingOversizedLine {
                if let base = available.baseAddress, let found = memchr(base, 0x0A, available.count) {
                    start += base.distance(to: UnsafeRawPointer(found)) + 1
                    line += 1
                    skippingOversizedLine = false
                    continue
                }
                start = end
                if atEnd { return nil }
                try fill()
                continue
            }
            if atEnd && available.isEmpty { return nil }
            switch framer.next(available, atEnd: atEnd) {
            case .record(let length, let consumed, let newlines):
                let recordLine = line
                let record = UnsafeRawBufferPointer(rebasing: storage[start..<start + length])
                start += consumed
                line += newlines
                if length > maximumRecordBytes {
                    return .rejected(line: recordLine, reason: oversizedReason(length))
                }
                return .record(record, line: recordLine)
            case .skip(let consumed, let newlines):
                start += consumed
                line += newlines
                if consumed == 0 {
                    if atEnd { return nil }
                    try fill()
                }
            case .needMore:
                if end - start > maximumRecordBytes {
                    framer = Framer(framer.framing)
                    let recordLine = line
                    if framer.framing == .lines {
                        skippingOversizedLine = true
                        start = end
                        return .rejected(
                            line: recordLine,
                            reason: oversizedReason(maximumRecordBytes + 1, atLeast: true)
                        )
                    }
                    stopped = true
                    return .rejected(
                        line: recordLine,
                        reason: oversizedReason(maximumRecordBytes + 1, atLeast: true)
                            + "; the rest of the input cannot be framed"
                    )
                }
                if atEnd { return nil }
                try fill()
            case .invalid(let reason):
                stopped = true
                return .rejected(line: line, reason: reason + "; the rest of the input was not read")
            }
        }
        return nil
    }

    private func oversizedReason(_ length: Int, atLeast: Bool = false) -> String {
        "record of \(atLeast ? "more than " : "")\(atLeast ? maximumRecordBytes : length) bytes exceeds the \(maximumRecordBytes)-byte limit"
    }

    /// Reads another chunk, moving unconsumed bytes to the front and growing the buffer when a record needs it.
    private mutating func fill() throws(InputError) {
        if start > 0 {
            let remaining = end - start
            if remaining > 0, let base = storage.baseAddress {
                memmove(base, base + start, remaining)
            }
            start = 0
            end = remaining
        }
        if storage.count - end < chunkSize {
            owner.grow(to: max(storage.count * 2, end + chunkSize), keeping: end)
            storage = owner.storage
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end..<storage.count]))
        if count == 0 { atEnd = true } else { end += count }
    }
}

/// Owns the reader's buffer so it is freed with the last copy of the reader.
final class StorageOwner {
    private(set) var storage: UnsafeMutableRawBufferPointer

    init(byteCount: Int) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
    }

    func grow(to byteCount: Int, keeping used: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
        larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<used]))
        storage.deallocate()
        storage = larger
    }

    deinit { storage.deallocate() }
}
