import ArgumentParser
import Logging
import SOCAnalystKit

/// The `socagent` command line.
@main
struct SOCAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socagent",
        abstract: "An AI-powered SOC analyst: ingest security logs, investigate, report.",
        discussion: """
            Events are kept in an embedded SQLite store (--store, SOCAGENT_STORE, default ./\(StoreLocation.defaultPath)).
            Results go to standard output; progress, warnings and logs go to standard error.
            Exit codes: 0 success (a partial ingest with rejected records still exits 0), 1 failure, 64 usage error.
            """,
        version: "0.1.0",
        subcommands: [Ingest.self, Query.self, Search.self, Hunt.self, Intel.self, Stats.self, Formats.self, Bench.self]
    )
}

/// Options that every store-using command accepts.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The event store: a SQLite file (default: $SOCAGENT_STORE or ./\(StoreLocation.defaultPath)).")
    var store: String?

    init() {}

    init(store: String?) { self.store = store }

    var resolvedStore: String { StoreLocation.resolve(flag: store) }
}
