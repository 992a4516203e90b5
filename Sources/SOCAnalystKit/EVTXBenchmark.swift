import Foundation
import SOCModel
import SOCParsers

/// `socagent bench evtx`: reading `.evtx` files, on one core and on all, at two depths: the reader alone (records
/// as the Windows normalizer takes them) and the whole ingest parse (normalized ECS events, identifiers, originals).
public enum EVTXBenchmark {
    /// One measurement.
    public struct Measurement: Sendable, Codable, Equatable {
        /// `records` (the reader alone) or `events` (through the normalizer, as ingest parses).
        public var depth: String
        public var threads: Int
        public var records: Int
        public var megabytes: Double
        public var seconds: Double
        public var recordsPerSecond: Double
        public var megabytesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case depth, threads, records, megabytes, seconds
            case recordsPerSecond = "records_per_second"
            case megabytesPerSecond = "megabytes_per_second"
        }
    }

    /// A run: the files, how many times they were read, and the measurements.
    public struct Result: Sendable, Codable, Equatable {
        public var files: Int
        public var recordsPerPass: Int
        public var passes: Int
        public var measurements: [Measurement]
        public var peakRSSMegabytes: Double

        enum CodingKeys: String, CodingKey {
            case files, passes, measurements
            case recordsPerPass = "records_per_pass"
            case peakRSSMegabytes = "peak_rss_megabytes"
        }
    }

    /// Reads every `.evtx` file under `paths` as many times as it takes to read at least `records` records, at each
    /// depth on one thread and on `cores` threads.
    public static func run(paths: [String], records: Int, cores: Int) throws -> Result {
        let files = try IngestService.expandInputs(paths).filter { $0.hasSuffix(".evtx") }.sorted()
        let contents = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let perPass = contents.reduce(0) { total, bytes in
            total
                + bytes.withUnsafeBytes { buffer in
                    let file = EVTXFile(bytes: buffer)
                    return (0..<file.chunkCount).reduce(0) {
                        $0 + file.readChunk($1, recoverSlack: false).records.count
                    }
                }
        }
        let passes = max(1, (records + max(perPass, 1) - 1) / max(perPass, 1))
        let megabytes = Double(contents.reduce(0) { $0 + $1.count }) * Double(passes) / 1_000_000
        var measurements: [Measurement] = []
        for threads in Set([1, max(1, cores)]).sorted() {
            let started = ContinuousClock.now
            var count = 0
            for _ in 0..<passes { count += readRecords(contents, threads: threads) }
            measurements.append(measure("records", threads, count, megabytes, started))
        }
        for threads in Set([1, max(1, cores)]).sorted() {
            let started = ContinuousClock.now
            var count = 0
            for _ in 0..<passes {
                for file in files {
                    var reader = try EventFileReader(
                        path: file,
                        options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))
                    )
                    reader.parsingThreads = threads
                    while try reader.nextBatch() != nil {}
                    count += reader.summary.events
                }
            }
            measurements.append(measure("events", threads, count, megabytes, started))
        }
        return Result(
            files: files.count,
            recordsPerPass: perPass,
            passes: passes,
            measurements: measurements,
            peakRSSMegabytes: Double(ProcessStatistics.peakResidentBytes) / 1_000_000
        )
    }

    private static func measure(
        _ depth: String,
        _ threads: Int,
        _ records: Int,
        _ megabytes: Double,
        _ started: ContinuousClock.Instant
    ) -> Measurement {
        let seconds = (ContinuousClock.now - started).timeInterval
        return Measurement(
            depth: depth,
            threads: threads,
            records: records,
            megabytes: megabytes,
            seconds: seconds,
            recordsPerSecond: Double(records) / seconds,
            megabytesPerSecond: megabytes / seconds
        )
    }

    /// Every record of every file, the files' chunks spread over `threads` threads.
    private static func readRecords(_ contents: [[UInt8]], threads: Int) -> Int {
        var total = 0
        for bytes in contents {
            total += bytes.withUnsafeBytes { buffer in
                let file = EVTXFile(bytes: buffer)
                let shared = SharedFile(file: file)
                let workers = max(1, min(threads, file.chunkCount))
                let counts = Counts(workers)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var count = 0
                    for index in stride(from: worker, to: shared.file.chunkCount, by: workers) {
                        count += shared.file.readChunk(index, recoverSlack: false).records.count
                    }
                    counts.set(worker, count)
                }
                return counts.total
            }
        }
        return total
    }

    /// A file read by every worker while its bytes are alive.
    private struct SharedFile: @unchecked Sendable {
        let file: EVTXFile
    }

    /// Per-worker counts; each worker writes its own slot only.
    private final class Counts: @unchecked Sendable {
        private let values: UnsafeMutableBufferPointer<Int>
        init(_ count: Int) {
            values = .allocate(capacity: count)
            values.initialize(repeating: 0)
        }
        deinit { values.deallocate() }
        func set(_ index: Int, _ value: Int) { values[index] = value }
        var total: Int { values.reduce(0, +) }
    }
}
