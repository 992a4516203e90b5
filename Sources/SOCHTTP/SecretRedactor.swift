import Foundation

/// Removes secrets from text before it is printed or stored: each secret as written, in Base64, and the parts of
/// the credentials an `Authorization` header carries (`Basic` user:password, `Bearer`/`ApiKey` tokens and what they
/// decode to).
///
/// Services echo request headers in error bodies (a 401 quoting `x-apikey`, an ELK 500 printing `Authorization:
/// Basic …`), and those bodies become tool results, reports, cache rows and error messages. ``AsyncHTTPTransport``
/// builds one from each request's credential headers and applies it to the response body and to its errors, so
/// nothing downstream sees a secret whatever the service sends back.
///
/// ```swift
/// let redactor = SecretRedactor(secrets: ["vt-0123456789"])
/// redactor.redact("invalid key vt-0123456789")  // "invalid key [REDACTED]"
/// ```
public struct SecretRedactor: Sendable {
    /// What replaces a secret.
    public static let placeholder = "[REDACTED]"
    /// Secrets shorter than this are not redacted: replacing `a` everywhere would destroy the text and hide nothing.
    public static let minimumLength = 4
    /// The header names whose values are credentials.
    public static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "key", "x-apikey", "x-api-key", "apikey", "api-key", "x-auth-token",
        "cookie",
    ]

    private let forms: [[UInt8]]

    /// A redactor for `secrets` and their encodings.
    /// - Parameter secrets: API keys, passwords, tokens; empty and very short ones are ignored.
    public init(secrets: [String]) {
        var forms: Set<String> = []
        for secret in secrets { Self.addForms(of: secret, to: &forms) }
        // Longest first, so a secret that contains another is replaced whole.
        self.forms = forms.filter { $0.utf8.count >= Self.minimumLength }.sorted { $0.utf8.count > $1.utf8.count }
            .map { Array($0.utf8) }
    }

    /// A redactor for the credentials in `headers` (see ``credentialHeaders``).
    public init(headers: [(name: String, value: String)]) {
        self.init(secrets: headers.filter { Self.credentialHeaders.contains($0.name.lowercased()) }.map(\.value))
    }

    /// Whether there is nothing to redact.
    public var isEmpty: Bool { forms.isEmpty }

    /// `text` with every form of every secret replaced by ``placeholder``.
    public func redact(_ text: String) -> String {
        guard !forms.isEmpty else { return text }
        return String(decoding: redact(Array(text.utf8)), as: UTF8.self)
    }

    /// `bytes` with every form of every secret replaced by ``placeholder``.
    public func redact(_ bytes: [UInt8]) -> [UInt8] {
        guard !forms.isEmpty, !bytes.isEmpty else { return bytes }
        let placeholder = Array(Self.placeholder.utf8)
        var result = bytes
        for form in forms {
            guard let first = form.first, result.count >= form.count else { continue }
            var output: [UInt8] = []
            var index = 0
            var changed = false
            while index < result.count {
                if result[index] == first, index + form.count <= result.count,
                    result[index..<index + form.count].elementsEqual(form)
                {
                    output += placeholder
                    index += form.count
                    changed = true
                } else {
                    output.append(result[index])
                    index += 1
                }
            }
            if changed { result = output }
        }
        return result
    }

    private static func addForms(of secret: String, to forms: inout Set<String>) {
        let trimmed = secret.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        var values = [trimmed]
        // An Authorization value: the scheme's token, and what a Base64 token decodes to (user:password, id:key).
        let parts = trimmed.split(separator: " ", maxSplits: 1)
        if parts.count == 2 {
            let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
            values.append(token)
            if let data = Data(base64Encoded: token), let decoded = String(data: data, encoding: .utf8) {
                values.append(decoded)
                if let colon = decoded.firstIndex(of: ":") {
                    values.append(String(decoded[decoded.index(after: colon)...]))
                }
            }
        }
        for value in values where !value.isEmpty {
            forms.insert(value)
            let encoded = Data(value.utf8).base64EncodedString()
            forms.insert(encoded)
            forms.insert(encoded.replacingOccurrences(of: "=", with: ""))
            forms.insert(encoded.replacingOccurrences(of: "/", with: "\\/"))  // as JSON may escape it
            if let url = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(url) }
        }
    }
}
