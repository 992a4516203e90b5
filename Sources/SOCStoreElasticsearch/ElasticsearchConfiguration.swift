import Foundation
public import SOCHTTP

/// How to reach a cluster: its URL, credentials, TLS trust, timeouts and index patterns.
///
/// Credentials come from `ELK_USERNAME`/`ELK_PASSWORD` (basic auth) or `ELK_API_KEY`; they are sent in the
/// `Authorization` header only and never appear in ``description`` or in errors.
public struct ElasticsearchConfiguration: Sendable, CustomStringConvertible {
    /// Credentials for the cluster.
    public enum Credentials: Sendable {
        case none
        case basic(username: String, password: String)
        /// An API key as Elasticsearch encodes it (base64 of `id:key`), sent as `Authorization: ApiKey …`.
        case apiKey(String)
    }

    /// The cluster's base URL (`https://host:9200`), without a trailing slash.
    public var url: String
    /// The credentials.
    public var credentials: Credentials
    /// A PEM file of CA certificates to trust instead of the system store.
    public var caFile: String?
    /// Skip TLS certificate verification (only by an explicit flag; the CLI warns).
    public var insecureSkipVerify: Bool
    /// The deadline of each request.
    public var timeout: Duration
    /// Retries for 429/503 (honouring `Retry-After`) and transport failures.
    public var retryPolicy: RetryPolicy
    /// The index patterns searched, by default Winlogbeat, Filebeat and Packetbeat daily indices.
    public var indexPatterns: [String]
    /// Events per `_bulk` request when ingesting.
    public var bulkBatchSize: Int

    /// The default index patterns.
    public static let defaultIndexPatterns = ["winlogbeat-*", "filebeat-*", "packetbeat-*"]

    public init(
        url: String,
        credentials: Credentials = .none,
        caFile: String? = nil,
        insecureSkipVerify: Bool = false,
        timeout: Duration = .seconds(30),
        retryPolicy: RetryPolicy = RetryPolicy(retryableStatuses: [429, 502, 503, 504]),
        indexPatterns: [String] = ElasticsearchConfiguration.defaultIndexPatterns,
        bulkBatchSize: Int = 2_000
    ) {
        self.url = HTTPRequestSpec.baseURL(url)
        self.credentials = credentials
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.timeout = timeout
        self.retryPolicy = retryPolicy
        self.indexPatterns = indexPatterns
        self.bulkBatchSize = bulkBatchSize
    }

    /// Whether `location` names a cluster rather than a file (`http://…` or `https://…`).
    public static func isClusterURL(_ location: String) -> Bool {
        location.hasPrefix("http://") || location.hasPrefix("https://")
    }

    /// The configuration for `url` with credentials and options from the environment: `ELK_USERNAME` and
    /// `ELK_PASSWORD`, or `ELK_API_KEY`; `ELK_CA_FILE`; `ELK_INDEX_PATTERNS` (comma-separated).
    public static func fromEnvironment(url: String, environment: [String: String]) -> ElasticsearchConfiguration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var configuration = ElasticsearchConfiguration(url: url)
        if let key = value("ELK_API_KEY") {
            configuration.credentials = .apiKey(key)
        } else if let username = value("ELK_USERNAME") {
            configuration.credentials = .basic(username: username, password: value("ELK_PASSWORD") ?? "")
        }
        configuration.caFile = value("ELK_CA_FILE")
        if let patterns = value("ELK_INDEX_PATTERNS") {
            configuration.indexPatterns = patterns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return configuration
    }

    /// Whether the credentials would cross the network unencrypted: an `http://` URL with credentials. Basic auth
    /// is only Base64, so anyone on the path reads the password; front ends warn.
    public var sendsCredentialsInClear: Bool {
        guard url.lowercased().hasPrefix("http://") else { return false }
        if case .none = credentials { return false }
        return true
    }

    /// The `Authorization` header value, if any.
    var authorization: String? {
        switch credentials {
        case .none: nil
        case .basic(let username, let password): "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .apiKey(let key): "ApiKey " + key
        }
    }

    /// The URL and the kind of credentials, never their values.
    public var description: String {
        let auth: String =
            switch credentials {
            case .none: "no credentials"
            case .basic(let username, _): "basic auth as \(username)"
            case .apiKey: "an API key"
            }
        return "\(HTTPRequestSpec(url: url).redactedURL) with \(auth)"
    }
}
