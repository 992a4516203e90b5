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
    }

    /// How many rejection reasons a summary keeps per input.
    public static let maximumErrors = 10

    /// The summary so far; complete once ``nextBatch(maximumCount:)`` returns `nil`.
    public private(set) var summary: Summary
    private var reader: RecordReader<InputSource>?
    private var parser: (any LogParser)?
    private var context: ParseContext
    private let source: InputSource

    /// Opens an input and decides its format.
    /// - Parameters:
    ///   - path: A file path, or `-` for standard input.
    ///   - format: The format to use; `nil` sniffs it from the content.
    ///   - options: Parsing options.
    ///   - maximumRecordBytes: The largest record accepted; larger ones are rejected with a reason.
    /// - Throws: ``InputError`` when the input cannot be opened or read.
    public init(
        path: String,
        format: LogFormat? = nil,
        options: ParseContext.Options,
        maximumRecordBytes: Int = 4 << 20
    ) throws(InputError) {
        let source = try InputSource.open(path: path)
        self.source = source
        context = ParseContext(options: options, path: path == "-" ? nil : path)
        summary = Summary(path: path, format: format?.name ?? "unknown", compressed: source.isCompressed)
        var reader = RecordReader(source: source, framing: format?.framing ?? .lines, maximumRecordBytes: maximumRecordBytes)
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
                ParseDiagnostic(line: 1, column: nil, reason: "binary content (byte \(offset) is not text); not a log format socagent reads — use --format to force one")
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
        if chosen.framing != reader.framing { reader.reframe(as: chosen.framing) }
        self.reader = reader
        self.parser = EventFileReader.makeParser(chosen)
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
    /// - Throws: ``InputError`` when reading fails (a truncated gzip stream, an I/O error); events returned before
    ///   stay valid.
    public mutating func nextBatch(maximumCount: Int = 4096, maximumBytes: Int = 8 << 20) throws(InputError) -> [SecurityEvent]? {
        guard var reader, var parser else { return nil }
        defer {
            self.reader = reader
            self.parser = parser
        }
        var events: [SecurityEvent] = []
        events.reserveCapacity(min(maximumCount, 1024))
        var batchBytes = 0
        do {
            while events.count < maximumCount, batchBytes < maximumBytes, let item = try reader.next() {
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
        } catch {
            source.close()
            self.reader = nil
            reader = RecordReader(source: .memory(MemorySource([])), framing: .lines)
            summary.events += events.count
            throw error
        }
        summary.events += events.count
        if events.isEmpty {
            source.close()
            self.reader = nil
            reader = RecordReader(source: .memory(MemorySource([])), framing: .lines)
            return nil
        }
        return events
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
