import Foundation
import SOCModel

/// Imports offline intelligence files into the ``IntelDatabase``: the CISA KEV JSON feed, NVD CVE records (a single
/// API 2.0 `cve` object, or an API answer with `vulnerabilities[]`), and blocklists (one IP, CIDR block or hash per
/// line; `#` and `;` start comments). The format is detected from the content; directories are walked.
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

    public init(database: IntelDatabase) { self.database = database }

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
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: [],
                note: "cannot read: \(error.localizedDescription)"
            )
        }
        let first = data.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return try importJSON(data, path: path)
        }
        return try importBlocklist(data, path: path)
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

    private func importBlocklist(_ data: Data, path: String) throws -> FileResult {
        guard let text = String(data: data, encoding: .utf8) else {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: ["\(path): not UTF-8 text"],
                note: "not text"
            )
        }
        if text.hasPrefix("cveID,") || text.hasPrefix("\u{FEFF}cveID,") {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: [],
                note: "the KEV catalog as CSV: import its JSON twin, known_exploited_vulnerabilities.json"
            )
        }
        var networks: [IPMatcher] = []
        var hashes: [String] = []
        var rejected: [String] = []
        var entries = 0
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let comment = line.firstIndex(where: { $0 == "#" || $0 == ";" }) { line = line[..<comment] }
            let value = line.trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { continue }
            entries += 1
            if let network = IPMatcher(value), IPAddressText.isIP(value.split(separator: "/")[0]) {
                networks.append(network)
            } else if let hash = IntelIndicator(.hash, value) {
                hashes.append(hash.value)
            } else {
                rejected.append("\(path):\(number + 1):1: not an IP address, CIDR block or hash: \(value.prefix(60))")
            }
        }
        // A text file where most lines are not indicators (a licence, a README) is not a blocklist.
        guard entries > 0, networks.count + hashes.count > entries / 2 else {
            return FileResult(
                path: path,
                format: "skipped",
                imported: 0,
                rejected: [],
                note: "not a blocklist (no IP, CIDR or hash lines)"
            )
        }
        let list = URL(fileURLWithPath: path).lastPathComponent
        try database.replaceBlocklist(list, networks: networks, hashes: hashes)
        return FileResult(path: path, format: "blocklist", imported: networks.count + hashes.count, rejected: rejected)
    }
}
