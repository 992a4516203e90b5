import Foundation
import SOCDetection
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

enum SigmaData {
    static let path: String? = SharedFiles.data.map { $0 + "/sigma" }

    static let ruleSet: SigmaRuleSet? = {
        guard let path else { return nil }
        return try? SigmaRuleSet.load(
            paths: ["rules", "rules-emerging-threats", "rules-threat-hunting"].map { path + "/" + $0 }
        )
    }()

    static let options = ParseContext.Options(referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)

    /// SigmaHQ's regression events and the EVTX attack samples (real Windows logs of real techniques), in file order.
    static func realEvents() throws -> [SecurityEvent] {
        let data = try #require(SharedFiles.data)
        var events: [SecurityEvent] = []
        for root in [data + "/sigma/regression_data", data + "/evtx-attack-samples/jsonl"] {
            for file in try FileManager.default.subpathsOfDirectory(atPath: root).filter({
                $0.hasSuffix(".json") || $0.hasSuffix(".jsonl")
            }).sorted() {
                var reader = try EventFileReader(path: root + "/" + file, options: options)
                while let batch = try reader.nextBatch() { events += batch }
            }
        }
        return events
    }
}

/// SigmaHQ's own regression data: each case is an event that must match its rule.
@Suite(.enabled(if: SigmaData.path != nil, "needs ../shared/data/sigma"))
struct SigmaRegressionTests {
    @Test func rulesLoadWithReasonsForTheRest() throws {
        let set = try #require(SigmaData.ruleSet)
        let windowsAndLinux = (set.rules.map(\.path) + set.diagnostics.map(\.path)).filter {
            $0.contains("/rules/windows/") || $0.contains("/rules/linux/")
        }
        let loaded = set.rules.filter { $0.path.contains("/rules/windows/") || $0.path.contains("/rules/linux/") }.count
        let rate = Double(loaded) / Double(windowsAndLinux.count)
        print(
            "sigma: \(loaded) of \(windowsAndLinux.count) Windows and Linux rules compile (\(String(format: "%.1f", rate * 100)) %)"
        )
        var reasons: [String: Int] = [:]
        for diagnostic in set.diagnostics
        where diagnostic.path.contains("/rules/windows/") || diagnostic.path.contains("/rules/linux/") {
            reasons[diagnostic.reason, default: 0] += 1
        }
        for (reason, count) in reasons.sorted(by: { $0.value > $1.value }) { print("  \(count) × \(reason)") }
        #expect(rate >= 0.95)
    }

    @Test func regressionCasesMatchTheirRules() throws {
        let root = try #require(SigmaData.path) + "/regression_data"
        let set = try #require(SigmaData.ruleSet)
        let byID = Dictionary(set.rules.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let diagnosticsByID = Dictionary(
            set.diagnostics.map { ($0.path, $0.reason) },
            uniquingKeysWith: { first, _ in first }
        )
        let infos = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix("info.yml") }
            .sorted()
        var passed = 0
        var failures: [String] = []
        for info in infos {
            let folder = (root as NSString).appendingPathComponent((info as NSString).deletingLastPathComponent)
            let text = try String(contentsOfFile: root + "/" + info, encoding: .utf8)
            guard let idLine = text.split(separator: "\n").first(where: { $0.contains("- id:") }) else { continue }
            let id = idLine.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let eventFiles = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
                $0.hasSuffix(".json")
            }
            guard let rule = byID[id] else {
                let reason = diagnosticsByID.first {
                    $0.key.contains(id) || $0.key.hasSuffix(((folder as NSString).lastPathComponent) + ".yml")
                }?.value
                failures.append(
                    "\(id) (\((folder as NSString).lastPathComponent)): rule not loaded\(reason.map { ": " + $0 } ?? "")"
                )
                continue
            }
            guard let file = eventFiles.first else {
                failures.append(
                    "\(id): no JSON event (\((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []))"
                )
                continue
            }
            var reader = try EventFileReader(path: folder + "/" + file, options: SigmaData.options)
            var events: [SecurityEvent] = []
            while let batch = try reader.nextBatch() { events += batch }
            let engine = SigmaEngine(rules: [rule])
            if events.contains(where: { !engine.detect($0).isEmpty }) {
                passed += 1
            } else {
                failures.append("\(id) \(rule.title): no match in \(events.count) event(s)")
            }
        }
        let rate = Double(passed) / Double(infos.count)
        print("sigma regression: \(passed) of \(infos.count) cases match (\(String(format: "%.1f", rate * 100)) %)")
        for failure in failures { print("  ✗ \(failure)") }
        #expect(rate >= 0.95)
    }
}
