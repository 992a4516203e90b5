public import Foundation
public import SOCHTTP
import SOCModel

/// A source of threat intelligence about some kinds of indicators: an Internet service (AbuseIPDB, VirusTotal,
/// NVD) or local data (the CISA KEV catalog, imported NVD records, blocklists).
///
/// Providers only fetch and interpret. Caching, quotas and turning failures into "unknown, because …" are the
/// ``ThreatIntelService``'s job, so every provider gets them the same way.
public protocol ThreatIntelProvider: Sendable {
    /// A short stable name (`abuseipdb`), used in evidence and as the cache and quota key.
    var name: String { get }
    /// The kinds it can look up.
    var kinds: Set<IndicatorKind> { get }
    /// Whether it answers from local data: no network, no cache, no quota, and usable with `--offline`.
    var isLocal: Bool { get }
    /// The documented request limits, enforced before every request (empty for local sources).
    var limits: [RateLimit] { get }
    /// Looks `indicator` up.
    /// - Throws: ``ProviderError``.
    func lookup(_ indicator: IntelIndicator) async throws -> ProviderAnswer
}

extension ThreatIntelProvider {
    public var isLocal: Bool { false }
    public var limits: [RateLimit] { [] }
}

/// Why a source could not answer. Descriptions are safe to show: they never contain a credential.
public enum ProviderError: Error, Equatable, CustomStringConvertible {
    /// The source needs configuration it does not have (an API key, an imported catalog).
    case notConfigured(String)
    /// The service refused the credentials.
    case keyRejected(String)
    /// The quota is used up until `until` (when known).
    case quotaExhausted(until: Date?, detail: String)
    /// The service answered with an error status.
    case serviceError(status: Int, detail: String)
    /// No answer (unreachable, timed out).
    case transport(HTTPTransportError)
    /// The answer could not be read.
    case invalidResponse(String)
    /// The service says the indicator is malformed.
    case invalidIndicator(String)

    public var description: String {
        switch self {
        case .notConfigured(let detail): "it is not configured (\(detail))"
        case .keyRejected(let detail): "the service refused the API key (\(detail))"
        case .quotaExhausted(let until, let detail):
            "the quota is exhausted (\(detail))"
                + (until.map { "; next request allowed at \(IntelTime.iso8601($0))" } ?? "")
        case .serviceError(let status, let detail):
            "the service answered HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .transport(let error): "\(error)"
        case .invalidResponse(let detail): "the answer could not be read (\(detail))"
        case .invalidIndicator(let detail): "the service rejected the indicator (\(detail))"
        }
    }
}

/// Time formatting shared by the intel code.
enum IntelTime {
    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Helpers for reading JSON answers (off the hot path: Foundation's parser is fine here).
enum JSON {
    static func object(_ body: [UInt8]) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ProviderError.invalidResponse("not a JSON object")
        }
        return object
    }

    /// A short, single-line excerpt of a server's message.
    static func excerpt(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return DisplayText.clipped(line, to: 201)
    }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) -> String? { self[key] as? String }
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    func double(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
    func bool(_ key: String) -> Bool? { self[key] as? Bool }
    func object(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
    func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
}

/// Sends a provider's request, turning transport failures into ``ProviderError/transport(_:)``.
func send(_ request: HTTPRequestSpec, with transport: any HTTPTransport) async throws -> HTTPResponseData {
    do {
        return try await transport.send(request)
    } catch let error as HTTPTransportError {
        throw ProviderError.transport(error)
    }
}

/// Percent-encodes a query or path value.
func urlEncoded(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}
