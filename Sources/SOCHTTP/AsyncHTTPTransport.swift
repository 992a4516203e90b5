public import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// ``HTTPTransport`` over AsyncHTTPClient: TLS verified by the system trust store, redirects followed, bodies
/// bounded.
public struct AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient
    private let maximumBodyBytes: Int

    /// The process-wide client: system trust store, up to 5 redirects, and no silent retrying of refused
    /// connections (AsyncHTTPClient's default retries them until the request's deadline, so an unreachable service
    /// would take the whole timeout to report).
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A transport over `client` (``sharedClient`` by default).
    /// - Parameter maximumBodyBytes: The largest response body accepted (16 MiB by default).
    public init(client: HTTPClient = AsyncHTTPTransport.sharedClient, maximumBodyBytes: Int = 16 << 20) {
        self.client = client
        self.maximumBodyBytes = maximumBodyBytes
    }

    public func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        let shownURL = request.redactedURL
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let milliseconds = Int64(request.timeout.timeInterval * 1000)
        do {
            let response = try await client.execute(outgoing, timeout: .milliseconds(milliseconds))
            let body = try await response.body.collect(upTo: maximumBodyBytes)
            return HTTPResponseData(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: body)
            )
        } catch let error as HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error) {
                throw HTTPTransportError.timedOut(url: shownURL, after: request.timeout)
            }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) {
                throw HTTPTransportError.invalidURL(shownURL)
            }
            throw HTTPTransportError.unreachable(url: shownURL, reason: Self.describe(error))
        } catch is NIOTooManyBytesError {
            throw HTTPTransportError.bodyTooLarge(url: shownURL, limit: maximumBodyBytes)
        } catch let error as HTTPTransportError {
            throw error
        } catch {
            throw HTTPTransportError.unreachable(url: shownURL, reason: Self.describe(error))
        }
    }

    /// A short reason for a connection failure (`connection refused`), without NIO's type names.
    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("connectionRefused") || text.contains("errno: 111") {
            return "connection refused"
        }
        if text.contains("NXDOMAIN") || text.contains("lookup") { return "the host name does not resolve" }
        if text.contains("handshakeFailed") || text.contains("CERTIFICATE_VERIFY_FAILED")
            || text.contains("certificate")
        {
            return "the TLS handshake failed (is the server's certificate signed by a trusted CA? \(text))"
        }
        return text
    }
}
