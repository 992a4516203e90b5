import Foundation
import SOCAgent
import SOCModel
import SOCStore
import SOCThreatIntel
import Testing

/// A store whose brute-force aggregation fails (a cluster timing out, say); everything else answers from memory.
private struct BruteForceFailingStore: EventStore {
    let base = InMemoryEventStore()

    func append(_ events: [SecurityEvent]) async throws -> AppendResult { await base.append(events) }
    func count() async throws -> Int { await base.count() }
    func statistics(top: Int) async throws -> StoreStatistics { await base.statistics(top: top) }
    func failedLogins(_ filter: EventFilter) async throws -> [EventSummary] { await base.failedLogins(filter) }
    func suspiciousProcesses(_ filter: EventFilter) async throws -> [ProcessFinding] {
        await base.suspiciousProcesses(filter)
    }
    func networkConnections(_ filter: EventFilter, includePrivate: Bool) async throws -> [EventSummary] {
        await base.networkConnections(filter, includePrivate: includePrivate)
    }
    func bruteForce(_ filter: EventFilter, minimumFailures: Int) async throws -> [BruteForceSource] {
        throw EventStoreError(.readFailed, "the aggregation timed out")
    }
    func forEachEvent(_ filter: EventFilter, pageSize: Int, _ body: ([SecurityEvent]) async throws -> Void) async throws
    {
        try await base.forEachEvent(filter, pageSize: pageSize, body)
    }
    func search(_ query: LuceneQuery, filter: EventFilter, now: Timestamp) async throws -> SearchResult {
        await base.search(query, filter: filter, now: now)
    }
    var keepsDetections: Bool { true }
    func saveDetections(_ detections: [StoredDetection]) async throws { await base.saveDetections(detections) }
    func detections(_ filter: EventFilter, minimumLevel: SigmaLevel) async throws -> [StoredDetection] {
        await base.detections(filter, minimumLevel: minimumLevel)
    }
}

/// A tool that fails is a recorded failure, never "nothing found".
@Suite struct FailedToolTests {
    @Test func aFailedToolIsRecordedAndNamedInTheReasons() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-failed-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try IntelDatabase(path: directory.appendingPathComponent("intel.db").path)
        let intel = ThreatIntelService(database: database, providers: [], offline: true)
        let report = await DeterministicAnalyst().investigate(
            Alert(text: "Failed password for root from 203.0.113.7 at 2024-02-04 10:15:23"),
            store: BruteForceFailingStore(),
            intel: intel
        )
        let call = try #require(report.toolCalls.first { $0.tool == "detect_brute_force" })
        #expect(call.error?.contains("the aggregation timed out") == true)
        #expect(call.resultSummary.hasPrefix("error: "))
        #expect(report.severityReasons.contains { $0.hasPrefix("Incomplete: 1 tool call failed (detect_brute_force)") })
        // The other calls succeeded and carry no error.
        #expect(report.toolCalls.filter { $0.error != nil }.count == 1)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains(#""error":"#))
    }
}
