import Foundation
import SOCModel
import SOCParsers
import SOCTestSupport

/// Shared helpers for the parser tests.
enum Support {
    /// This test target's folder in the source tree (fixtures are read from, and goldens recorded to, there).
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func fixture(_ relative: String) -> String {
        testsDirectory.appendingPathComponent("Fixtures/" + relative).path
    }

    /// A fixed "now" and year, so year inference does not depend on when the tests run.
    static let options = ParseContext.Options(year: 2024, referenceTime: Timestamp(year: 2024, month: 12, day: 31)!)

    /// The shared data folder (`SOCAGENT_TEST_DATA` or `../shared/data` beside the package), if present.
    static let sharedData: String? = SharedFiles.data

    static func data(_ relative: String) -> String { (sharedData ?? "/nonexistent") + "/" + relative }

    /// Reads a whole input with the given (or sniffed) format.
    static func read(
        _ path: String,
        format: LogFormat? = nil,
        options: ParseContext.Options = options
    ) throws
        -> (events: [SecurityEvent], summary: EventFileReader.Summary)
    {
        var reader = try EventFileReader(path: path, format: format, options: options)
        var events: [SecurityEvent] = []
        while let batch = try reader.nextBatch() { events += batch }
        return (events, reader.summary)
    }

    /// Parses text written to a temporary file.
    static func read(
        text: String,
        format: LogFormat? = nil,
        name: String = "input.log"
    ) throws
        -> (events: [SecurityEvent], summary: EventFileReader.Summary)
    {
        try read(bytes: Array(text.utf8), format: format, name: name)
    }

    static func read(
        bytes: [UInt8],
        format: LogFormat? = nil,
        name: String = "input.log"
    ) throws
        -> (events: [SecurityEvent], summary: EventFileReader.Summary)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-tests-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return try read(path, format: format)
    }

    /// The event's document without `log.file.path`, which depends on where the tests run.
    static func portableDocument(_ event: SecurityEvent) -> String {
        var event = event
        event[ECSField.logFilePath] = nil
        return event.document()
    }
}
