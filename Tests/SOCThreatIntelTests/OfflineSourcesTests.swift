import Foundation
import SOCModel
import SOCTestSupport
import SOCThreatIntel
import Testing

@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct OfflineSourcesTests {
    static func offlineService(_ database: IntelDatabase) -> ThreatIntelService {
        ThreatIntelService(
            database: database,
            providers: [
                KEVSource(database: database), ImportedNVDSource(database: database),
                BlocklistSource(database: database),
            ],
            offline: true
        )
    }

    @Test func kevAndNVDImportsAnswerCVEsOffline() async throws {
        let data = try #require(SharedFiles.data)
        let database = try temporaryDatabase()
        let results = try IntelImporter(database: database).importFiles([data + "/cisa-kev", data + "/nvd-cve-records"])
        let byName = Dictionary(
            results.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        #expect(byName["known_exploited_vulnerabilities.json"]?.format == "kev")
        #expect(byName["known_exploited_vulnerabilities.json"]?.imported == 1404)
        #expect(byName["CVE-2017-0144.json"]?.format == "nvd")
        #expect(byName["known_exploited_vulnerabilities_schema.json"]?.note == "a JSON schema, not data")
        #expect(byName["known_exploited_vulnerabilities.csv"]?.format == "skipped")
        #expect(byName["LICENSE"]?.format == "skipped")

        let service = Self.offlineService(database)
        let eternalBlueID = try #require(IntelIndicator(.cve, "CVE-2017-0144"))
        let eternalBlue = try #require(await service.lookup(eternalBlueID).cve)
        #expect(eternalBlue.cvssScore == 8.8 && eternalBlue.severity == "HIGH" && eternalBlue.cvssVersion == "3.1")
        #expect(eternalBlue.knownExploited)
        #expect(eternalBlue.kev?.vendorProject == "Microsoft")
        #expect(eternalBlue.description?.contains("SMBv1") == true)

        // In KEV, no NVD record: still known exploited, with the catalog's facts.
        let log4shell = await service.lookup(try #require(IntelIndicator(.cve, "CVE-2021-44228")))
        #expect(log4shell.cve?.knownExploited == true)
        #expect(log4shell.cve?.cvssScore == nil)
        #expect(log4shell.cve?.kev?.knownRansomwareCampaignUse == "Known")
        #expect(log4shell.verdict == .malicious)

        // An NVD record, not in KEV.
        let xzID = try #require(IntelIndicator(.cve, "CVE-2024-3094"))
        let xz = try #require(await service.lookup(xzID).cve)
        #expect(xz.cvssScore == 10.0 && xz.severity == "CRITICAL" && !xz.knownExploited && xz.cwes == ["CWE-506"])

        // Neither.
        let unknown = await service.lookup(try #require(IntelIndicator(.cve, "CVE-1999-99999")))
        #expect(unknown.cve == nil && unknown.verdict == .unknown)
    }

    @Test func theReferenceKEVSampleReplacesTheCatalog() async throws {
        let reference = try #require(SharedFiles.reference)
        let database = try temporaryDatabase()
        let importer = IntelImporter(database: database)
        _ = try importer.importFiles([try #require(SharedFiles.data) + "/cisa-kev/known_exploited_vulnerabilities.json"]
        )
        let sample = try importer.importFile(reference + "/kev-sample.json")
        #expect(sample.format == "kev" && sample.imported == 5)
        #expect(try database.kevCatalog()?.entries == 5)
        #expect(try database.kevEntry("CVE-2025-48384")?.product == "Git")
        #expect(try database.kevEntry("CVE-2017-0144") == nil)
    }

    @Test func blocklistsKeepValidLinesAndReportTheRest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-blocklist-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("c2-feed.txt").path
        let hash = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
        try "# C2 feed\n185.220.101.0/24\n45.142.212.61 ; scanner\nnot-an-ip\n\(hash.uppercased())\n2001:db8:bad::/48\n"
            .write(
                toFile: path,
                atomically: true,
                encoding: .utf8
            )
        let database = try temporaryDatabase()
        let result = try IntelImporter(database: database).importFile(path)
        #expect(result.format == "blocklist" && result.imported == 4)
        #expect(result.rejected == ["\(path):4:1: not an IP address, CIDR block or hash: not-an-ip"])
        let service = Self.offlineService(database)
        let listed = await service.lookup(try #require(IntelIndicator(.ip, "185.220.101.77")))
        #expect(listed.verdict == .malicious)
        #expect(listed.sources.first?.summary == "on local blocklist c2-feed.txt (185.220.101.0/24)")
        #expect(await service.lookup(try #require(IntelIndicator(.hash, hash))).verdict == .malicious)
        #expect(await service.lookup(try #require(IntelIndicator(.ip, "2001:db8:bad:1::5"))).verdict == .malicious)
        #expect(await service.lookup(try #require(IntelIndicator(.ip, "8.8.8.8"))).verdict == .unknown)
    }

    @Test func indicatorsAreValidatedAndNormalized() {
        #expect(IntelIndicator(.ip, " 1.2.3[.]4 ")?.value == "1.2.3.4")
        #expect(IntelIndicator(.ip, "2001:DB8:0:0::1")?.value == "2001:db8::1")
        #expect(IntelIndicator(.ip, "999.1.1.1") == nil)
        #expect(IntelIndicator(.hash, "ABC") == nil)
        #expect(IntelIndicator(.domain, "Evil[.]Example[.]COM.")?.value == "evil.example.com")
        #expect(IntelIndicator(.domain, "no spaces.com") == nil)
        #expect(IntelIndicator(.cve, "cve-2021-44228")?.value == "CVE-2021-44228")
        #expect(IntelIndicator(.cve, "CVE-21-1") == nil)
    }
}
