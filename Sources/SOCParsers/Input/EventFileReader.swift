import Foundation
public import SOCModel

/// Reads one input (a file, `-` for standard input, gzip or not) into events, batch by batch, with bounded memory.
///
/// The reader sniffs the format unless one is given, frames records, parses them, and keeps a count and the first
/// few reasons for every record it rejects. Valid events are never lost because of invalid ones.
///
/// ```swift
/// var reader = try EventFileReader(path: "auth.log", options: .init(referenceTime: now))
/// while let batch = try reader.nextBatch() { try store.append(batch) }
/// print(reader.summary.events, reader.summary.rejected)
/// ```
public struct EventFileReader {
    /// What happened reading one input.
    public struct Summary: Sendable {
        /// The input's path (`-` for standard input).
        public var path: String
        /// The format used, or `empty`/`binary` when there was nothing to parse.
        public var format: String
        /// Whether the input was gzip-compressed.
        public var compressed: Bool
        /// Events parsed.
        public var events = 0
        /// Records rejected.
        public var rejected = 0
        /// Bytes read (after decompression).
        public var bytes = 0
        /// The first ``EventFileReader/maximumErrors`` rejections.
        public var errors: [ParseDiagnostic] = []
        /// Problems with the input as a whole that cost no record, such as a gzip trailer that was ignored.
        public var warnings: [String] = []
    }

    /// How many rejection reasons a summary keeps per input.
    public static let maximumErrors = 10

    /// The summary so far; complete once ``nextBatch(maximumCount:)`` returns `nil`.
    public private(set) var summary: Summary
    private var reader: RecordReader<InputSource>?
    private var parser: (any LogParser)?
    /// The format read, for the parsers of parallel workers.
    private var format: LogFormat?
    /// A read failure met while framing, thrown by the next ``nextBatch(maximumCount:maximumBytes:)``.
    private var pendingError: InputError?
    /// How many threads parse a batch of independent records (1: in order, on the caller's thread). By default one
    /// core is left to whoever consumes the events (the store's writer, the Sigma engine): on two cores that is one
    /// parsing thread, which measured best for ingest (a second parsing thread slowed the SQLite writer by 1–7 %).
    public var parsingThreads = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Whether `.evtx` records found in slack space (after a chunk's last valid record: older records of a log that
    /// was cleared or overwritten) are read too, tagged `evtx-slack-recovered`. Off by default, so an `.evtx` file
    /// gives the records Windows and other readers show.
    public var recoversEVTXSlack = false
    private var context: ParseContext
    private let source: InputSource
    /// An `.evtx` input, read chunk by chunk instead of framed.
    private var evtx: EVTXStream?

    /// Opens an input and decides its format.
    /// - Parameters:
    ///   - path: A file path, or `-` for standard input.
    ///   - format: The format to use; `nil` sniffs it from the content.
    ///   - options: Parsing options.
    ///   - maximumRecordBytes: The largest record accepted; larger ones are rejected with a reason.
    ///   - maximumDecompressionRatio: For gzip input, how many times its compressed size it may decompress to
    ///     before reading stops with an error (a decompression bomb); `nil` for no limit.
    /// - Throws: ``InputError`` when the input cannot be opened or read.
    public init(
        path: String,
        format: LogFormat? = nil,
        options: ParseContext.Options,
        maximumRecordBytes: Int = 4 << 20,
        maximumDecompressionRatio: Int? = InputSource.defaultMaximumDecompressionRatio
    ) throws(InputError) {
        let source = try InputSource.open(path: path, maximumDecompressionRatio: maximumDecompressionRatio)
        try self.init(
            source: source,
            path: path,
            format: format,
            options: options,
            maximumRecordBytes: maximumRecordBytes
        )
    }

    /// Reads text already in memory (a pasted alert) as a file holding it would be read.
    /// - Parameters:
    ///   - text: The records.
    ///   - name: What diagnostics call the input.
    ///   - format: The format to use; `nil` sniffs it from the content.
    ///   - options: Parsing options.
    /// - Throws: ``InputError`` (not for memory; kept for symmetry with files).
    public init(text: String, name: String, format: LogFormat? = nil, options: ParseContext.Options) throws(InputError)
    {
        try self.init(
            source: .memory(MemorySource(text)),
            path: name,
            format: format,
            options: options,
            maximumRecordBytes: 4 << 20
        )
    }

    private init(
        source: InputSource,
        path: String,
        format: LogFormat?,
        options: ParseContext.Options,
        maximumRecordBytes: Int
    ) throws(InputError) {
        self.source = source
        context = ParseContext(options: options, path: path == "-" ? nil : path)
        summary = Summary(path: path, format: format?.name ?? "unknown", compressed: source.isCompressed)
        var reader = RecordReader(
            source: source,
            framing: format?.framing ?? .lines,
            maximumRecordBytes: maximumRecordBytes
        )
        let sample = try reader.peek(atLeast: 64 * 1024)
        var chosen = format
        switch FormatSniffer.sniff(sample, context: context) {
        case .empty:
            summary.format = "empty"
            source.close()
            return
        case .binary(let offset) where format == nil:
            summary.format = "binary"
            summary.rejected = 1
            summary.errors.append(
                ParseDiagnostic(
                    line: 1,
                    column: nil,
                    reason:
                        "binary content (byte \(offset) is not text); not a log format socagent reads — use --format to force one"
                )
            )
            source.close()
            return
        case .format(let sniffed):
            if let given = format, given.isJSON, sniffed.isJSON {
                chosen = given.with(framing: sniffed.framing)  // keep the layout (lines or document) that was seen
            } else if chosen == nil {
                chosen = sniffed
            }
        default:
            break
        }
        guard let chosen else { return }
        summary.format = chosen.name
        if chosen == .evtx {
            var header: [UInt8] = []
            try reader.take(EVTXFile.headerSize, into: &header)
            guard header.withUnsafeBytes(EVTXFile.hasSignature) else {
                reject(line: 1, column: nil, reason: "not an .evtx file (no ElfFile signature)")
                source.close()
                return
            }
            self.reader = reader
            self.evtx = EVTXStream(header: header)
            return
        }
        if chosen.framing != reader.framing { reader.reframe(as: chosen.framing) }
        self.reader = reader
        self.parser = EventFileReader.makeParser(chosen)
        self.format = chosen
    }

    /// The parser for a format.
    public static func makeParser(_ format: LogFormat) -> any LogParser {
        switch format.name {
        case LogFormat.syslog.name: SyslogParser()
        case LogFormat.auditd.name: AuditdParser()
        case LogFormat.text.name: GenericTextParser()
        case LogFormat.windowsXML.name: WindowsEventXMLParser()
        case LogFormat.sentinelCSV.name: SentinelCSVParser()
        default: JSONEventParser(format: format)
        }
    }

    /// Parses up to about `maximumCount` events or `maximumBytes` of records, whichever comes first; `nil` when the
    /// input is finished. The byte bound keeps memory flat when records are large (PowerShell script blocks).
    /// - Throws: ``InputError`` when reading fails (a truncated gzip stream, an I/O error): the events framed before
    ///   the failure are returned first, counted and with their diagnostics, and the error comes from the next call.
    public mutating func nextBatch(
        maximumCount: Int = 4096,
        maximumBytes: Int = 8 << 20
    ) throws(InputError) -> [SecurityEvent]? {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        if evtx != nil { return try nextEVTXBatch(maximumCount: maximumCount, maximumBytes: maximumBytes) }
        guard var reader, var parser, maximumCount > 0, maximumBytes > 0 else { return nil }
        var events: [SecurityEvent] = []
        var ended = false
        // A stretch of records that gives no event (all rejected) does not end the input: read on.
        while events.isEmpty, !ended {
            if parsingThreads > 1, parser.parsesRecordsIndependently, let format {
                events = parallelChunk(
                    &reader,
                    format: format,
                    maximumCount: maximumCount,
                    maximumBytes: maximumBytes,
                    ended: &ended
                )
            } else {
                events = serialChunk(
                    &reader,
                    &parser,
                    maximumCount: maximumCount,
                    maximumBytes: maximumBytes,
                    ended: &ended
                )
            }
        }
        self.parser = parser
        summary.events += events.count
        if ended {
            if let trailer = source.ignoredTrailer { summary.warnings.append(trailer) }
            source.close()
            self.reader = nil
        } else {
            self.reader = reader
        }
        if events.isEmpty {
            if let error = pendingError {
                pendingError = nil
                throw error
            }
            return nil
        }
        return events
    }

    /// Reads the next chunks of an `.evtx` input (about `maximumBytes` of them, and about 64 events each toward
    /// `maximumCount`), parses them on ``parsingThreads`` threads, and returns their events in file order.
    private mutating func nextEVTXBatch(maximumCount: Int, maximumBytes: Int) throws(InputError) -> [SecurityEvent]? {
        guard var stream = evtx, var reader else { return nil }
        var events: [SecurityEvent] = []
        while events.isEmpty, !stream.finished {
            let wanted = max(1, min(maximumBytes / EVTXFile.chunkSize, maximumCount / 64))
            var bytes: [UInt8] = []
            do {
                try reader.take(wanted * EVTXFile.chunkSize, into: &bytes)
            } catch {
                pendingError = error
            }
            if bytes.count < wanted * EVTXFile.chunkSize { stream.finished = true }
            if bytes.isEmpty { break }
            summary.bytes += bytes.count
            events = parseEVTXChunks(bytes, stream: &stream)
        }
        summary.events += events.count
        if stream.finished {
            evtx = nil
            self.reader = nil
            finishEVTX(stream)
            source.close()
        } else {
            evtx = stream
            self.reader = reader
        }
        if events.isEmpty {
            if let error = pendingError {
                pendingError = nil
                throw error
            }
            return nil
        }
        return events
    }

    /// Parses whole chunks (the last may be cut short) on ``parsingThreads`` threads; identifiers are numbered in
    /// record order afterwards, so the events are those a single thread gives.
    private mutating func parseEVTXChunks(_ bytes: [UInt8], stream: inout EVTXStream) -> [SecurityEvent] {
        let chunkCount = (bytes.count + EVTXFile.chunkSize - 1) / EVTXFile.chunkSize
        let firstChunk = stream.chunks
        let fileOffset = EVTXFile.headerSize + firstChunk * EVTXFile.chunkSize
        let workers = max(1, min(parsingThreads, chunkCount))
        let recoverSlack = recoversEVTXSlack
        let template = context.deferringIdentifiers()
        var results = [EVTXParsedChunk](repeating: EVTXParsedChunk(), count: chunkCount)
        bytes.withUnsafeBytes { buffer in
            let shared = SharedRecords(buffer: buffer, records: [])
            results.withUnsafeMutableBufferPointer { output in
                let slots = EVTXChunkSlots(buffer: output)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for index in stride(from: worker, to: chunkCount, by: workers) {
                        // Each chunk's slot is written by one worker only.
                        slots.buffer[index] = Self.parseEVTXChunk(
                            shared.buffer,
                            index: index,
                            firstChunk: firstChunk,
                            fileOffset: fileOffset,
                            recoverSlack: recoverSlack,
                            context: template
                        )
                    }
                }
            }
            for index in results.indices {
                let identifiers = context.resolve(results[index].deferred)
                for event in results[index].events.indices {
                    results[index].events[event].id = identifiers[Int(results[index].events[event].id.low)]
                }
            }
        }
        stream.chunks += chunkCount
        var events: [SecurityEvent] = []
        events.reserveCapacity(results.reduce(0) { $0 + $1.events.count })
        for result in results {
            if result.isUsed { stream.usedChunks += 1 }
            for diagnostic in result.diagnostics {
                if diagnostic.reason == EVTXChunkReader.recoveredReason {
                    stream.recovered += 1
                } else if diagnostic.record != nil {
                    reject(line: stream.records + 1, column: nil, reason: diagnostic.description)
                } else if summary.warnings.count < EventFileReader.maximumErrors {
                    summary.warnings.append(diagnostic.description)
                }
            }
            stream.records += result.events.count
            events.append(contentsOf: result.events)
        }
        return events
    }

    /// One chunk of a batch: its records as events, with identifiers deferred.
    private static func parseEVTXChunk(
        _ buffer: UnsafeRawBufferPointer,
        index: Int,
        firstChunk: Int,
        fileOffset: Int,
        recoverSlack: Bool,
        context template: ParseContext
    ) -> EVTXParsedChunk {
        let start = index * EVTXFile.chunkSize
        let end = min(buffer.count, start + EVTXFile.chunkSize)
        let chunk = EVTXChunkReader.read(
            UnsafeRawBufferPointer(rebasing: buffer[start..<end]),
            index: firstChunk + index,
            fileOffset: fileOffset + start,
            recoverSlack: recoverSlack
        )
        var context = template
        var result = EVTXParsedChunk()
        result.events.reserveCapacity(chunk.records.count)
        for record in chunk.records {
            let local = record.offset - fileOffset
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[local..<(local + record.size)])
            result.events.append(EVTXEvents.event(record, bytes: bytes, context: &context))
        }
        result.deferred = context.deferredRecords ?? []
        result.diagnostics = chunk.diagnostics
        result.isUsed = chunk.isUsed
        return result
    }

    /// Adds the file header's problems, now that the chunks are counted, and the slack-space recoveries.
    private mutating func finishEVTX(_ stream: EVTXStream) {
        let problems = stream.header.withUnsafeBytes { EVTXFile.headerDiagnostics($0, usedChunks: stream.usedChunks) }
        summary.warnings.insert(contentsOf: problems.map(\.description), at: 0)
        if stream.recovered > 0 {
            summary.warnings.append("\(stream.recovered) records recovered from slack space")
        }
    }

    /// The next framed item; `nil` at the end of the input, or on a read failure, which is kept for the next call.
    private mutating func nextItem(
        _ reader: inout RecordReader<InputSource>,
        ended: inout Bool
    ) -> RecordReader<InputSource>.Item? {
        do {
            if let item = try reader.next() { return item }
        } catch {
            pendingError = error
        }
        ended = true
        return nil
    }

    /// Frames and parses records in order until the bounds; a read failure ends the input (kept for the next call).
    private mutating func serialChunk(
        _ reader: inout RecordReader<InputSource>,
        _ parser: inout any LogParser,
        maximumCount: Int,
        maximumBytes: Int,
        ended: inout Bool
    ) -> [SecurityEvent] {
        var events: [SecurityEvent] = []
        events.reserveCapacity(min(maximumCount, 1024))
        var batchBytes = 0
        while events.count < maximumCount, batchBytes < maximumBytes, let item = nextItem(&reader, ended: &ended) {
            switch item {
            case .record(let bytes, let line):
                summary.bytes += bytes.count + 1
                batchBytes += bytes.count + 1
                do {
                    try parser.parse(bytes, line: line, context: &context, into: &events)
                } catch {
                    reject(line: line + error.lineOffset, column: error.column, reason: error.reason)
                }
            case .rejected(let line, let reason):
                reject(line: line, column: nil, reason: reason)
            }
        }
        return events
    }

    /// Frames up to `maximumCount` records (copied into one buffer), parses them on ``parsingThreads`` threads, each
    /// with its own parser and a context that defers identifiers, then numbers the identifiers in record order: the
    /// events, their order, identifiers and diagnostics are those ``serialChunk`` gives.
    private mutating func parallelChunk(
        _ reader: inout RecordReader<InputSource>,
        format: LogFormat,
        maximumCount: Int,
        maximumBytes: Int,
        ended: inout Bool
    ) -> [SecurityEvent] {
        var chunk: [UInt8] = []
        var records: [(start: Int, count: Int, line: Int)] = []
        // Reader rejections, placed before the record that followed them.
        var rejects: [(record: Int, diagnostic: ParseDiagnostic)] = []
        var bytes = 0
        while records.count < maximumCount, bytes < maximumBytes, let item = nextItem(&reader, ended: &ended) {
            switch item {
            case .record(let record, let line):
                records.append((chunk.count, record.count, line))
                chunk.append(contentsOf: record)
                bytes += record.count + 1
            case .rejected(let line, let reason):
                rejects.append((records.count, ParseDiagnostic(line: line, column: nil, reason: reason)))
            }
        }
        summary.bytes += bytes
        let workers = max(1, min(parsingThreads, records.count / 128))
        let template = context.deferringIdentifiers()
        var results = [ParsedRange](repeating: ParsedRange(), count: workers)
        chunk.withUnsafeBytes { buffer in
            let shared = SharedRecords(buffer: buffer, records: records)
            results.withUnsafeMutableBufferPointer { output in
                let slots = ParsedRangeSlots(buffer: output)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let range =
                        (shared.records.count * worker / workers)..<(shared.records.count * (worker + 1) / workers)
                    // Each worker writes its own slot only.
                    slots.buffer[worker] = Self.parse(shared, range, format: format, context: template)
                }
            }
            // Identifiers in record order, while the records' bytes are alive.
            for index in results.indices {
                let identifiers = context.resolve(results[index].deferred)
                for event in results[index].events.indices {
                    results[index].events[event].id = identifiers[Int(results[index].events[event].id.low)]
                }
            }
        }
        // Diagnostics in the order reading them in order gives: by record, a reader's rejection before the record
        // that followed it.
        let diagnostics =
            rejects.map { (order: $0.record * 2, diagnostic: $0.diagnostic) }
            + results.flatMap(\.rejects).map { (order: $0.record * 2 + 1, diagnostic: $0.diagnostic) }
        for (_, diagnostic) in diagnostics.sorted(by: { $0.order < $1.order }) {
            reject(line: diagnostic.line, column: diagnostic.column, reason: diagnostic.reason)
        }
        return results.flatMap(\.events)
    }

    /// One worker's share of a parallel batch.
    private struct ParsedRange {
        var events: [SecurityEvent] = []
        /// Parse errors with the index of their record in the chunk.
        var rejects: [(record: Int, diagnostic: ParseDiagnostic)] = []
        var deferred: [ParseContext.DeferredRecord] = []
    }

    /// Parses `range` of the records with a parser of its own.
    private static func parse(
        _ shared: SharedRecords,
        _ range: Range<Int>,
        format: LogFormat,
        context template: ParseContext
    ) -> ParsedRange {
        var parser = makeParser(format)
        var context = template
        var result = ParsedRange()
        for index in range {
            let record = shared.records[index]
            do {
                try parser.parse(
                    UnsafeRawBufferPointer(rebasing: shared.buffer[record.start..<(record.start + record.count)]),
                    line: record.line,
                    context: &context,
                    into: &result.events
                )
            } catch {
                result.rejects.append(
                    (
                        index,
                        ParseDiagnostic(
                            line: record.line + error.lineOffset,
                            column: error.column,
                            reason: error.reason
                        )
                    )
                )
            }
        }
        result.deferred = context.deferredRecords ?? []
        return result
    }

    /// The batch's bytes and record boundaries, read by every worker.
    private struct SharedRecords: @unchecked Sendable {
        // Read only while the workers run; the buffer outlives them.
        let buffer: UnsafeRawBufferPointer
        let records: [(start: Int, count: Int, line: Int)]
    }

    /// An `.evtx` input's progress.
    private struct EVTXStream {
        let header: [UInt8]
        var chunks = 0
        var usedChunks = 0
        var records = 0
        var recovered = 0
        var finished = false
    }

    /// One chunk's events, deferred identifiers and problems.
    private struct EVTXParsedChunk {
        var events: [SecurityEvent] = []
        var deferred: [ParseContext.DeferredRecord] = []
        var diagnostics: [EVTXDiagnostic] = []
        var isUsed = false
    }

    /// Per-chunk result slots; each chunk's slot is written by one worker only.
    private struct EVTXChunkSlots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<EVTXParsedChunk>
    }

    /// Per-worker result slots; each worker writes its own element only.
    private struct ParsedRangeSlots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<ParsedRange>
    }

    private mutating func reject(line: Int, column: Int?, reason: String) {
        summary.rejected += 1
        if summary.errors.count < EventFileReader.maximumErrors {
            summary.errors.append(ParseDiagnostic(line: line, column: column, reason: reason))
        }
    }
}

/// A record that was not parsed: where it is and why.
public struct ParseDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line where the problem is.
    public var line: Int
    /// The 1-based column on that line, when known.
    public var column: Int?
    /// Why the record was rejected.
    public var reason: String

    /// Creates a diagnostic.
    public init(line: Int, column: Int?, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line 3, column 17: reason`.
    public var description: String {
        column.map { "line \(line), column \($0): \(reason)" } ?? "line \(line): \(reason)"
    }
}
