import Foundation
import SOCAnalystKit
import SOCModel
import SOCParsers
import Testing

/// The parsing task behind `ingest` and `hunt` stops with its consumer: a consumer that fails or is cancelled leaves
/// no task parsing on, and the caller learns it did not finish.
@Suite(.timeLimit(.minutes(10)))
struct ParsedBatchesTests {
    struct Stop: Error {}

    static func input() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-batches-\(UUID().uuidString).jsonl"
        ).path
        _ = try SyntheticEvents(shape: .raw).write(count: 30_000, to: path)
        return path
    }

    static func request(_ path: String) -> IngestService.Request {
        var request = IngestService.Request(
            paths: [path],
            options: .init(referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)
        )
        request.batchSize = 1_000
        return request
    }

    @Test func everyBatchArrivesInOrder() async throws {
        let parsing = try ParsedBatches(Self.request(try Self.input()))
        var events = 0
        var lastRecord = 0
        try await parsing.forEachBatch { batch in
            events += batch.count
            for event in batch {
                let record = Int(event.string(ECSField.winlogRecordID) ?? "") ?? 0
                #expect(record > lastRecord)
                lastRecord = record
            }
        }
        #expect(events == 30_000)
        #expect(await parsing.files.first?.events == 30_000)
    }

    @Test func aFailingConsumerStopsParsing() async throws {
        let parsing = try ParsedBatches(Self.request(try Self.input()))
        var seen = 0
        await #expect(throws: Stop.self) {
            try await parsing.forEachBatch { batch in
                seen += batch.count
                if seen >= 2_000 { throw Stop() }
            }
        }
        let parsed = await parsing.files.first?.events ?? 0  // returns: the parsing task has ended
        #expect(seen == 2_000)
        #expect(parsed < 30_000)
    }

    @Test func aCancelledConsumerStopsParsing() async throws {
        let parsing = try ParsedBatches(Self.request(try Self.input()))
        let consumer = Task {
            var seen = 0
            try await parsing.forEachBatch { batch in
                seen += batch.count
                if seen >= 2_000 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return seen
        }
        await #expect(throws: CancellationError.self) { _ = try await consumer.value }
        #expect((await parsing.files.first?.events ?? 0) < 30_000)
    }
}
