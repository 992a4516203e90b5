import Foundation
import SOCModel
import SOCParsers

/// Imports offline intelligence files into the ``IntelDatabase``: the CISA KEV JSON feed, NVD CVE records (a single
/// API 2.0 `cve` object, or an API answer with `vulnerabilities[]`), and blocklists (one IP, CIDR block or hash per
/// line; `#` and `;` start comments). The format is detected from the content; directories are walked; gzip files are
/// decompressed while read.
///
/// Blocklists are streamed: read line by line with a bounded buffer and written in batches inside one transaction, so
/// memory does not grow with the file and an import lands whole or not at all. JSON files are parsed whole, so they
/// are bounded by ``maximumJSONBytes``.
public struct IntelImporter {
    /// What one file gave.
    public struct FileResult: Codable, Sendable, Equatable {
        public var path: String
        /// `kev`, `nvd`, `blocklist`, or `skipped`.
        public var format: String
        public var imported: Int
        /// Lines or records that could not be read, with where and why (`file:line: reason`).
        public var rejected: [String]
        /// Why a file was skipped.
        public var note: String?
    }

    private let database: IntelDatabase
    /// The largest JSON file read (after decompression). A JSON document is parsed whole, taking several times its
    /// size in memory, so a larger file is skipped with a reason. The KEV catalog is about 1.3 MB; an NVD API answer
    /// of 2,000 records about 10–20 MB.
    public let maximumJSONBytes: Int
    /// The default ``maximumJSONBytes``: 64 MiB.
    public static let defaultMaximumJSONBytes = 64 << 20
    /// How many blocklist entries are held before they are written.
    static let batchSize = 8192

    /// Creates an importer writing into `database`.
    public init(database: IntelDatabase, maximumJSONBytes: Int = defaultMaximumJSONBytes) {
        self.database = database
        self.maximumJSONBytes = maximumJSONBytes
    }

    /// Imports every file at `paths` (directories recursively, hidden entries skipped).
    public func importFiles(_ paths: [String]) throws -> [FileResult] {
        var results: [FileResult] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                results.append(
                    FileResult(path: path, format: "skipped", imported: 0, rejected: [], note: "no such file")
                )
                continue
            }
            if isDirectory.boolValue {
                let children = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
                for child in children.sorted() where !child.split(separator: "/").contains(where: { $0.hasPrefix(".") })
                {
                    var childIsDirectory: ObjCBool = false
                    let full = path + "/" + child
                    if FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory),
                        !childIsDirectory.boolValue
                    {
                        results.append(try importFile(full))
                    }
                }
            } else {
                results.append(try importFile(path))
            }
        }
        return results
    }

    /// Imports one file.
    public func importFile(_ path: String) throws -> FileResult {
        var source: InputSource
        do {
            source = try InputSource.open(path: path)
        } catch {
            return Self.unreadable(path, error)
        }
        defer { source.close() }
        let head: [UInt8]
        do {
            head = try Self.readHead(of: &source)
        } catch {
            return Self.unreadable(path, error)
        }
        let first = head.first { !Self.isWhitespace($0) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            var data = Data(head)
            do {
                guard try Self.readRest(of: &source, into: &data, limit: maximumJSONBytes) else {
                    let limit =
                        maximumJSONBytes >= 1 << 20 ? "\(maximumJSONBytes >> 20) MiB" : "\(maximumJSONBytes) bytes"
                    return FileResult(
                        path: path,
                        format: "skipped",
                        imported: 0,
                        rejected: [
                            "\(path): a JSON file of more than \(limit) (JSON is read whole); split it into smaller files"
                        ],
                        note: "JSON larger than \(limit)"
                    )
                }
            } catch {
                return Self.unreadable(path, error)
            }
            return try importJSON(data, path: path)
        }
        var reader = RecordReader(source: PrefixedSource(prefix: head, base: source), framing: .lines)
        return try importBlocklist(&reader, head: head, path: path)
    }

    /// Reads the first bytes of `source`: at least enough to tell JSON from text, unless the input ends.
    private static func readHead(of source: inout InputSource) throws -> [UInt8] {
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        // Enough for "\u{FEFF}cveID," and a first character that is not whitespace; a file that starts with more
        // whitespace than the limit is read as text.
        while head.count < 1 << 20, head.count < 16 || !head.contains(where: { !isWhitespace($0) }) {
            let count = try chunk.withUnsafeMutableBytes { buffer in try source.read(into: buffer) }
            if count == 0 { break }
            head += chunk[..<count]
        }
        return head
    }

    /// Appends the rest of `source` to `data`; `false` (having stopped reading) when it would pass `limit` bytes.
    private static func readRest(of source: inout InputSource, into data: inout Data, limit: Int) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try chunk.withUnsafeMutableBytes { buffer in try source.read(into: buffer) }
            if count == 0 { return data.count <= limit }
            data.append(contentsOf: chunk[..<count])
            if data.count > limit { return false }
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func unreadable(_ path: String, _ error: any Error) -> FileResult {
        FileResult(path: path, format: "skipped", imported: 0, rejected: [], note: "cannot read: \(error)")
    }

    private func importJSON(_ data: Data, path: String) throws -> FileResult {
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: ["\(path): not valid JSON"],
                note: "invalid JSON"
            )
        }
        if let catalog = object as? [String: Any], catalog["catalogVersion"] != nil,
            let entries = catalog["vulnerabilities"] as? [[String: Any]]
        {
            var kev: [KEVEntry] = []
            var rejected: [String] = []
            for (index, entry) in entries.enumerated() {
                guard let id = entry.string("cveID"), IntelIndicator(.cve, id) != nil else {
                    rejected.append("\(path): vulnerabilities[\(index)]: no valid cveID")
                    continue
                }
                kev.append(
                    KEVEntry(
                        cveID: id.uppercased(),
                        vendorProject: entry.string("vendorProject") ?? "",
                        product: entry.string("product") ?? "",
                        vulnerabilityName: entry.string("vulnerabilityName") ?? "",
                        dateAdded: entry.string("dateAdded") ?? "",
                        shortDescription: entry.string("shortDescription") ?? "",
                        requiredAction: entry.string("requiredAction") ?? "",
                        dueDate: entry.string("dueDate") ?? "",
                        knownRansomwareCampaignUse: entry.string("knownRansomwareCampaignUse"),
                        notes: entry.string("notes"),
                        cwes: entry["cwes"] as? [String]
                    )
                )
            }
            try database.replaceKEV(kev, version: catalog.string("catalogVersion"))
            return FileResult(path: path, format: "kev", imported: kev.count, rejected: rejected)
        }
        var cveObjects: [[String: Any]] = []
        if let single = object as? [String: Any], single["descriptions"] != nil, single["id"] != nil {
            cveObjects = [single]
        } else if let answer = object as? [String: Any],
            let vulnerabilities = answer["vulnerabilities"] as? [[String: Any]],
            vulnerabilities.first?["cve"] != nil
        {
            cveObjects = vulnerabilities.compactMap { $0["cve"] as? [String: Any] }
        } else if let list = object as? [[String: Any]], list.first?["descriptions"] != nil {
            cveObjects = list
        }
        guard !cveObjects.isEmpty else {
            let note =
                (object as? [String: Any])?["$schema"] != nil
                ? "a JSON schema, not data" : "not a KEV catalog or NVD CVE records"
            return FileResult(path: path, format: "skipped", imported: 0, rejected: [], note: note)
        }
        var records: [CVERecord] = []
        var rejected: [String] = []
        for (index, cve) in cveObjects.enumerated() {
            do {
                records.append(try NVDRecord.parse(cve))
            } catch {
                rejected.append("\(path): record \(index + 1): \(error)")
            }
        }
        try database.storeNVDRecords(records)
        return FileResult(path: path, format: "nvd", imported: records.count, rejected: rejected)
    }

    /// Why a blocklist import stopped short of replacing the list.
    private enum Refusal {
        case notText, notBlocklist
    }

    /// Reads a blocklist line by line, writing entries in batches; the list is replaced only if the whole file reads
    /// as a blocklist.
    private func importBlocklist<Source: ByteSource>(
        _ reader: inout RecordReader<Source>,
        head: [UInt8],
        path: String
    ) throws -> FileResult {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let csvHeader = Array("cveID,".utf8)
        if head.starts(with: csvHeader) || head.starts(with: byteOrderMark + csvHeader) {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: [],
                note: "the KEV catalog as CSV: import its JSON twin, known_exploited_vulnerabilities.json"
            )
        }
        var imported = 0
        var rejected: [String] = []
        var entries = 0
        var refusal: Refusal?
        let list = URL(fileURLWithPath: path).lastPathComponent
        do {
            try database.replaceBlocklist(list) { writer in
                var networks: [IPMatcher] = []
                var hashes: [String] = []
                networks.reserveCapacity(Self.batchSize)
                hashes.reserveCapacity(Self.batchSize)
                while let item = try reader.next() {
                    let bytes: UnsafeRawBufferPointer
                    let number: Int
                    switch item {
                    case .rejected(let line, let reason):
                        // A line too long to hold: no indicator is, so it counts as a line that is not one.
                        entries += 1
                        rejected.append("\(path):\(line):1: \(reason)")
                        continue
                    case .record(let record, let line):
                        (bytes, number) = (record, line)
                    }
                    // The file must be UTF-8 throughout; no line break falls inside a character, so line by line
                    // is the same test.
                    guard var text = String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
                    else {
                        refusal = .notText
                        return false
                    }
                    if number == 1, text.hasPrefix("\u{FEFF}") { text.removeFirst() }
                    var line = Substring(text)
                    if let comment = line.firstIndex(where: { $0 == "#" || $0 == ";" }) { line = line[..<comment] }
                    let value = line.trimmingCharacters(in: .whitespaces)
                    guard !value.isEmpty else { continue }
                    entries += 1
                    if let network = IPMatcher(value), IPAddressText.isIP(value.split(separator: "/")[0]) {
                        networks.append(network)
                    } else if let hash = IntelIndicator(.hash, value) {
                        hashes.append(hash.value)
                    } else {
                        rejected.append(
                            "\(path):\(number):1: not an IP address, CIDR block or hash: \(value.prefix(60))"
                        )
                        continue
                    }
                    imported += 1
                    if networks.count + hashes.count >= Self.batchSize {
                        try writer.insert(networks: networks, hashes: hashes)
                        networks.removeAll(keepingCapacity: true)
                        hashes.removeAll(keepingCapacity: true)
                    }
                }
                try writer.insert(networks: networks, hashes: hashes)
                // A text file where most lines are not indicators (a licence, a README) is not a blocklist.
                guard entries > 0, imported > entries / 2 else {
                    refusal = .notBlocklist
                    return false
                }
                return true
            }
        } catch let error as InputError {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: [],
                note: "cannot read: \(error); the list was left as it was"
            )
        }
        switch refusal {
        case .notText:
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: ["\(path): not UTF-8 text"],
                note: "not text"
            )
        case .notBlocklist:
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: [],
                note: "not a blocklist (no IP, CIDR or hash lines)"
            )
        case nil:
            return FileResult(path: path, format: "blocklist", imported: imported, rejected: rejected)
        }
    }
}
