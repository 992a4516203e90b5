import Foundation
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

/// Every `.evtx` file of the three shared corpora gives the events their evtx-rs JSON conversions give.
@Suite(.serialized, .enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct EVTXExactnessTests {
    static let corpora = ["deepbluecli-evtx", "evtx-attack-samples", "evtx-to-mitre-attack"]

    struct ManifestEntry: Decodable {
        let jsonl: String
        let original_evtx: String
        let events: Int
    }

    /// A record whose event differs from its JSON line's, described without its content.
    struct Difference: CustomStringConvertible {
        let file: String
        let index: Int
        let evtx: String
        let json: String
        var description: String { "\(file) #\(index):\n  evtx \(evtx)\n  json \(json)" }
    }

    @Test(.timeLimit(.minutes(10)), arguments: corpora)
    func eachRecordMatchesItsJSONConversion(corpus: String) throws {
        let folder = Support.data(corpus)
        let temporary = try EVTXSamples.extract(corpus)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let manifest = try JSONDecoder().decode(
            [ManifestEntry].self,
            from: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        )
        var records = 0
        var differences: [Difference] = []
        for entry in manifest {
            let (evtxEvents, summary) = try Support.read(temporary + "/" + entry.original_evtx)
            let (jsonEvents, _) = try Support.read(folder + "/" + entry.jsonl)
            #expect(summary.format == "evtx", "\(entry.original_evtx)")
            #expect(evtxEvents.count == entry.events, "\(entry.original_evtx): \(summary.errors) \(summary.warnings)")
            #expect(jsonEvents.count == entry.events, "\(entry.jsonl)")
            records += evtxEvents.count
            for (index, (evtx, json)) in zip(evtxEvents, jsonEvents).enumerated() {
                let left = EVTXSamples.comparable(evtx)
                let right = EVTXSamples.comparable(json)
                if left != right {
                    differences.append(Difference(file: entry.original_evtx, index: index, evtx: left, json: right))
                }
            }
        }
        #expect(records == manifest.reduce(0) { $0 + $1.events })
        #expect(differences.isEmpty, "\(differences.count) records differ; first: \(differences.prefix(3))")
    }
}

/// The shared `.evtx` samples, extracted for a test.
enum EVTXSamples {
    /// Extracts `corpus/original_evtx.tar.gz` into a new temporary folder and returns its path.
    static func extract(_ corpus: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("socagent-evtx-\(corpus)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-xzf", Support.data(corpus + "/original_evtx.tar.gz"), "-C", directory]
        try tar.run()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return directory
    }

    /// Every `.evtx` file under a folder, sorted.
    static func files(in directory: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".evtx") { files.append(directory + "/" + path) }
        }
        return files.sorted()
    }

    /// The event's document without what depends on the container rather than the record: the input format and
    /// path (and `event.original`, which `document()` leaves out).
    static func comparable(_ event: SecurityEvent) -> String {
        var event = event
        event[ECSField.logFilePath] = nil
        event[ECSField.sourceFormat] = nil
        return event.document()
    }
}
