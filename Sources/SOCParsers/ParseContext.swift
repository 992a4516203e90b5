public import SOCModel

/// What parsers need to know about the input they read, and the per-input state they share.
public struct ParseContext: Sendable {
    /// Options a user sets for parsing.
    public struct Options: Sendable {
        /// The year for timestamps that have none (RFC 3164). `nil` infers it from ``referenceTime``.
        public var year: Int?
        /// "Now" for year inference: a year-less timestamp later than this (by more than a day) is put in the year before.
        public var referenceTime: Timestamp
        /// Creates options.
        public init(year: Int? = nil, referenceTime: Timestamp) {
            self.year = year
            self.referenceTime = referenceTime
        }
    }

    /// The parsing options.
    public var options: Options
    /// The path of the input, recorded as `log.file.path`, or `nil` for standard input.
    public var path: String?
    private var occurrences = RecordOccurrences()
    /// In a parallel parse, the records identifiers were asked for (address and length), in order; the identifiers
    /// handed out are placeholders (their index here) until ``resolve(_:)`` numbers them in record order, while the
    /// records' bytes are still held by the reader.
    private(set) var deferredRecords: [DeferredRecord]?

    /// A record's bytes by address (plain numbers, so the context stays `Sendable`) and its first identifier,
    /// hashed by the worker.
    struct DeferredRecord: Sendable {
        let address: UInt
        let count: Int
        let first: EventIdentifier
    }

    /// Creates a context for one input.
    public init(options: Options, path: String?) {
        self.options = options
        self.path = path
    }

    /// A context for one worker of a parallel parse: same options and path, identifiers deferred.
    func deferringIdentifiers() -> ParseContext {
        var context = ParseContext(options: options, path: path)
        context.deferredRecords = []
        return context
    }

    /// The stable identifier for a record: its hash, told apart from identical earlier records in the same input.
    ///
    /// Identical records anywhere in the input get occurrence numbers 1, 2, … (or, past a memory bound, their
    /// position: see ``RecordOccurrences``), so a log that really repeats a line keeps every copy while re-ingesting
    /// the same file still gives the same identifiers.
    public mutating func identifier(for record: UnsafeRawBufferPointer) -> EventIdentifier {
        let first = EventIdentifier(record: record)
        if deferredRecords != nil {
            deferredRecords?.append(
                DeferredRecord(address: UInt(bitPattern: record.baseAddress), count: record.count, first: first)
            )
            return EventIdentifier(high: 0, low: UInt64((deferredRecords?.count ?? 1) - 1))
        }
        return numbered(first, record: record)
    }

    /// `first`, or for a record seen before in this input, its identifier with the occurrence number.
    private mutating func numbered(_ first: EventIdentifier, record: UnsafeRawBufferPointer) -> EventIdentifier {
        occurrences.identifier(first, record: record)
    }

    /// The identifiers of records a worker context deferred, numbered in order as ``identifier(for:)`` numbers them.
    /// The records' bytes must still be alive.
    mutating func resolve(_ records: [DeferredRecord]) -> [EventIdentifier] {
        records.map {
            numbered(
                $0.first,
                record: UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: $0.address), count: $0.count)
            )
        }
    }

    /// The year for a year-less month and day: the reference year, or the one before when the date would be in the future.
    public func inferredYear(month: Int, day: Int) -> Int {
        if let year = options.year { return year }
        let reference = options.referenceTime.components
        if let candidate = Timestamp(year: reference.year, month: month, day: min(day, 28)),
            candidate.microsecondsSinceEpoch > options.referenceTime.microsecondsSinceEpoch + 86_400_000_000
        {
            return reference.year - 1
        }
        return reference.year
    }

    /// The year to try for RFC 3164 timestamps in `bytes`, from its month and day when they can be read.
    func yearForSyslogTimestamp(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let year = options.year { return year }
        guard bytes.count >= 6, let month = TimestampParser.month(bytes[0], bytes[1], bytes[2]) else {
            return options.referenceTime.components.year
        }
        var day = 0
        for index in 4..<min(6, bytes.count) where isDigit(bytes[index]) { day = day * 10 + Int(bytes[index] - 0x30) }
        return inferredYear(month: month, day: max(day, 1))
    }
}

/// A record a parser could not turn into an event, with where and why.
public struct ParseError: Error, Sendable, CustomStringConvertible {
    /// The 1-based column (byte offset + 1) within the record's first line, when known.
    public var column: Int?
    /// What was wrong, for people. Never includes the record's content.
    public var reason: String
    /// How many lines into a multi-line record the problem is (0 for its first line).
    public var lineOffset = 0
    /// Creates an error.
    public init(_ reason: String, column: Int? = nil) {
        self.reason = reason
        self.column = column
    }
    /// The reason, with the column when known.
    public var description: String { column.map { "column \($0): \(reason)" } ?? reason }
}

/// Turns records of one format into events.
///
/// A parser is used for one input at a time and may keep scratch buffers between records, so it is a mutable
/// value rather than a shared, `Sendable` object.
public protocol LogParser {
    /// The format this parser reads.
    var format: LogFormat { get }
    /// Whether each record is parsed on its own, with no state carried from one record to the next (a CSV header is
    /// such state): then records may be parsed on several threads at once.
    var parsesRecordsIndependently: Bool { get }

    /// Parses one record and appends zero or more events (a Log Analytics response holds many rows).
    /// - Parameters:
    ///   - record: The record's bytes, valid only during the call.
    ///   - line: The record's first line number, for multi-line records' diagnostics.
    ///   - context: The input's context (options, identifier state).
    ///   - events: Where events are appended.
    /// - Throws: ``ParseError`` when the record cannot be read; the caller counts it and goes on.
    mutating func parse(
        _ record: UnsafeRawBufferPointer,
        line: Int,
        context: inout ParseContext,
        into events: inout [SecurityEvent]
    ) throws(ParseError)
}

extension LogParser {
    /// Records are parsed in order, one after another, unless a parser says they are independent.
    public var parsesRecordsIndependently: Bool { false }
}
