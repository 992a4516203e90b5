import Foundation
import SOCHTTP
public import SOCStore
import SOCStoreElasticsearch
import SOCStoreSQLite

/// Where events are: the `--store` flag, else `SOCAGENT_STORE`, else `ELK_HOST`, else `socagent.db` in the working
/// directory. A location starting with `http://` or `https://` is an Elasticsearch/OpenSearch cluster, anything else
/// a SQLite file.
public enum StoreLocation {
    /// The default store file name, in the working directory.
    public static let defaultPath = "socagent.db"

    /// Resolves the store location.
    /// - Parameters:
    ///   - flag: The `--store` value, if given.
    ///   - environment: The settings to read.
    public static func resolve(flag: String?, environment: AnalystEnvironment) -> String {
        if let flag, !flag.isEmpty { return flag }
        return environment["SOCAGENT_STORE"] ?? environment["ELK_HOST"] ?? defaultPath
    }

    /// Whether `location` is a cluster URL.
    public static func isCluster(_ location: String) -> Bool { ElasticsearchConfiguration.isClusterURL(location) }

    /// Options for a cluster that only the command line gives.
    public struct ClusterOptions: Sendable {
        /// A PEM CA bundle to trust (else `ELK_CA_FILE`, else the system store).
        public var caFile: String?
        /// Skip TLS verification (explicit only).
        public var insecure: Bool

        public init(caFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.insecure = insecure
        }
    }

    /// Warnings about how `location` would be reached: credentials over plain `http://`.
    /// - Returns: One line per warning, without a `warning:` prefix; none for a file or a safe cluster URL.
    public static func warnings(_ location: String, environment: AnalystEnvironment) -> [String] {
        guard isCluster(location) else { return [] }
        let configuration = ElasticsearchConfiguration.fromEnvironment(url: location, environment: environment.values)
        guard configuration.sendsCredentialsInClear else { return [] }
        return [
            "the cluster credentials (ELK_USERNAME/ELK_PASSWORD or ELK_API_KEY) are sent unencrypted to \(HTTPRequestSpec(url: location).redactedURL); use https://"
        ]
    }

    /// What opening `store` repaired, for the user: a SQLite store whose last bulk load was interrupted.
    public static func notices(of store: any EventStore) -> [String] {
        (store as? SQLiteEventStore)?.recoveryNotice.map { [$0] } ?? []
    }

    /// Opens the store at `location`.
    /// - Parameter mustExist: For queries: a missing SQLite file is an error rather than a new empty store.
    public static func open(
        _ location: String,
        mustExist: Bool = false,
        cluster: ClusterOptions = ClusterOptions(),
        environment: AnalystEnvironment
    ) async throws -> any EventStore {
        if isCluster(location) {
            var configuration = ElasticsearchConfiguration.fromEnvironment(
                url: location,
                environment: environment.values
            )
            if let caFile = cluster.caFile { configuration.caFile = caFile }
            configuration.insecureSkipVerify = cluster.insecure
            return try await ElasticsearchEventStore(configuration: configuration)
        }
        if mustExist, location != ":memory:", !FileManager.default.fileExists(atPath: location) {
            throw EventStoreError(
                .cannotOpen,
                "no event store at \(location); run `socagent ingest LOGS...` first (or pass --store)"
            )
        }
        return try SQLiteEventStore(path: location)
    }
}
