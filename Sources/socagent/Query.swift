import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCStore

/// `socagent query failed-logins|processes|connections|brute-force`
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Answer the investigation questions: failed logins, suspicious processes, outbound connections, brute force.",
        discussion: "The window is the last 24 hours unless --since/--until, --hours, --now or --all say otherwise."
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case failedLogins = "failed-logins"
        case processes
        case connections
        case bruteForce = "brute-force"
    }

    @Argument(help: "failed-logins, processes, connections or brute-force.")
    var kind: Kind

    @OptionGroup var filters: FilterOptions
    @OptionGroup var window: WindowOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "How many results (brute force: how many source addresses).")
    var top = 20

    @Option(help: "Brute force: the fewest failures a source must have.")
    var minFailures = 5

    @Flag(help: "Connections: include private and loopback destinations.")
    var includePrivate = false

    @Flag(help: "Print a JSON array of objects.")
    var json = false

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if minFailures < 1 { throw ValidationError("--min-failures must be at least 1") }
    }

    func run() async throws {
        let store = try await storeOptions.open(mustExist: true)
        let filter = filters.filter(window: window, limit: top)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            switch kind {
            case .failedLogins:
                let results = try await store.failedLogins(filter)
                if json { return print(String(decoding: try encoder.encode(results), as: UTF8.self)) }
                print(
                    Table.render(
                        ["time", "host", "user", "source", "code", "action", "reason"],
                        results.map {
                            [
                                $0.timestamp ?? "", $0.host ?? "", $0.user ?? "", $0.sourceIP ?? "", $0.code ?? "",
                                $0.action ?? "", $0.reason ?? "",
                            ]
                        }
                    )
                )
                try await hintWhenEmpty(results.isEmpty, store: store)
            case .processes:
                let results = try await store.suspiciousProcesses(filter)
                if json { return print(String(decoding: try encoder.encode(results), as: UTF8.self)) }
                print(
                    Table.render(
                        ["time", "host", "user", "process", "command line", "why"],
                        results.map {
                            [
                                $0.event.timestamp ?? "", $0.event.host ?? "", $0.event.user ?? "",
                                $0.event.processName ?? ($0.event.script == nil ? "" : "(PowerShell script)"),
                                $0.event.commandLine ?? $0.event.script ?? "",
                                $0.reasons.joined(separator: "; "),
                            ]
                        }
                    )
                )
                try await hintWhenEmpty(results.isEmpty, store: store)
            case .connections:
                let results = try await store.networkConnections(filter, includePrivate: includePrivate)
                if json { return print(String(decoding: try encoder.encode(results), as: UTF8.self)) }
                print(
                    Table.render(
                        ["time", "host", "process", "source", "destination", "port"],
                        results.map {
                            [
                                $0.timestamp ?? "", $0.host ?? "", $0.processName ?? "", $0.sourceIP ?? "",
                                $0.destinationIP ?? "", $0.destinationPort.map(String.init) ?? "",
                            ]
                        }
                    )
                )
                try await hintWhenEmpty(results.isEmpty, store: store)
            case .bruteForce:
                let results = try await store.bruteForce(filter, minimumFailures: minFailures)
                if json { return print(String(decoding: try encoder.encode(results), as: UTF8.self)) }
                print(
                    Table.render(
                        ["source", "failures", "users", "first seen", "last seen", "successes", "top users"],
                        results.map {
                            [
                                $0.sourceIP, String($0.failures), String($0.users), $0.firstSeen ?? "",
                                $0.lastSeen ?? "", String($0.successes), $0.userNames.prefix(5).joined(separator: ", "),
                            ]
                        }
                    )
                )
                try await hintWhenEmpty(results.isEmpty, store: store)
            }
        } catch let error as EventStoreError {
            throw CleanError("\(error)")
        }
    }

    private func hintWhenEmpty(_ empty: Bool, store: any EventStore) async throws {
        guard empty, let range = window.timeRange else { return }
        let statistics = try await store.statistics(top: 0)
        if let first = statistics.firstSeen, let last = statistics.lastSeen {
            // Suggest what the user has not tried yet.
            let advice =
                window.since != nil || window.until != nil
                ? "widen --since/--until, or use --all" : "use --all, or --since/--until within that range"
            Terminal.writeError(
                "note: nothing in the window \(range); the store holds \(Terminal.grouped(statistics.events)) events from \(first) to \(last) (\(advice))\n"
            )
        }
    }
}

/// `socagent search 'QUERY'`
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search events with a Lucene query (Elasticsearch query_string syntax on ECS fields).",
        discussion: """
            Examples: 'event.code:4625 AND source.ip:"203.0.113.0/24"', 'process.name:*shell.exe', \
            '@timestamp:[now-7d TO now] AND NOT user.name:svc_*', 'message:"failed password"'. \
            Operators follow Lucene: 'a AND b OR c' means +a +b c; use parentheses. \
            The window is the last 24 hours unless --since/--until, --hours, --now or --all say otherwise.
            """
    )

    @Argument(help: "The Lucene query.")
    var query: String

    @Option(help: "How many events to print (the total is always exact).")
    var limit = 20

    @Option(help: "The operator between clauses that have none: or (Elasticsearch's default) or and.")
    var defaultOperator = "or"

    @OptionGroup var filters: FilterOptions
    @OptionGroup var window: WindowOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: #"Print {"total": N, "events": [ECS documents]}."#)
    var json = false

    func validate() throws {
        if limit < 0 { throw ValidationError("--limit must not be negative") }
        if !["or", "and"].contains(defaultOperator.lowercased()) {
            throw ValidationError("--default-operator must be or or and")
        }
    }

    func run() async throws {
        let parsed: LuceneQuery
        do {
            parsed = try LuceneParser.parse(query, defaultOperator: defaultOperator.lowercased() == "and" ? .and : .or)
        } catch {
            // A malformed query is a usage error (exit 64), shown with a caret under the column.
            Terminal.writeError(
                "Error: invalid query: \(error)\n  \(query)\n  \(String(repeating: " ", count: max(0, error.column - 1)))^\n"
            )
            throw ExitCode(64)
        }
        let store = try await storeOptions.open(mustExist: true)
        let result: SearchResult
        do {
            result = try await store.search(
                parsed,
                filter: filters.filter(window: window, limit: limit),
                now: window.resolvedNow
            )
        } catch let error as EventStoreError {
            throw CleanError("\(error)")
        }
        if json {
            print(result.jsonText)
            return
        }
        print(
            "\(result.total) event\(result.total == 1 ? "" : "s") match\(result.total == 1 ? "es" : "")\(result.total > result.events.count ? " (showing \(result.events.count))" : "")"
        )
        guard !result.events.isEmpty else { return }
        print(
            Table.render(
                ["time", "host", "code", "action", "user", "source", "message"],
                result.events.map { event in
                    [
                        event.timestamp?.iso8601 ?? "", event.string(ECSField.hostName) ?? "", event.code ?? "",
                        event.action ?? "",
                        event.string(ECSField.userName) ?? "", event.string(ECSField.sourceIP) ?? "",
                        (event.string(ECSField.message) ?? event.string(ECSField.processCommandLine) ?? "")
                            .replacingOccurrences(of: "\n", with: " "),
                    ]
                },
                maximumWidth: 80
            )
        )
    }
}
