import ArgumentParser
import Foundation
import SOCStore

/// `socagent stats`
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the event store holds: time range, formats, categories, hosts, failed logins."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "How many values to list per field.")
    var top = 10

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let path = storeOptions.resolvedStore
        let statistics: StoreStatistics
        do {
            statistics = try await storeOptions.open(mustExist: true).statistics(top: top)
        } catch let error as CleanError {
            throw error
        } catch {
            throw CleanError("\(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(statistics), as: UTF8.self))
        } else {
            Terminal.show(StatisticsRenderer.render(statistics, title: "Store \(path)"))
        }
    }
}

/// Renders ``StoreStatistics`` for people.
enum StatisticsRenderer {
    static func render(_ statistics: StoreStatistics, title: String) -> String {
        var lines = ["\(title): \(Terminal.grouped(statistics.events)) events"]
        if let first = statistics.firstSeen, let last = statistics.lastSeen {
            lines.append("  \("time range".padding(toLength: 20, withPad: " ", startingAt: 0)) \(first) … \(last)")
        }
        func row(_ label: String, _ counts: [StoreStatistics.Count]) {
            guard !counts.isEmpty else { return }
            let values = counts.map { "\($0.value) (\(Terminal.grouped($0.count)))" }.joined(separator: ", ")
            lines.append("  \(label.padding(toLength: 20, withPad: " ", startingAt: 0)) \(values)")
        }
        row("formats", statistics.formats)
        row("categories", statistics.categories)
        row("event codes", statistics.eventCodes)
        row("hosts", statistics.hosts)
        row("failed-login sources", statistics.failedLoginSources)
        row("failed-login users", statistics.failedLoginUsers)
        return lines.joined(separator: "\n")
    }
}
