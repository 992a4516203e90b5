import Foundation
import SOCModel

/// The CISA Known Exploited Vulnerabilities catalog, as imported into the ``IntelDatabase``.
public struct KEVSource: ThreatIntelProvider {
    public let name = "cisa-kev"
    public let kinds: Set<IndicatorKind> = [.cve]
    public var isLocal: Bool { true }
    private let database: IntelDatabase

    public init(database: IntelDatabase) { self.database = database }

    public func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer {
        guard let catalog = try database.kevCatalog() else {
            throw ProviderError.notConfigured(
                "no KEV catalog imported: socagent intel import known_exploited_vulnerabilities.json"
            )
        }
        guard let entry = try database.kevEntry(indicator.value) else {
            return ProviderAnswer(
                verdict: .unknown,
                summary: "not in the CISA KEV catalog \(catalog.version ?? "") (\(catalog.entries) entries)",
                found: false
            )
        }
        var record = CVERecord(id: indicator.value)
        record.knownExploited = true
        record.kev = entry
        record.description = entry.shortDescription
        record.cwes = entry.cwes ?? []
        var summary = "known exploited (CISA KEV since \(entry.dateAdded), federal due date \(entry.dueDate))"
        if entry.knownRansomwareCampaignUse == "Known" { summary += "; used in ransomware campaigns" }
        return ProviderAnswer(
            verdict: .malicious,
            summary: summary,
            details: [
                "vulnerability_name": .text(entry.vulnerabilityName), "date_added": .text(entry.dateAdded),
                "due_date": .text(entry.dueDate),
                "ransomware_use": .text(entry.knownRansomwareCampaignUse ?? "Unknown"),
            ],
            cve: record
        )
    }
}

/// NVD CVE records imported from JSON files (API 2.0 `cve` objects), for offline CVE lookups.
public struct ImportedNVDSource: ThreatIntelProvider {
    public let name = "nvd-import"
    public let kinds: Set<IndicatorKind> = [.cve]
    public var isLocal: Bool { true }
    private let database: IntelDatabase

    public init(database: IntelDatabase) { self.database = database }

    public func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer {
        guard let record = try database.nvdRecord(indicator.value) else {
            return ProviderAnswer(verdict: .unknown, summary: "no imported NVD record", found: false)
        }
        return ProviderAnswer(verdict: NVDRecord.verdict(record), summary: NVDRecord.summary(record), cve: record)
    }
}

/// Local blocklists of addresses, CIDR blocks and hashes (`socagent intel import LIST`).
public struct BlocklistSource: ThreatIntelProvider {
    public let name = "blocklists"
    public let kinds: Set<IndicatorKind> = [.ip, .hash]
    public var isLocal: Bool { true }
    private let database: IntelDatabase

    public init(database: IntelDatabase) { self.database = database }

    public func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer {
        var lists: [String] = []
        switch indicator.kind {
        case .ip:
            guard let address = IPAddress(indicator.value) else { break }
            for (list, network) in try database.blocklistNetworks() where network.matches(address) {
                lists.append("\(list) (\(network))")
            }
        case .hash:
            lists = try database.blocklistsNaming(hash: indicator.value)
        case .domain, .cve:
            break
        }
        guard !lists.isEmpty else {
            return ProviderAnswer(verdict: .unknown, summary: "on no local blocklist", found: false)
        }
        return ProviderAnswer(
            verdict: .malicious,
            summary: "on local blocklist \(lists.joined(separator: ", "))",
            details: ["lists": .list(lists)]
        )
    }
}
