import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCThreatIntel

/// `socagent intel`: indicators and threat intelligence.
struct Intel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Threat intelligence: look up IPs, hashes, domains and CVEs; import offline sources; extract indicators.",
        discussion: """
            Sources: AbuseIPDB (ABUSEIPDB_API_KEY), VirusTotal (VIRUSTOTAL_API_KEY), NVD (NVD_API_KEY optional), and \
            offline the CISA KEV catalog, imported NVD records and blocklists (socagent intel import). Answers are cached \
            in $SOCAGENT_CACHE_DIR/intel.db (default ~/.cache/socagent/intel.db); quotas are counted there too.
            """,
        subcommands: [
            IntelLookup<IPKind>.self, IntelLookup<HashKindOption>.self, IntelLookup<DomainKind>.self,
            IntelLookup<CVEKind>.self,
            IntelImport.self, IntelExtract.self,
        ]
    )
}

/// Options every intel command shares.
struct IntelOptions: ParsableArguments {
    @Option(help: "The intel database (default: $SOCAGENT_CACHE_DIR/intel.db or ~/.cache/socagent/intel.db).")
    var intelDB: String?

    func makeService(offline: Bool = false) throws -> (service: ThreatIntelService, database: IntelDatabase) {
        do {
            return try IntelConfiguration.makeService(environment: .current(), databasePath: intelDB, offline: offline)
        } catch {
            throw CleanError("cannot open the intel database: \(error)")
        }
    }
}

/// Which indicator kind a lookup command handles (one command per kind: `intel ip`, `intel hash`, …).
protocol LookupKind {
    static var kind: IndicatorKind { get }
    static var abstract: String { get }
    /// What the value is, for the argument's help (`The IP address`).
    static var noun: String { get }
    /// An example value, as a person might paste it.
    static var example: String { get }
}

enum IPKind: LookupKind {
    static let kind = IndicatorKind.ip
    static let noun = "The IP address"
    static let example = "the defanged 45.142.212[.]61"
    static let abstract = "Look up an IP address (AbuseIPDB, VirusTotal, local blocklists)."
}

enum HashKindOption: LookupKind {
    static let kind = IndicatorKind.hash
    static let noun = "The file hash (MD5, SHA-1 or SHA-256)"
    static let example = "44d88612fea8a8f36de82e1278abb02f"
    static let abstract = "Look up an MD5, SHA-1 or SHA-256 file hash (VirusTotal, local blocklists)."
}

enum DomainKind: LookupKind {
    static let kind = IndicatorKind.domain
    static let noun = "The domain"
    static let example = "the defanged evil[.]example[.]com"
    static let abstract = "Look up a domain (VirusTotal)."
}

enum CVEKind: LookupKind {
    static let kind = IndicatorKind.cve
    static let noun = "The CVE id"
    static let example = "CVE-2021-44228"
    static let abstract =
        "Look up a CVE: CVSS, severity, description, and whether it is known exploited (NVD, CISA KEV)."
}

/// `socagent intel ip|hash|domain|cve VALUE`
struct IntelLookup<Kind: LookupKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Kind.kind.rawValue, abstract: Kind.abstract)
    }

    @Argument(help: "\(Kind.noun), such as \(Kind.example) (defanged forms are accepted).")
    var value: String

    @Flag(help: "Use only local sources and cached answers; contact no service.")
    var offline = false

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var options: IntelOptions

    func run() async throws {
        guard let indicator = IntelIndicator(Kind.kind, value) else {
            throw ValidationError("'\(value.prefix(100))' is not a valid \(Kind.kind.rawValue)")
        }
        let (service, _) = try options.makeService(offline: offline)
        let report = await service.lookup(indicator)
        if json {
            print(try IntelRendering.json(report))
        } else {
            Terminal.show(IntelRendering.text(report))
        }
    }
}

/// `socagent intel import FILE...`
struct IntelImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import offline sources: the CISA KEV JSON feed, NVD CVE JSON records, IP/CIDR and hash blocklists.",
        discussion:
            "The format of each file is detected from its content; directories are read recursively. Re-importing a KEV catalog or a blocklist replaces it."
    )

    @Argument(help: "Files or directories.")
    var paths: [String]

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var options: IntelOptions

    func run() async throws {
        let (_, database) = try options.makeService()
        let results: [IntelImporter.FileResult]
        do {
            results = try IntelImporter(database: database).importFiles(paths)
        } catch {
            throw CleanError("import failed, nothing from the failing file was kept: \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            for result in results {
                let detail = result.note.map { " (\($0))" } ?? ""
                print("\(result.path): \(result.format), \(result.imported) imported\(detail)")
                for problem in result.rejected.prefix(20) { Terminal.writeError("  rejected: \(problem)\n") }
                if result.rejected.count > 20 {
                    Terminal.writeError("  … and \(result.rejected.count - 20) more rejected\n")
                }
            }
            print("Intel database: \(database.path)")
        }
        if results.contains(where: { $0.note == "no such file" }) { throw ExitCode.failure }
    }
}

/// Renders lookups for people and machines.
enum IntelRendering {
    static func json(_ report: IntelReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
        guard report.kind == .cve else { return String(decoding: try encoder.encode(report), as: UTF8.self) }
        // A CVE answers at the top level: id, cvss_score, severity, description, known_exploited, …
        var object =
            try JSONSerialization.jsonObject(with: encoder.encode(report.cve ?? CVERecord(id: report.indicator)))
            as? [String: Any] ?? [:]
        let wrapper = try JSONSerialization.jsonObject(with: encoder.encode(report)) as? [String: Any] ?? [:]
        for key in ["verdict", "reasons", "sources"] { object[key] = wrapper[key] }
        for key in ["cvss_score", "severity", "description", "kev"] where object[key] == nil { object[key] = NSNull() }
        let data = try JSONSerialization.data(
            withJSONObject: object,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        )
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ report: IntelReport) -> String {
        var lines: [String] = []
        var heading = "\(report.indicator)  \(report.kind.rawValue)"
        if let scope = report.scope { heading += ", \(scope.rawValue)" }
        if let hashType = report.hashType { heading += ", \(hashType.rawValue)" }
        lines.append("\(heading)  →  \(report.verdict.rawValue.uppercased())")
        if let cve = report.cve {
            let score =
                cve.cvssScore.map { "CVSS \(cve.cvssVersion ?? "") \($0) \(cve.severity ?? "")" } ?? "no CVSS score"
            lines.append("  \(score); known exploited: \(cve.knownExploited ? "yes" : "no")")
            if let kev = cve.kev {
                var text = "  CISA KEV: added \(kev.dateAdded), due \(kev.dueDate)"
                if let ransomware = kev.knownRansomwareCampaignUse { text += ", ransomware use \(ransomware)" }
                lines.append(text)
            }
            if let description = cve.description {
                lines.append("  " + description.split(whereSeparator: \.isNewline).joined(separator: " "))
            }
            if !cve.cwes.isEmpty { lines.append("  weaknesses: " + cve.cwes.joined(separator: ", ")) }
        }
        for source in report.sources {
            let cached = source.fromCache ? " (cached \(source.fetchedAt ?? ""))" : ""
            lines.append(
                "  \(source.source.padding(toLength: 11, withPad: " ", startingAt: 0)) \(source.verdict.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(source.summary)\(cached)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
