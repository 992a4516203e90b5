import AsyncHTTPClient
import Foundation
import NIOSSL
import SOCHTTP
import SOCStore
import Synchronization

/// JSON over HTTP to one cluster: authentication, retries, and errors turned into ``EventStoreError``s that say
/// what to do (a refused login, a missing index, a mapping conflict, an unreachable host).
struct ElasticsearchClient: Sendable {
    /// Which point-in-time API the cluster speaks.
    enum Dialect: Sendable, Equatable {
        /// `POST /<index>/_pit`, `DELETE /_pit`.
        case elasticsearch
        /// `POST /<index>/_search/point_in_time`, `DELETE /_search/point_in_time`.
        case openSearch
    }

    let configuration: ElasticsearchConfiguration
    private let transport: any HTTPTransport

    init(configuration: ElasticsearchConfiguration, transport: (any HTTPTransport)? = nil) throws {
        self.configuration = configuration
        if let transport {
            self.transport = transport
        } else {
            self.transport = RetryingTransport(try Self.makeTransport(configuration), policy: configuration.retryPolicy)
        }
    }

    /// The system trust store, a CA file, or (explicitly) no verification.
    private static func makeTransport(_ configuration: ElasticsearchConfiguration) throws -> any HTTPTransport {
        guard configuration.caFile != nil || configuration.insecureSkipVerify else { return AsyncHTTPTransport() }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw EventStoreError(.cannotOpen, "cannot read the CA file \(caFile): \(error)")
            }
        }
        if configuration.insecureSkipVerify { tls.certificateVerification = .none }
        let key = "\(configuration.caFile ?? "")|\(configuration.insecureSkipVerify)"
        let client = clients.withLock { clients in
            if let client = clients[key] { return client }
            var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
            clientConfiguration.connectionPool.retryConnectionEstablishment = false
            // AsyncHTTPTransport follows same-origin redirects itself and never sends credentials elsewhere.
            clientConfiguration.redirectConfiguration = .disallow
            let client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: clientConfiguration
            )
            clients[key] = client
            return client
        }
        return AsyncHTTPTransport(client: client)
    }

    /// One HTTP client per TLS setting, for the life of the process (as ``AsyncHTTPTransport/sharedClient`` is):
    /// a client must be shut down before it is released, and stores come and go.
    private static let clients = Mutex<[String: HTTPClient]>([:])

    /// A response: status and parsed JSON object (empty when the body is not an object).
    struct Response {
        var status: Int
        var json: [String: Any]
    }

    /// Sends a request and returns the answer; statuses in `accepting` are returned, others become errors.
    func send(
        _ method: String,
        _ path: String,
        json body: Any? = nil,
        ndjson: [UInt8]? = nil,
        accepting: Set<Int> = [200, 201]
    ) async throws -> Response {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let authorization = configuration.authorization { headers.append(("Authorization", authorization)) }
        var bytes: [UInt8]?
        if let ndjson {
            headers.append(("Content-Type", "application/x-ndjson"))
            bytes = ndjson
        } else if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let request = HTTPRequestSpec(
            method: method,
            url: configuration.url + path,
            headers: headers,
            body: bytes,
            timeout: configuration.timeout
        )
        let response: HTTPResponseData
        do {
            response = try await transport.send(request)
        } catch let error as HTTPTransportError {
            throw EventStoreError(.unavailable, "Elasticsearch at \(configuration.description): \(error)")
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        guard accepting.contains(response.status) else {
            throw Self.error(response.status, json, path: path, body: response.text)
        }
        return Response(status: response.status, json: json)
    }

    /// An error for a refused request, naming the cause Elasticsearch gives (`index_not_found_exception`, …).
    static func error(_ status: Int, _ json: [String: Any], path: String, body: String) -> EventStoreError {
        let error = json["error"]
        let object = error as? [String: Any]
        let rootCause = (object?["root_cause"] as? [[String: Any]])?.first
        let type = (rootCause?["type"] ?? object?["type"]) as? String
        let reason =
            ((rootCause?["reason"] ?? object?["reason"]) as? String) ?? (error as? String) ?? String(body.prefix(200))
        let shownPath = String(path.split(separator: "?").first ?? "")
        switch (status, type) {
        case (401, _):
            return EventStoreError(
                .cannotOpen,
                "Elasticsearch refused the credentials (HTTP 401); check ELK_USERNAME/ELK_PASSWORD or ELK_API_KEY"
            )
        case (403, _):
            return EventStoreError(.readFailed, "Elasticsearch denied \(shownPath) (HTTP 403): \(reason)")
        case (404, "index_not_found_exception"):
            return EventStoreError(.readFailed, "no such index: \(reason)")
        case (429, _), (503, _):
            return EventStoreError(
                .unavailable,
                "Elasticsearch is overloaded (HTTP \(status)) and retries did not help: \(reason)"
            )
        default:
            return EventStoreError(
                .readFailed,
                "Elasticsearch \(shownPath) failed (HTTP \(status)\(type.map { ", \($0)" } ?? "")): \(reason)"
            )
        }
    }

    /// A document `_id` percent-encoded for a URL path.
    static func pathComponent(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }

    /// Creates an index with these mapped properties; an index that exists already is kept as it is.
    func createIndex(_ name: String, properties: [String: Any]) async throws {
        let response = try await send(
            "PUT",
            "/\(name)",
            json: ["mappings": ["properties": properties]],
            accepting: [200, 201, 400]
        )
        guard response.status == 400 else { return }
        let type = ((response.json["error"] as? [String: Any])?["type"] as? String) ?? ""
        guard type.contains("already_exists") else {
            throw Self.error(400, response.json, path: "/\(name)", body: "")
        }
    }

    /// Reads `GET /`: which dialect of point in time the cluster speaks.
    func dialect() async throws -> Dialect {
        let root = try await send("GET", "/")
        let distribution = (root.json["version"] as? [String: Any])?["distribution"] as? String
        return distribution == "opensearch" ? .openSearch : .elasticsearch
    }
}
