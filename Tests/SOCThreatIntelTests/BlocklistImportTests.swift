import Foundation
import SOCModel
import SOCThreatIntel
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocklist imports: the line-by-line rules, bounded memory on large files, and all-or-nothing replacement.
struct BlocklistImportTests {
    @Test func blocklistLinesAreReadByTheSameRules() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/feed.txt"
        let lines = [
            "\u{FEFF}203.0.113.7", "# a comment", "", "  198.51.100.0/24\t; a tab, then a comment", "not-an-ip",
            "2001:db8::/32", "d41d8cd98f00b204e9800998ecf8427e", "203.0.113.7", "999.1.1.1 # an invalid address",
            "   \t  ", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let database = try temporaryDatabase()
        let result = try IntelImporter(database: database).importFile(path)
        #expect(result.format == "blocklist")
        #expect(result.imported == 6)
        #expect(
            result.rejected == [
                "\(path):5:1: not an IP address, CIDR block or hash: not-an-ip",
                "\(path):9:1: not an IP address, CIDR block or hash: 999.1.1.1",
            ]
        )
        #expect(Set(try database.blocklistNetworks().map(\.network.description)) == listedNetworks)
        #expect(try database.blocklistsNaming(hash: "d41d8cd98f00b204e9800998ecf8427e") == ["feed.txt"])
        #expect(try database.blocklistsNaming(hash: "da39a3ee5e6b4b0d3255bfef95601890afd80709") == ["feed.txt"])
    }

    private var listedNetworks: Set<String> { ["203.0.113.7/32", "198.51.100.0/24", "2001:db8::/32"] }

    @Test func filesThatAreNotBlocklistsAreSkipped() throws {
        let directory = try temporaryDirectory()
        let readme = directory + "/README"
        try "This is a README.\nIt lists 203.0.113.7 once.\nNothing else.\n".write(
            toFile: readme,
            atomically: true,
            encoding: .utf8
        )
        let binary = directory + "/binary.txt"
        try Data("203.0.113.7\n".utf8 + [0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
        let csv = directory + "/known_exploited_vulnerabilities.csv"
        try "cveID,vendorProject,product\nCVE-2021-44228,Apache,Log4j\n".write(
            toFile: csv,
            atomically: true,
            encoding: .utf8
        )
        let database = try temporaryDatabase()
        let importer = IntelImporter(database: database)
        let notList = try importer.importFile(readme)
        #expect(notList.format == "skipped" && notList.note == "not a blocklist (no IP, CIDR or hash lines)")
        #expect(notList.rejected.isEmpty)
        let notText = try importer.importFile(binary)
        #expect(notText.format == "skipped" && notText.note == "not text")
        #expect(notText.rejected == ["\(binary): not UTF-8 text"])
        #expect(try importer.importFile(csv).note?.hasPrefix("the KEV catalog as CSV") == true)
        #expect(try database.blocklistNetworks().isEmpty)
    }

    @Test func windowsLineEndingsEndLines() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/crlf.txt"
        try "203.0.113.7\r\n198.51.100.0/24 # comment\r\nnope\r\n2001:db8::/32\r\n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        let database = try temporaryDatabase()
        let result = try IntelImporter(database: database).importFile(path)
        #expect(result.format == "blocklist" && result.imported == 3)
        #expect(result.rejected == ["\(path):3:1: not an IP address, CIDR block or hash: nope"])
        #expect(Set(try database.blocklistNetworks().map(\.network.description)) == listedNetworks)
    }

    @Test func gzipBlocklistsAreDecompressedWhileRead() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/feed.txt.gz"
        let text = "203.0.113.7\n198.51.100.0/24\n2001:db8::/32\nd41d8cd98f00b204e9800998ecf8427e\n"
        try Data(gzipStored(Array(text.utf8))).write(to: URL(fileURLWithPath: path))
        let database = try temporaryDatabase()
        let result = try IntelImporter(database: database).importFile(path)
        #expect(result.format == "blocklist" && result.imported == 4 && result.rejected.isEmpty)
        #expect(Set(try database.blocklistNetworks().map(\.network.description)) == listedNetworks)
        #expect(try database.blocklistsNaming(hash: "d41d8cd98f00b204e9800998ecf8427e") == ["feed.txt.gz"])
    }

    @Test func aFileThatTurnsOutNotToBeTextLeavesThePreviousListWhole() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/feed.txt"
        let database = try temporaryDatabase()
        let importer = IntelImporter(database: database)
        try "203.0.113.7\n198.51.100.0/24\n2001:db8::/32\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try importer.importFile(path).imported == 3)

        // Many batches of good lines, then a byte that is not UTF-8, then more good lines.
        _ = try writeLines(to: path, count: 60_000) { index in
            index == 50_000 ? "10.0.0.1 \u{1}" : generatedEntry(index)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let marker = try #require(bytes.firstIndex(of: 0x01))
        bytes[marker] = 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let failed = try importer.importFile(path)
        #expect(failed.format == "skipped" && failed.note == "not text")
        #expect(Set(try database.blocklistNetworks().map(\.network.description)) == listedNetworks)
        #expect(try database.blocklistsNaming(hash: generatedHash(2)).isEmpty)
    }

    @Test func aReadErrorMidwayLeavesThePreviousListWhole() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/feed.txt"
        let database = try temporaryDatabase()
        let importer = IntelImporter(database: database)
        try "203.0.113.7\n198.51.100.0/24\n2001:db8::/32\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try importer.importFile(path).imported == 3)

        // A gzip file cut off after many batches' worth of lines.
        let text = (0..<60_000).map { generatedEntry($0) + "\n" }.joined()
        let compressed = gzipStored(Array(text.utf8))
        try Data(compressed[0..<compressed.count * 3 / 4]).write(to: URL(fileURLWithPath: path))
        let failed = try importer.importFile(path)
        #expect(failed.format == "skipped")
        #expect(failed.note?.hasPrefix("cannot read") == true, "\(failed.note ?? "no note")")
        #expect(failed.note?.contains("truncated") == true)
        #expect(Set(try database.blocklistNetworks().map(\.network.description)) == listedNetworks)
        #expect(try database.blocklistsNaming(hash: generatedHash(2)).isEmpty)
    }

    @Test func anErrorWhileWritingLeavesThePreviousListWhole() throws {
        struct Interrupted: Error {}
        let database = try temporaryDatabase()
        let old = try #require(IPMatcher("203.0.113.7"))
        try database.replaceBlocklist("feed.txt", networks: [old], hashes: [generatedHash(1)])
        #expect(throws: Interrupted.self) {
            try database.replaceBlocklist("feed.txt") { writer in
                for batch in 0..<4 {
                    let networks = (0..<1000).compactMap { IPMatcher(generatedEntry(batch * 3000 + $0 * 3)) }
                    try writer.insert(networks: networks, hashes: [generatedHash(batch * 3 + 2)])
                }
                throw Interrupted()
            }
        }
        #expect(try database.blocklistNetworks().map(\.network.description) == ["203.0.113.7/32"])
        #expect(try database.blocklistsNaming(hash: generatedHash(1)) == ["feed.txt"])
        #expect(try database.blocklistsNaming(hash: generatedHash(2)).isEmpty)
    }
    @Test func aJSONFileOverTheLimitIsSkippedWithAReason() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/nvd-page.json"
        let record = #"{"cve": {"id": "CVE-2024-3094", "descriptions": [{"lang": "en", "value": "xz"}]}}"#
        let answer = #"{"vulnerabilities": ["# + Array(repeating: record, count: 40).joined(separator: ",") + "]}"
        try answer.write(toFile: path, atomically: true, encoding: .utf8)
        let database = try temporaryDatabase()
        let bounded = try IntelImporter(database: database, maximumJSONBytes: 2048).importFile(path)
        #expect(bounded.format == "skipped" && bounded.note == "JSON larger than 2048 bytes")
        #expect(
            bounded.rejected == [
                "\(path): a JSON file of more than 2048 bytes (JSON is read whole); split it into smaller files"
            ]
        )
        #expect(try database.nvdRecord("CVE-2024-3094") == nil)
        let result = try IntelImporter(database: database, maximumJSONBytes: answer.utf8.count).importFile(path)
        #expect(result.format == "nvd" && result.imported == 40)
    }
}

/// The `index`th entry of a generated blocklist: an IPv4 address, a CIDR block or a SHA-256 hash, in turn.
func generatedEntry(_ index: Int) -> String {
    switch index % 3 {
    case 0: "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)"
    case 1: "100.\(index >> 16 & 63).\(index >> 8 & 255).0/24"
    default: generatedHash(index)
    }
}

func generatedHash(_ index: Int) -> String {
    let digits = String(index, radix: 16)
    return String(repeating: "a", count: 64 - digits.count) + digits
}

/// Writes `count` lines made by `line`, a megabyte at a time; returns the file's size.
func writeLines(to path: String, count: Int, line: (Int) -> String) throws -> Int {
    try Data().write(to: URL(fileURLWithPath: path))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var chunk = ""
    var size = 0
    for index in 0..<count {
        chunk += line(index)
        chunk += "\n"
        if chunk.utf8.count >= 1 << 20 || index == count - 1 {
            try handle.write(contentsOf: Data(chunk.utf8))
            size += chunk.utf8.count
            chunk = ""
        }
    }
    return size
}

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-lists-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// `bytes` as a gzip member of stored (uncompressed) deflate blocks, so tests need no compressor.
func gzipStored(_ bytes: [UInt8]) -> [UInt8] {
    var output: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF]
    func appendLittleEndian(_ value: UInt32, bytes count: Int) {
        for shift in stride(from: 0, to: count * 8, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
    var start = 0
    repeat {
        let end = min(start + 65_535, bytes.count)
        output.append(end == bytes.count ? 1 : 0)
        appendLittleEndian(UInt32(end - start), bytes: 2)
        appendLittleEndian(~UInt32(end - start), bytes: 2)
        output += bytes[start..<end]
        start = end
    } while start < bytes.count
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    appendLittleEndian(~crc, bytes: 4)
    appendLittleEndian(UInt32(truncatingIfNeeded: bytes.count), bytes: 4)
    return output
}
