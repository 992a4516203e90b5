import Foundation
import SOCAnalystKit
import SOCDetection
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

/// The compiled rule-set cache gives back exactly what compiling gives, and only while nothing it was made from has
/// changed; a damaged or unwritable cache costs a compile and a warning, never a wrong rule.
struct RuleSetCacheTests {
    let directory: String
    let cache: RuleSetCache
    static let options = ParseContext.Options(referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-rulecache-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory + "/rules", withIntermediateDirectories: true)
        cache = RuleSetCache(directory: directory + "/cache")
    }

    private func writeRule(_ name: String, id: Int, level: String, contains: String) throws {
        try """
        title: Rule \(name)
        id: 00000000-0000-0000-0000-\(String(format: "%012d", id))
        level: \(level)
        tags: [attack.t1033]
        logsource: {category: process_creation, product: windows}
        detection:
            selection:
                CommandLine|contains: '\(contains)'
            condition: selection
        """.write(toFile: directory + "/rules/\(name).yml", atomically: true, encoding: .utf8)
    }

    private var cacheFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/cache")) ?? []).filter {
            $0.hasSuffix(".rules")
        }
    }

    private func eventsFile() throws -> String {
        let path = directory + "/events.jsonl"
        try ["whoami /all", "net user admin", "dir"].enumerated().map { index, commandLine in
            #"{"@timestamp":"2024-02-04T10:15:2\#(index)Z","host":{"name":"WS-7"},"winlog":{"channel":"Security","event_id":4688,"record_id":\#(index),"event_data":{"CommandLine":"\#(commandLine)"}}}"#
        }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func events() throws -> [SecurityEvent] {
        var reader = try EventFileReader(path: try eventsFile(), options: Self.options)
        var events: [SecurityEvent] = []
        while let batch = try reader.nextBatch() { events += batch }
        return events
    }

    /// SigmaHQ's Windows rules over the EVTX attack samples: the cached engine finds what a fresh compile finds.
    @Test(.enabled(if: SharedFiles.data != nil, "needs ../shared/data"))
    func aCachedRuleSetDetectsWhatCompilingDoes() throws {
        let data = try #require(SharedFiles.data)
        let rules = [data + "/sigma/rules/windows"]
        var events: [SecurityEvent] = []
        let root = data + "/evtx-attack-samples/jsonl"
        for file in try FileManager.default.subpathsOfDirectory(atPath: root).filter({ $0.hasSuffix(".jsonl") })
            .sorted()
        {
            var reader = try EventFileReader(path: root + "/" + file, options: Self.options)
            while let batch = try reader.nextBatch() { events += batch }
        }
        let fresh = try SigmaRuleSet.load(paths: rules)
        let expected = SigmaEngine(rules: fresh.rules).detect(events)

        let first = try cache.prepare(paths: rules, filter: SigmaRuleFilter())
        #expect(!first.fromCache && first.cacheWarning == nil)
        let second = try cache.prepare(paths: rules, filter: SigmaRuleFilter())
        #expect(second.fromCache && second.cacheWarning == nil)
        for prepared in [first, second] {
            #expect(prepared.loadedCount == fresh.rules.count && prepared.selectedCount == fresh.rules.count)
            #expect(prepared.diagnostics == fresh.diagnostics)
            #expect(prepared.engine.detect(events) == expected)
        }
        print("rule cache: \(fresh.rules.count) rules, \(events.count) events, \(expected.count) detections alike")
        #expect(expected.count >= 500)
    }

    @Test func anyChangeToTheRuleFilesOrTheFilterCompilesAgain() throws {
        try writeRule("whoami", id: 1, level: "medium", contains: "whoami")
        try writeRule("netuser", id: 2, level: "high", contains: "net user")
        let paths = [directory + "/rules"]
        let events = try events()
        func hunt(_ filter: SigmaRuleFilter = SigmaRuleFilter()) throws -> (cached: Bool, found: [String]) {
            let prepared = try cache.prepare(paths: paths, filter: filter)
            #expect(prepared.cacheWarning == nil)
            return (prepared.fromCache, prepared.engine.detect(events).map { "\($0.title) \($0.level)" })
        }
        #expect(try hunt() == (false, ["Rule whoami medium", "Rule netuser high"]))
        #expect(try hunt() == (true, ["Rule whoami medium", "Rule netuser high"]))
        // A rule edited: compiled again, the edit in force.
        try writeRule("whoami", id: 1, level: "critical", contains: "whoami")
        #expect(try hunt() == (false, ["Rule whoami critical", "Rule netuser high"]))
        #expect(try hunt() == (true, ["Rule whoami critical", "Rule netuser high"]))
        // A rule added, then removed.
        try writeRule("dir", id: 3, level: "low", contains: "dir")
        #expect(try hunt() == (false, ["Rule whoami critical", "Rule netuser high", "Rule dir low"]))
        try FileManager.default.removeItem(atPath: directory + "/rules/dir.yml")
        #expect(try hunt() == (true, ["Rule whoami critical", "Rule netuser high"]))
        // Another filter is another set.
        #expect(try hunt(SigmaRuleFilter(minimumLevel: .critical)) == (false, ["Rule whoami critical"]))
        #expect(try hunt(SigmaRuleFilter(minimumLevel: .critical)) == (true, ["Rule whoami critical"]))
        #expect(try hunt() == (true, ["Rule whoami critical", "Rule netuser high"]))
        #expect(cacheFiles.count == 4)
    }

    @Test func aDamagedCacheFileIsCompiledAgainAndReplaced() throws {
        try writeRule("whoami", id: 1, level: "medium", contains: "whoami")
        let paths = [directory + "/rules"]
        _ = try cache.prepare(paths: paths, filter: SigmaRuleFilter())
        let file = directory + "/cache/" + (try #require(cacheFiles.first))
        let good = try #require(FileManager.default.contents(atPath: file))
        var flipped = good
        flipped[good.count / 2] ^= 0x01
        for damaged in [flipped, good.prefix(good.count / 2), Data("not a cache".utf8), Data()] {
            try damaged.write(to: URL(fileURLWithPath: file))
            let prepared = try cache.prepare(paths: paths, filter: SigmaRuleFilter())
            #expect(!prepared.fromCache)
            #expect(prepared.cacheWarning?.contains("was unreadable") == true, "\(prepared.cacheWarning ?? "")")
            #expect(prepared.engine.detect(try events()).map(\.title) == ["Rule whoami"])
            #expect(FileManager.default.contents(atPath: file)?.count == good.count)
            #expect(try cache.prepare(paths: paths, filter: SigmaRuleFilter()).fromCache)
        }
    }

    @Test func anUnwritableCacheWarnsAndTheRulesStillRun() throws {
        try writeRule("whoami", id: 1, level: "medium", contains: "whoami")
        try "a file, not a folder".write(toFile: directory + "/blocked", atomically: true, encoding: .utf8)
        let blocked = RuleSetCache(directory: directory + "/blocked/rules")
        for _ in 0..<2 {
            let prepared = try blocked.prepare(paths: [directory + "/rules"], filter: SigmaRuleFilter())
            #expect(!prepared.fromCache)
            let warning = prepared.cacheWarning ?? ""
            #expect(warning.contains("blocked/rules") && warning.contains("Not a directory"), "\(warning)")
            #expect(prepared.engine.detect(try events()).map(\.title) == ["Rule whoami"])
        }
    }

    /// The engine's tables are read as they were written: only files no one else could have changed are trusted.
    @Test func aCacheOthersCouldChangeIsNotUsed() throws {
        try writeRule("whoami", id: 1, level: "medium", contains: "whoami")
        let paths = [directory + "/rules"]
        _ = try cache.prepare(paths: paths, filter: SigmaRuleFilter())
        let folder = directory + "/cache"
        let file = folder + "/" + (try #require(cacheFiles.first))
        #expect(try cache.prepare(paths: paths, filter: SigmaRuleFilter()).fromCache)
        func expectNotUsed(_ reason: String) throws {
            let prepared = try cache.prepare(paths: paths, filter: SigmaRuleFilter())
            #expect(!prepared.fromCache, "\(reason)")
            #expect(prepared.cacheWarning?.contains("the rule cache is not used") == true, "\(reason)")
            #expect(prepared.engine.detect(try events()).map(\.title) == ["Rule whoami"])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file)
        try expectNotUsed("a file others may write")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder)
        try expectNotUsed("a folder others may write")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
        #expect(try cache.prepare(paths: paths, filter: SigmaRuleFilter()).fromCache)
        // A link in place of the file is not followed.
        try FileManager.default.moveItem(atPath: file, toPath: directory + "/elsewhere")
        try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: directory + "/elsewhere")
        try expectNotUsed("a symbolic link")
    }

    @Test func onlyTheNewestSetsAreKept() throws {
        try writeRule("whoami", id: 1, level: "medium", contains: "whoami")
        for number in 0..<(RuleSetCache.keptSets + 3) {
            _ = try cache.prepare(paths: [directory + "/rules"], filter: SigmaRuleFilter(tags: ["tag\(number)"]))
        }
        #expect(cacheFiles.count == RuleSetCache.keptSets)
        // The newest is among them.
        let newest = SigmaRuleFilter(tags: ["tag\(RuleSetCache.keptSets + 2)"])
        #expect(try cache.prepare(paths: [directory + "/rules"], filter: newest).fromCache)
    }

    /// The library's hunts (`SOCAnalyst.hunt`, triage) use the rule cache of the analyst's environment.
    @Test func anAnalystHuntsThroughItsRuleCache() async throws {
        try writeRule("whoami", id: 1, level: "medium", contains: "whoami")
        let cacheDirectory = directory + "/analyst-cache"
        let analyst = try await SOCAnalyst(
            configuration: .init(
                store: directory + "/store.db",
                intelDatabase: directory + "/intel.db",
                offline: true,
                environment: AnalystEnvironment(values: ["SOCAGENT_CACHE_DIR": cacheDirectory])
            )
        )
        #expect(analyst.ruleCache?.directory == cacheDirectory + "/rules")
        let first = try await analyst.hunt(rules: [directory + "/rules"], logs: [try eventsFile()])
        #expect(first.detections.map(\.title) == ["Rule whoami"] && first.summary.warnings.isEmpty)
        #expect(try analyst.prepareRules([directory + "/rules"]).fromCache)
        let second = try await analyst.hunt(rules: [directory + "/rules"], logs: [try eventsFile()])
        #expect(second.detections == first.detections)
        // A cache it cannot use is a warning of the hunt's, not a failure.
        var blocked = analyst
        try "a file".write(toFile: directory + "/blocked", atomically: true, encoding: .utf8)
        blocked.ruleCache = RuleSetCache(directory: directory + "/blocked/rules")
        let warned = try await blocked.hunt(rules: [directory + "/rules"], logs: [try eventsFile()])
        #expect(warned.detections == first.detections)
        #expect(warned.summary.warnings.first?.contains("the rule cache is not used") == true)
    }

    @Test func aMissingRulePathIsAnError() {
        #expect(throws: SigmaDiagnostic.self) {
            try cache.prepare(paths: [directory + "/no-such-rules"], filter: SigmaRuleFilter())
        }
    }
}
