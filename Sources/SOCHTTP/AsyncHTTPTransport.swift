public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// ``HTTPTransport`` over AsyncHTTPClient: TLS verified by the system trust store, same-origin redirects followed,
/// bodies bounded.
///
/// Requests carry API keys in headers (`Key`, `x-apikey`, `x-api-key`, `Authorization`), and AsyncHTTPClient's own
/// redirect handling drops only `Authorization` when the host changes. So redirects are followed here: up to five,
/// and only to the same origin (scheme, host and port; `http` to `https` on the same host counts). A redirect
/// elsewhere is returned as it came (a 3xx the caller reports), and no header reaches the other host.
public struct AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient
    private let maximumBodyBytes: Int

    /// The process-wide client: system trust store, redirects left to ``send(_:)``, and no silent retrying of refused
    /// connections (AsyncHTTPClient's default retries them until the request's deadline, so an unreachable service
    /// would take the whole timeout to report).
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A transport over `client` (``sharedClient`` by default).
    /// - Parameter maximumBodyBytes: The largest response body accepted (16 MiB by default).
    public init(client: HTTPClient = AsyncHTTPTransport.sharedClient, maximumBodyBytes: Int = 16 << 20) {
        self.client = client
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// The most redirects followed for one request.
    public static let maximumRedirects = 5

    public func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        // Services echo request headers in error bodies; nothing they send back may carry our credentials on.
        let redactor = SecretRedactor(headers: request.headers)
        do {
            var response = try await follow(request)
            response.body = redactor.redact(response.body)
            response.headers = response.headers.map { (name: $0.name, value: redactor.redact($0.value)) }
            return response
        } catch let error as HTTPTransportError {
            throw redactor.isEmpty ? error : error.redacted(by: redactor)
        }
    }

    private func follow(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        var current = request
        for _ in 0...Self.maximumRedirects {
            let response = try await sendOnce(current)
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("location"),
                let next = Self.sameOriginTarget(location, from: current.url)
            else {
                return response
            }
            if response.status == 303 || (response.status != 307 && response.status != 308 && current.method == "POST")
            {
                current.method = "GET"
                current.body = nil
            }
            current.url = next
        }
        throw HTTPTransportError.unreachable(
            url: request.redactedURL,
            reason: "more than \(Self.maximumRedirects) redirects"
        )
    }

    /// Where a redirect leads, when it stays on the origin of `url`; `nil` for any other origin.
    static func sameOriginTarget(_ location: String, from url: String) -> String? {
        guard let base = URL(string: url), let target = URL(string: location, relativeTo: base)?.absoluteURL,
            let fromHost = base.host?.lowercased(), let toHost = target.host?.lowercased(), fromHost == toHost,
            let fromScheme = base.scheme?.lowercased(), let toScheme = target.scheme?.lowercased()
        else { return nil }
        func port(_ url: URL, _ scheme: String) -> Int? {
            url.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : nil)
        }
        let sameScheme = fromScheme == toScheme && port(base, fromScheme) == port(target, toScheme)
        let upgrade = fromScheme == "http" && toScheme == "https" && target.port == nil
        return sameScheme || upgrade ? target.absoluteString : nil
    }

    private func sendOnce(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
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
