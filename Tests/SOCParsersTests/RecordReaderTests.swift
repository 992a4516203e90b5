import Foundation
import SOCModel
import SOCParsers
import Testing

@Suite struct RecordReaderTests {
    /// Reads every item, with a tiny chunk size so records straddle buffer boundaries.
    private func items(
        _ text: String,
        _ framing: RecordFraming,
        maximum: Int = 4 << 20,
        chunk: Int = 7
    ) throws -> [String] {
        try items(Array(text.utf8), framing, maximum: maximum, chunk: chunk)
    }

    private func items(
        _ bytes: [UInt8],
        _ framing: RecordFraming,
        maximum: Int = 4 << 20,
        chunk: Int = 7
    ) throws -> [String] {
        var reader = RecordReader(
            source: MemorySource(bytes),
            framing: framing,
            maximumRecordBytes: maximum,
            chunkSize: chunk
        )
        var result: [String] = []
        while let item = try reader.next() {
            switch item {
            case .record(let record, let line): result.append("\(line):\(String(decoding: record, as: UTF8.self))")
            case .rejected(let line, let reason): result.append("\(line)!\(reason)")
            }
        }
        return result
    }

    @Test func splitsLinesWithAnyEnding() throws {
        #expect(try items("a\r\nbb\n\nccc", .lines) == ["1:a", "2:bb", "3:", "4:ccc"])
        #expect(try items("one line\n", .lines) == ["1:one line"])
        #expect(try items("", .lines) == [])
    }

    @Test func skipsAnOversizedLineAndKeepsCountingLines() throws {
        let long = String(repeating: "x", count: 5000)
        let result = try items("first\n\(long)\nthird\n", .lines, maximum: 1024, chunk: 256)
        #expect(result.count == 3)
        #expect(result[0] == "1:first")
        #expect(result[1].hasPrefix("2!record of more than 1024 bytes exceeds the 1024-byte limit"))
        #expect(result[2] == "3:third")
    }

    @Test func framesPrettyPrintedJSONArraysAndStreams() throws {
        let array = "[\n  {\"a\": \"x]\"},\n  {\"b\": [1, 2]}\n]\n"
        #expect(try items(array, .jsonValues) == ["2:{\"a\": \"x]\"}", "3:{\"b\": [1, 2]}"])
        let stream = "{\n \"a\": 1\n}\n{\n \"b\": \"}\\\"\"\n}"
        #expect(try items(stream, .jsonValues) == ["1:{\n \"a\": 1\n}", "4:{\n \"b\": \"}\\\"\"\n}"])
    }

    @Test func reportsAnUnterminatedJSONValue() throws {
        let result = try items("{\"a\": 1}\n{\"b\": ", .jsonValues)
        #expect(result.count == 2)
        #expect(result[1].hasPrefix("2!unterminated JSON value"))
    }

    @Test func framesCSVRowsWithQuotedLineBreaks() throws {
        #expect(try items("a,b\n1,\"x\ny\"\n2,z\n", .csvRows) == ["1:a,b", "2:1,\"x\ny\"", "4:2,z"])
    }

    @Test func framesXMLEventsInsideAnEventsRoot() throws {
        let xml = "<?xml version=\"1.0\"?>\n<Events>\n<Event a='1'><System/></Event>\n<Event>\n<x/>\n</Event></Events>"
        #expect(try items(xml, .xmlEvents) == ["3:<Event a='1'><System/></Event>", "4:<Event>\n<x/>\n</Event>"])
    }

    @Test func readsGzipInput() throws {
        // "a\nb\n" compressed with gzip -9.
        let gzip: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xe4, 0x4a, 0xe2, 0x02, 0x00, 0x97, 0x2a,
            0x57, 0x18, 0x04, 0x00, 0x00, 0x00,
        ]
        // Twice over, to read concatenated gzip members as one stream.
        let source = try GzipSource(MemorySource(gzip + gzip), name: "memory")
        var reader = RecordReader(source: source, framing: .lines)
        var lines: [String] = []
        while case .record(let bytes, _) = try reader.next() { lines.append(String(decoding: bytes, as: UTF8.self)) }
        #expect(lines == ["a", "b", "a", "b"])
    }

    @Test func reportsTruncatedGzip() throws {
        let truncated: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xe4]
        var reader = RecordReader(source: try GzipSource(MemorySource(truncated), name: "x.gz"), framing: .lines)
        #expect(throws: InputError.self) {
            while try reader.next() != nil {}
        }
    }
}

/// Parsing a batch on several threads gives exactly what parsing it in order gives: the same events in the same
/// order, the same identifiers (repeated records numbered in file order), the same diagnostics.
@Suite struct ParallelParsingTests {
    static func readAll(
        _ path: String,
        threads: Int
    ) throws -> (events: [SecurityEvent], summary: EventFileReader.Summary) {
        var reader = try EventFileReader(path: path, options: Support.options)
        reader.parsingThreads = threads
        var events: [SecurityEvent] = []
        while let batch = try reader.nextBatch(maximumCount: 700) { events += batch }
        return (events, reader.summary)
    }

    @Test func matchesParsingInOrder() throws {
        // Repeated records (inside a batch and across batches), bad lines, blank lines and an oversized line.
        var lines: [String] = []
        for index in 0..<3_000 {
            switch index % 10 {
            case 3: lines.append(#"{"@timestamp":"2024-02-04T10:15:23Z","message":"same record"}"#)
            case 7: lines.append(#"{"@timestamp": "2024-02-04T10:15:2"#)  // cut short
            case 9: lines.append("")
            default:
                lines.append(
                    #"{"@timestamp":"2024-02-04T10:15:23Z","event":{"code":"4625"},"source":{"ip":"10.0.0.\#(index % 200)"},"user":{"name":"u\#(index)"}}"#
                )
            }
        }
        lines.insert(String(repeating: "x", count: 5 << 20), at: 1_500)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-parallel-\(UUID().uuidString).jsonl"
        ).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let inOrder = try Self.readAll(path, threads: 1)
        let parallel = try Self.readAll(path, threads: 2)
        #expect(parallel.events == inOrder.events)
        #expect(parallel.events.map(\.id) == inOrder.events.map(\.id))
        #expect(Set(inOrder.events.map(\.id)).count == inOrder.events.count)  // the repeated record kept apart
        #expect(parallel.summary.events == inOrder.summary.events && parallel.summary.events == 2_400)
        #expect(parallel.summary.rejected == inOrder.summary.rejected && inOrder.summary.rejected == 301)
        #expect(parallel.summary.errors == inOrder.summary.errors)
        #expect(parallel.summary.bytes == inOrder.summary.bytes)
    }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("socagent-\(UUID().uuidString)-\(name)").path
    }

    /// Many values on one line (a JSON array), some refused: diagnostics of the same line keep record order.
    @Test func matchesParsingInOrderForJSONValuesOnOneLine() throws {
        var values: [String] = []
        for index in 0..<900 {
            switch index % 9 {
            case 4, 7: values.append(#"{"Event":{"System":{}}}"#)
            default:
                values.append(
                    #"{"Event":{"System":{"EventID":4625,"Channel":"Security","Computer":"WS-\#(index % 30)","EventRecordID":\#(index)},"EventData":{"TargetUserName":"u\#(index % 4)"}}}"#
                )
            }
        }
        let path = Self.temporary("values.json")
        try ("[" + values.joined(separator: ", ") + "]\n").write(toFile: path, atomically: true, encoding: .utf8)
        let inOrder = try Self.readAll(path, threads: 1)
        let parallel = try Self.readAll(path, threads: 2)
        #expect(inOrder.summary.format == "evtx-json")
        #expect(parallel.events == inOrder.events)
        #expect(parallel.summary.errors == inOrder.summary.errors)
        #expect(
            inOrder.summary.rejected == 200 && inOrder.events.count == 700,
            "\(inOrder.summary.rejected) \(inOrder.events.count) \(inOrder.summary.errors.prefix(3))"
        )
    }

    /// A gzip stream cut short: the events framed before the cut are returned and counted, then the read error.
    @Test func aReadFailureKeepsWhatWasFramed() throws {
        let plain = Self.temporary("cut.jsonl")
        let lines = (0..<20_000).map {
            #"{"@timestamp":"2024-02-04T10:15:23Z","event":{"code":"4625"},"user":{"name":"user-\#($0)-with-a-longer-name"}}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: plain, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", plain]
        try gzip.run()
        gzip.waitUntilExit()
        var compressed = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        compressed = compressed.prefix(compressed.count * 3 / 5)
        try compressed.write(to: URL(fileURLWithPath: plain + ".gz"))
        for threads in [1, 2] {
            var reader = try EventFileReader(path: plain + ".gz", options: Support.options)
            reader.parsingThreads = threads
            var events = 0
            var failure: InputError?
            do {
                while let batch = try reader.nextBatch(maximumCount: 50_000) { events += batch.count }
            } catch {
                failure = error
            }
            #expect(failure != nil, "threads \(threads)")
            #expect(events > 1_000 && events < 20_000, "threads \(threads): \(events)")
            #expect(reader.summary.events == events, "threads \(threads)")
            #expect(try reader.nextBatch() == nil)  // and the input is closed
        }
    }

    /// Over 8 MiB of records that give no event before the first good one: reading goes on to it.
    @Test func aLongStretchOfRefusedRecordsDoesNotEndTheInput() throws {
        let path = Self.temporary("junk-first.jsonl")
        let junk = String(repeating: "not a JSON record, only text to be refused\n", count: 240_000)  // about 10 MiB
        let good = #"{"@timestamp":"2024-02-04T10:15:23Z","event":{"code":"4625"},"user":{"name":"admin"}}"#
        try (junk + good + "\n" + good.replacingOccurrences(of: "admin", with: "root") + "\n").write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        for threads in [1, 2] {
            var reader = try EventFileReader(path: path, format: .ecs, options: Support.options)
            reader.parsingThreads = threads
            var events: [SecurityEvent] = []
            while let batch = try reader.nextBatch() { events += batch }
            #expect(events.map { $0.string(ECSField.userName) } == ["admin", "root"], "threads \(threads)")
            #expect(reader.summary.rejected == 240_000, "threads \(threads)")
        }
    }

    @Test(.enabled(if: Support.sharedData != nil, "needs ../shared/data"))
    func matchesParsingInOrderOnRealLogs() throws {
        for sample in [
            "loghub/OpenSSH_2k_first500.log", "loghub/Linux_2k_first500.log",
            "otrf-security-datasets/jsonl_gz/credential_access/empire_mimikatz_extract_keys.jsonl.gz",
        ] {
            let inOrder = try Self.readAll(Support.data(sample), threads: 1)
            let parallel = try Self.readAll(Support.data(sample), threads: 2)
            #expect(parallel.events == inOrder.events, "\(sample)")
            #expect(parallel.summary.errors == inOrder.summary.errors, "\(sample)")
            #expect(inOrder.events.count > 400, "\(sample)")
        }
    }
}
