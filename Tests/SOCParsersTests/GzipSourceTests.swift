import Foundation
import SOCModel
import SOCParsers
import Testing

/// Gzip input: a trailer after the last member is ignored and reported (as `gzip -d` does), and output is bounded
/// by a ratio to the compressed size.
@Suite struct GzipSourceTests {
    private func gzip(_ text: String) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-gz-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = directory.appendingPathComponent("input.log")
        try text.write(to: plain, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-9", plain.path]
        try process.run()
        process.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz")))
    }

    private var lines: String {
        (0..<1000).map { "Feb  4 10:15:23 host sshd[\($0)]: Failed password for root from 203.0.113.9 port 22 ssh2" }
            .joined(separator: "\n") + "\n"
    }

    @Test(arguments: [[UInt8](repeating: 0, count: 1024), [UInt8](repeating: 0, count: 1), Array("garbage!".utf8)])
    func aTrailerAfterTheLastMemberIsIgnoredAndReported(_ trailer: [UInt8]) throws {
        let compressed = try gzip(lines)
        let (events, summary) = try Support.read(bytes: compressed + trailer, name: "padded.log.gz")
        #expect(events.count == 1000)
        #expect(summary.rejected == 0)
        #expect(summary.compressed)
        #expect(summary.warnings.count == 1)
        #expect(summary.warnings.first?.contains("\(trailer.count) byte") == true, "\(summary.warnings)")
        #expect(summary.warnings.first?.contains(trailer.first == 0 ? "zero padding" : "not gzip data") == true)
    }

    @Test func concatenatedMembersAreStillOneStream() throws {
        let member = try gzip(lines)
        let (events, summary) = try Support.read(bytes: member + member, name: "twice.log.gz")
        #expect(events.count == 2000)
        #expect(summary.warnings.isEmpty)
    }

    @Test func aDecompressionBombStopsAtTheRatioLimit() throws {
        // 64 MiB of identical 32-byte lines: about 65 KB of gzip, a ratio near 1,000.
        let line = String(repeating: "x", count: 31) + "\n"
        let bomb = try gzip(String(repeating: line, count: 2 << 20))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bomb-\(UUID().uuidString).gz").path
        try Data(bomb).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = try EventFileReader(path: path, format: .text, options: Support.options)
        var events = 0
        var failure: InputError?
        do {
            while let batch = try reader.nextBatch() { events += batch.count }
        } catch {
            failure = error
        }
        let message = failure?.description ?? ""
        #expect(message.contains("more than 100 times its compressed size"), "\(message)")
        #expect(message.contains("--max-decompression-ratio"))
        // Stopped after a few MiB of output, with the events before the limit kept.
        #expect(events > 0 && events < (8 << 20) / 32, "\(events)")
        #expect(reader.summary.events == events)

        // Without a limit (or with a higher one) the same bytes are read whole.
        for ratio in [nil, 2000] as [Int?] {
            var source = try GzipSource(MemorySource(bomb), name: "bomb.gz", maximumRatio: ratio)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var total = 0
            while case let count = try source.read(into: buffer), count > 0 { total += count }
            #expect(total == 64 << 20)
        }
    }
}
