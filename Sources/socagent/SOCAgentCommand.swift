import ArgumentParser
import SOCAnalystKit
import SOCStore

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
        version: SOCAnalyst.version,
        subcommands: [
            Demo.self, Analyze.self, Ingest.self, Query.self, Search.self, Hunt.self, Intel.self, Report.self,
            Stats.self, Formats.self, Bench.self, Triage.self, Incidents.self, Token.self, Serve.self, MCPCommand.self,
        ]
    )
}

/// Options that every store-using command accepts.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "The event store: a SQLite file, or an Elasticsearch/OpenSearch URL such as https://host:9200 (default: $SOCAGENT_STORE, $ELK_HOST or ./\(StoreLocation.defaultPath)). Cluster credentials: ELK_USERNAME/ELK_PASSWORD or ELK_API_KEY."
    )
    var store: String?

    @OptionGroup var tls: ClusterTLSOptions

    /// The composition root's configuration for these options (the rest from the environment and `.env`).
    func configuration(mustExist: Bool = false) -> SOCAnalyst.Configuration {
        tls.configuration(store: store, mustExist: mustExist)
    }

    var resolvedStore: String { configuration().storeLocation }

    /// Opens the store (a SQLite file or a cluster).
    /// - Parameter mustExist: For queries: a missing SQLite file is an error, not a new empty store.
    func open(mustExist: Bool) async throws -> any EventStore {
        try await tls.open(configuration(mustExist: mustExist))
    }
}

/// How to reach a cluster over TLS.
struct ClusterTLSOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "For a cluster: a PEM file of CA certificates to trust (default: $ELK_CA_FILE, else the system store)."
    )
    var caFile: String?

    @Flag(name: .long, help: "For a cluster: do not verify its TLS certificate (unsafe; prints a warning).")
    var insecure = false

    /// The composition root's configuration for `store` with these options.
    func configuration(store: String?, mustExist: Bool) -> SOCAnalyst.Configuration {
        SOCAnalyst.Configuration(
            store: store,
            storeMustExist: mustExist,
            cluster: .init(caFile: caFile, insecure: insecure)
        )
    }

    /// Warns on stderr when the cluster connection can be read or intercepted: `--insecure`, or credentials sent
    /// over plain `http://`.
    func warnAboutTheConnection(_ configuration: SOCAnalyst.Configuration) {
        let location = configuration.storeLocation
        if insecure && StoreLocation.isCluster(location) {
            Terminal.writeError(
                "warning: TLS certificate verification is off (--insecure); the connection to \(location) can be intercepted\n"
            )
        }
        for warning in StoreLocation.warnings(location, environment: configuration.environment) {
            Terminal.writeError("warning: \(warning)\n")
        }
    }

    /// Opens the store `configuration` names, after the connection warnings, and says what opening it repaired
    /// (an interrupted bulk load completed).
    func open(_ configuration: SOCAnalyst.Configuration) async throws -> any EventStore {
        warnAboutTheConnection(configuration)
        let store: any EventStore
        do {
            store = try await configuration.openStore()
        } catch {
            throw CleanError("\(error)")
        }
        Self.reportRepairs(store)
        return store
    }

    /// Says on stderr what opening the store repaired.
    static func reportRepairs(_ store: any EventStore) {
        for notice in StoreLocation.notices(of: store) { Terminal.writeError("warning: \(notice)\n") }
    }
}
