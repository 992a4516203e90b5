import Foundation
import SOCTestSupport
import Testing

/// `.evtx` files given to ingest, hunt and triage, alone or in a collection folder with text and JSON logs.
@Suite(.serialized, .enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct EVTXCommandTests {
    let cli: IngestCommandTests
    let evtx: String
    let json: String
    let store: [String: String]

    init() throws {
        cli = try IngestCommandTests()
        let collection = cli.path("collection")
        try FileManager.default.createDirectory(atPath: collection + "/json", withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = [
            "-xzf", SharedFiles.data! + "/deepbluecli-evtx/original_evtx.tar.gz", "-C", collection,
            "password-spray.evtx", "metasploit-sysmon.evtx",
        ]
        try tar.run()
        tar.waitUntilExit()
        evtx = collection + "/password-spray.evtx"
        json = collection + "/json/password-spray.jsonl"
        try FileManager.default.copyItem(
            atPath: SharedFiles.data! + "/deepbluecli-evtx/jsonl/password-spray.jsonl",
            toPath: json
        )
        try FileManager.default.copyItem(
            atPath: SharedFiles.data! + "/loghub/OpenSSH_2k_first500.log",
            toPath: collection + "/sshd.log"
        )
        store = ["SOCAGENT_STORE": cli.path("events.db")]
    }

    @Test(.timeLimit(.minutes(5)))
    func ingestsACollectionFolderOfEVTXTextAndJSON() throws {
        let result = try cli.run(["ingest", "--json", cli.path("collection")], environment: store)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try #require(result.json?["files"] as? [[String: Any]])
        let formats = Dictionary(
            uniqueKeysWithValues: files.map { (($0["path"] as? String ?? ""), $0["format"] as? String) }
        )
        #expect(formats[evtx] == "evtx")
        #expect(formats[json] == "evtx-json")
        #expect(formats[cli.path("collection/sshd.log")] == "syslog")
        #expect(files.first { $0["path"] as? String == evtx }?["events"] as? Int == 295)
        #expect(result.json?["events"] as? Int == 295 + 59 + 295 + 500)
        #expect(result.json?["rejected"] as? Int == 0)
    }

    @Test(.timeLimit(.minutes(5)))
    func recoverSlackAddsTheOlderRecordsLeftInSlackSpace() throws {
        // password-spray.evtx shows 295 records; its chunks' slack space holds 21 older ones that verify.
        let slackStore = ["SOCAGENT_STORE": cli.path("slack.db")]
        let result = try cli.run(["ingest", "--json", "--recover-slack", evtx], environment: slackStore)
        #expect(result.status == 0, "\(result.stderr)")
        let file = try #require((result.json?["files"] as? [[String: Any]])?.first)
        #expect(file["events"] as? Int == 295 + 21)
        #expect((file["warnings"] as? [String])?.contains("21 records recovered from slack space") == true)
        let tagged = try cli.run(["search", "--all", "--json", "tags:evtx-slack-recovered"], environment: slackStore)
        #expect(tagged.json?["total"] as? Int == 21, "\(tagged.stdout.prefix(300))")
    }

    @Test(.timeLimit(.minutes(5)))
    func huntingTheEVTXFindsWhatHuntingItsJSONConversionFinds() throws {
        let rules = SharedFiles.data! + "/sigma/rules/windows/builtin/security"
        let fromEVTX = try cli.run(["hunt", "--rules", rules, evtx, "--json"])
        let fromJSON = try cli.run(["hunt", "--rules", rules, json, "--json"])
        #expect(fromEVTX.status == 0, "\(fromEVTX.stderr)")
        #expect(fromJSON.status == 0, "\(fromJSON.stderr)")
        func detections(_ run: IngestCommandTests.Run) throws -> [String] {
            try run.stdout.split(separator: "\n").map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                // The matched fields as sorted JSON: a dictionary's description has no fixed key order.
                let fields = try JSONSerialization.data(withJSONObject: object["fields"] ?? [:], options: .sortedKeys)
                return
                    "\(object["rule_id"] ?? "") \(object["timestamp"] ?? "") \(String(decoding: fields, as: UTF8.self))"
            }
        }
        let found = try detections(fromEVTX)
        let expected = try detections(fromJSON)
        #expect(!found.isEmpty)
        #expect(found.count == expected.count)
        #expect(found == expected, "\(Set(found).symmetricDifference(expected).prefix(5))")
        let forced = try cli.run(["hunt", "--rules", rules, "--format", "evtx", evtx, "--json"])
        #expect(forced.stdout == fromEVTX.stdout)
    }

    @Test(.timeLimit(.minutes(5)))
    func triageTurnsAnEVTXFileIntoIncidents() throws {
        let result = try cli.run(["triage", evtx], environment: store)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Password spraying from 172.16.144.128"))
    }

    @Test func aTextFileForcedAsEVTXIsReportedNotParsed() throws {
        let result = try cli.run(["ingest", "--format", "evtx", cli.path("collection/sshd.log")], environment: store)
        #expect(result.stderr.contains("not an .evtx file"), "\(result.stderr)")
    }
}
