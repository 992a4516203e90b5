public import Foundation
public import SOCModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reports folder: writes each report atomically under a name no other report has, readable by its owner only,
/// and lists and reads them back.
public struct ReportStore: Sendable {
    /// The folder (`reports` in the working directory by default).
    public let directory: String

    /// The folder from `--report-dir`, else `SOCAGENT_REPORT_DIR`, else `./reports`.
    public static func resolve(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let variable = environment["SOCAGENT_REPORT_DIR"], !variable.isEmpty { return variable }
        return "reports"
    }

    /// Whether report files are sealed (``ReportSealing``); reading takes sealed and plain files alike.
    public let sealing: ReportSealing

    public init(directory: String, sealing: ReportSealing = .none) {
        self.directory = directory
        self.sealing = sealing
    }

    /// Why a report could not be written or read.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `report` as `INC-YYYYMMDD-HHMMSS.json` (the UTC second of `created_at`), or with `-2`, `-3`… when that
    /// name is taken: never overwriting. The JSON is written to a temporary file with mode 0600, flushed, then
    /// hard-linked to its name — which fails rather than replaces if the name exists — so a reader never sees a
    /// partial report and two writers never lose one.
    /// - Returns: The report as written (its ``IncidentReport/incidentID`` set) and its path.
    public func write(_ report: IncidentReport) throws -> (report: IncidentReport, path: String) {
        try createDirectory()
        let base = Self.baseID(createdAt: report.createdAt)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for attempt in 1...10_000 {
            var numbered = report
            numbered.incidentID = attempt == 1 ? base : "\(base)-\(attempt)"
            let path = directory + "/" + numbered.incidentID + ".json"
            if FileManager.default.fileExists(atPath: path) { continue }
            let data = try sealing.seal(try encoder.encode(numbered) + Data("\n".utf8))
            let temporary = directory + "/.\(numbered.incidentID).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
            try Self.writeFlushed(data, to: temporary)
            defer { unlink(temporary) }
            if link(temporary, path) == 0 { return (numbered, path) }
            if errno == EEXIST { continue }
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        throw Failure(description: "cannot find a free report name for \(base) in \(directory)")
    }

    /// Writes revision `revision` of an incident's report: `ID.revisions/rN.json` (kept), then `ID.json` (the latest,
    /// what `report show ID` reads). Both are replaced whole (a temporary file renamed over them), so writing the
    /// same revision again — a run resumed after a kill — leaves one copy, never a second report.
    /// - Returns: The path of the latest report.
    @discardableResult
    public func writeRevision(_ report: IncidentReport, revision: Int) throws -> String {
        guard report.incidentID.hasPrefix("INC-"),
            report.incidentID.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
        else { throw Failure(description: "'\(report.incidentID.prefix(80))' is not an incident id") }
        try createDirectory()
        let revisions = directory + "/" + report.incidentID + ".revisions"
        if !FileManager.default.fileExists(atPath: revisions) {
            try? FileManager.default.createDirectory(
                atPath: revisions,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try sealing.seal(try encoder.encode(report) + Data("\n".utf8))
        try Self.replace(revisions + "/r\(revision).json", with: data)
        let latest = directory + "/" + report.incidentID + ".json"
        try Self.replace(latest, with: data)
        return latest
    }

    /// The revisions of an incident's report, oldest first.
    public func revisions(id: String) throws -> [IncidentReport] {
        let folder = directory + "/" + id + ".revisions"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("r"), name.hasSuffix(".json"), let number = Int(name.dropFirst().dropLast(5)) else {
                return nil
            }
            return (number, name)
        }
        return try numbered.sorted { $0.0 < $1.0 }.map { try read(path: folder + "/" + $0.1) }
    }

    /// Writes `data` to a temporary file beside `path` (0600, flushed) and renames it over `path`: a reader sees
    /// the old file or the new one, never a part.
    public static func replace(_ path: String, with data: Data) throws {
        let temporary = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try writeFlushed(data, to: temporary)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(description: "cannot write \(path): \(reason)")
        }
    }

    /// The reports, newest first (by id), with what a list needs.
    public func list() throws -> [IncidentReport] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("INC-") && $0.hasSuffix(".json") }
        return try names.compactMap { name in
            do {
                return try read(path: directory + "/" + name)
            } catch let failure as Failure where failure.description.contains("SOCAGENT_REPORT_KEY") {
                throw failure
            } catch {
                return nil
            }
        }
        .sorted { ($0.createdAt, $0.incidentID) > ($1.createdAt, $1.incidentID) }
    }

    /// The report `id` (`INC-…`, with or without `.json`).
    public func read(id: String) throws -> IncidentReport {
        let name = id.hasSuffix(".json") ? String(id.dropLast(5)) : id
        guard name.hasPrefix("INC-"), name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw Failure(description: "'\(id.prefix(80))' is not a report id (INC-YYYYMMDD-HHMMSS)")
        }
        let path = directory + "/" + name + ".json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(description: "no report \(name) in \(directory)")
        }
        return try read(path: path)
    }

    private func read(path: String) throws -> IncidentReport {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(description: "cannot read \(path): \(error.localizedDescription)")
        }
        let json = try sealing.open(bytes, path: path)
        do {
            return try JSONDecoder().decode(IncidentReport.self, from: json)
        } catch {
            throw Failure(description: "\(path) is not a readable report: \(error)")
        }
    }

    /// `INC-YYYYMMDD-HHMMSS` for an ISO 8601 `created_at`.
    static func baseID(createdAt: String) -> String {
        let digits = createdAt.prefix(19).filter(\.isNumber)
        guard digits.count == 14 else { return "INC-00000000-000000" }
        return "INC-\(digits.prefix(8))-\(digits.suffix(6))"
    }

    private func createDirectory() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(description: "\(directory) is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw Failure(description: "cannot create the report folder \(directory): \(error.localizedDescription)")
        }
    }

    /// Creates `path` (which must not exist) with mode 0600 and writes and flushes `data`.
    private static func writeFlushed(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        guard written, fsync(descriptor) == 0 else {
            unlink(path)
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
