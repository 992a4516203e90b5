import AsyncAlgorithms
import Foundation
import SOCHTTP
public import SOCModel
public import SOCParsers
public import SOCStore

/// Reads log inputs into an event store: the work behind `socagent ingest`.
///
/// Parsing and writing overlap: one task parses the next batch while the store writes the previous one, with at
/// most two batches in flight, so memory stays flat whatever the input size.
public struct IngestService: Sendable {
    /// What to ingest.
    public struct Request: Sendable {
        /// Files, directories (read recursively) and `-` for standard input.
        public var paths: [String]
        /// The format to use for every input; `nil` sniffs each input.
        public var format: LogFormat?
        /// Parsing options.
        public var options: ParseContext.Options
        /// The largest record accepted.
        public var maximumRecordBytes = 4 << 20
        /// How many times its compressed size a gzip input may decompress to; `nil` for no limit.
        public var maximumDecompressionRatio: Int? = InputSource.defaultMaximumDecompressionRatio
        /// Events per store batch.
        public var batchSize = 4096
        /// Whether `.evtx` records in slack space (after a chunk's last valid record) are read too, tagged
        /// `evtx-slack-recovered`.
        public var recoversEVTXSlack = false

        /// Creates a request.
        public init(paths: [String], format: LogFormat? = nil, options: ParseContext.Options) {
            self.paths = paths
            self.format = format
            self.options = options
        }
    }

    /// Progress, reported after each batch.
    public struct Progress: Sendable {
        /// The input being read.
        public var path: String
        /// Inputs finished so far.
        public var filesDone: Int
        /// Inputs in total.
        public var files: Int
        /// Events parsed so far.
        public var events: Int
        /// Bytes read so far.
        public var bytes: Int
        /// Whether reading is done and the store is building its indexes.
        public var indexing = false
    }

    /// The store written to.
    public let store: any EventStore

    /// Creates a service writing to `store`.
    public init(store: any EventStore) { self.store = store }

    /// Expands paths into the inputs to read: directories recursively (in name order, hidden entries skipped).
    /// - Throws: ``IngestError`` naming the first path that does not exist or cannot be read, before anything is read.
    public static func expandInputs(_ paths: [String]) throws -> [String] {
        let manager = FileManager.default
        var inputs: [String] = []
        for path in paths {
            if path == "-" {
                inputs.append(path)
                continue
            }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw IngestError("no such file or directory: \(path)")
            }
            if isDirectory.boolValue {
                guard let enumerator = manager.enumerator(atPath: path) else {
                    throw IngestError("cannot read directory \(path)")
                }
                var found: [String] = []
                while let relative = enumerator.nextObject() as? String {
                    let name = (relative as NSString).lastPathComponent
                    if name.hasPrefix(".") {
                        if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
                            enumerator.skipDescendants()
                        }
                        continue
                    }
                    let full = (path as NSString).appendingPathComponent(relative)
                    var childIsDirectory: ObjCBool = false
                    if manager.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                        found.append(full)
                    }
                }
                inputs.append(contentsOf: found.sorted())
            } else {
                guard manager.isReadableFile(atPath: path) else {
                    throw IngestError("cannot read \(path): permission denied")
                }
                inputs.append(path)
            }
        }
        return inputs
    }

    /// Ingests every input of `request`.
    /// - Parameter progress: Called after each batch, from the parsing task.
    /// - Returns: Counts per input and in total, with the first rejection reasons of each input.
    /// - Throws: ``IngestError`` for a missing input; ``EventStoreError`` when the store cannot be written.
    public func run(
        _ request: Request,
        progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws -> IngestReport {
        let started = ContinuousClock.now
        // A missing input fails here, before the store is touched.
        let parsing = try ParsedBatches(request, progress: progress)
        let inputs = parsing.inputs
        do {
            try await store.beginBulkLoad()
        } catch {
            await parsing.cancel()
            throw error
        }
        var stored = AppendResult()
        var storeTime = Duration.zero
        var finishTime = Duration.zero
        try await parsing.forEachBatch { batch in
            let appendStarted = ContinuousClock.now
            stored += try await store.append(batch)
            storeTime += ContinuousClock.now - appendStarted
        }
        let finishStarted = ContinuousClock.now
        progress(
            Progress(
                path: "",
                filesDone: inputs.count,
                files: inputs.count,
                events: stored.inserted + stored.duplicates,
                bytes: 0,
                indexing: true
            )
        )
        try await store.finishBulkLoad()
        finishTime = ContinuousClock.now - finishStarted
        let files = await parsing.files
        var report = IngestReport(
            files: files,
            inserted: stored.inserted,
            duplicates: stored.duplicates,
            seconds: (ContinuousClock.now - started).timeInterval
        )
        report.failed = stored.failed
        report.failures = stored.failures
        report.storeSeconds = storeTime.timeInterval
        report.indexSeconds = finishTime.timeInterval
        return report
    }
}

/// The events of a request's inputs, parsed by a task of their own into a channel of batches, so that whatever
/// consumes them (the store, the Sigma engine) works while the next batch is parsed; at most two batches are in
/// flight. Each input's counts and rejection reasons are in ``files`` once the channel is finished.
public struct ParsedBatches: Sendable {
    /// The inputs, as ``IngestService/expandInputs(_:)`` expanded them.
    public let inputs: [String]
    private let batches = AsyncThrowingChannel<[SecurityEvent], any Error>()
    private let parsing: Task<[IngestReport.File], Never>

    /// Starts parsing.
    /// - Throws: ``IngestError`` for a missing input, before anything is read.
    public init(
        _ request: IngestService.Request,
        progress: @escaping @Sendable (IngestService.Progress) -> Void = { _ in }
    ) throws {
        let inputs = try IngestService.expandInputs(request.paths)
        let batches = self.batches
        self.inputs = inputs
        parsing = Task {
            var files: [IngestReport.File] = []
            var events = 0
            var bytes = 0
            for (index, path) in inputs.enumerated() {
                var file = IngestReport.File(path: path, format: request.format?.name ?? "unknown")
                do {
                    var reader = try EventFileReader(
                        path: path,
                        format: request.format,
                        options: request.options,
                        maximumRecordBytes: request.maximumRecordBytes,
                        maximumDecompressionRatio: request.maximumDecompressionRatio
                    )
                    reader.recoversEVTXSlack = request.recoversEVTXSlack
                    do {
                        while !Task.isCancelled, let batch = try reader.nextBatch(maximumCount: request.batchSize) {
                            await batches.send(batch)
                            progress(
                                IngestService.Progress(
                                    path: path,
                                    filesDone: index,
                                    files: inputs.count,
                                    events: events + reader.summary.events,
                                    bytes: bytes + reader.summary.bytes
                                )
                            )
                        }
                    } catch {
                        file.readError = "\(error)"
                    }
                    file.apply(reader.summary)
                } catch {
                    file.format = "unreadable"
                    file.readError = "\(error)"
                }
                if let readError = file.readError {
                    file.rejected += 1
                    if file.errors.count < EventFileReader.maximumErrors {
                        file.errors.append(.init(line: nil, column: nil, reason: readError))
                    }
                }
                events += file.events
                bytes += file.bytes
                files.append(file)
                if Task.isCancelled { break }
            }
            batches.finish()
            return files
        }
    }

    /// Each input's counts and first rejection reasons (waits for parsing to end).
    public var files: [IngestReport.File] {
        get async { await parsing.value }
    }

    /// Calls `body` with each batch, in input order. When `body` throws or the calling task is cancelled, parsing
    /// stops and the error (or `CancellationError`) is thrown.
    public func forEachBatch(_ body: ([SecurityEvent]) async throws -> Void) async throws {
        do {
            try await withTaskCancellationHandler {
                for try await batch in batches { try await body(batch) }
                try Task.checkCancellation()  // a cancelled consumer's channel just ends: that is not success
            } onCancel: {
                parsing.cancel()
                batches.finish()
            }
        } catch {
            await cancel()
            throw error
        }
    }

    /// Stops parsing (its task ends and the input is closed) without waiting for the batches.
    public func cancel() async {
        parsing.cancel()
        batches.finish()
        _ = await parsing.value
    }
}

/// An input that cannot be ingested at all (missing, unreadable).
public struct IngestError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the path.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// The result of an ingest, shaped as `socagent ingest --json` prints it.
public struct IngestReport: Sendable, Codable {
    /// One input's counts and first rejection reasons.
    public struct File: Sendable, Codable {
        /// A rejected record's position and reason.
        public struct Error: Sendable, Codable, Equatable, CustomStringConvertible {
            /// The 1-based line, when the problem has one.
            public var line: Int?
            /// The 1-based column, when known.
            public var column: Int?
            /// Why.
            public var reason: String

            /// `line 3, column 17: reason`, or the reason alone when it has no position.
            public var description: String {
                let position = [line.map { "line \($0)" }, column.map { "column \($0)" }].compactMap { $0 }.joined(
                    separator: ", "
                )
                return position.isEmpty ? reason : position + ": " + reason
            }
        }
        /// The input's path.
        public var path: String
        /// The format read (or `empty`, `binary`, `unreadable`).
        public var format: String
        /// Events parsed.
        public var events = 0
        /// Records rejected.
        public var rejected = 0
        /// Bytes read, after decompression.
        public var bytes = 0
        /// Whether the input was gzip-compressed.
        public var compressed = false
        /// The first rejection reasons.
        public var errors: [Error] = []
        /// Problems with the input as a whole that cost no record (an ignored gzip trailer).
        public var warnings: [String] = []
        var readError: String?

        init(path: String, format: String) {
            self.path = path
            self.format = format
        }

        mutating func apply(_ summary: EventFileReader.Summary) {
            format = summary.format
            events = summary.events
            rejected = summary.rejected
            bytes = summary.bytes
            compressed = summary.compressed
            errors = summary.errors.map { Error(line: $0.line, column: $0.column, reason: $0.reason) }
            warnings = summary.warnings
        }

        enum CodingKeys: String, CodingKey {
            case path, format, events, rejected, bytes, compressed, errors, warnings
        }
    }

    /// Events parsed from all inputs.
    public var events: Int
    /// Records rejected in all inputs.
    public var rejected: Int
    /// Events that were new to the store.
    public var inserted: Int
    /// Events the store already had.
    public var duplicates: Int
    /// Events the store refused one by one (Elasticsearch `_bulk` item errors); never dropped silently.
    public var failed: Int = 0
    /// Why, for the first few of them.
    public var failures: [String] = []
    /// Bytes read from all inputs.
    public var bytes: Int
    /// Wall-clock time.
    public var seconds: Double
    /// Time spent in the store's appends (overlapping parsing).
    public var storeSeconds: Double = 0
    /// Time spent building indexes and full-text data after the load.
    public var indexSeconds: Double = 0
    /// Per input.
    public var files: [File]

    init(files: [File], inserted: Int, duplicates: Int, seconds: Double) {
        self.files = files
        self.events = files.reduce(0) { $0 + $1.events }
        self.rejected = files.reduce(0) { $0 + $1.rejected }
        self.bytes = files.reduce(0) { $0 + $1.bytes }
        self.inserted = inserted
        self.duplicates = duplicates
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case events, rejected, inserted, duplicates, failed, failures, bytes, seconds, files
        case storeSeconds = "store_seconds"
        case indexSeconds = "index_seconds"
    }
}
