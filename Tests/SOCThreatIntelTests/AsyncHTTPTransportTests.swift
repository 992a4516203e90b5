import Foundation
import SOCHTTP
import SOCTestSupport
import Testing

/// Redirects and the API keys requests carry in headers.
@Suite struct AsyncHTTPTransportTests {
    static let secrets = [
        ("Key", "abuse-key-redirect-test"), ("x-apikey", "vt-key-redirect-test"),
        ("x-api-key", "sk-ant-redirect-test"), ("Authorization", "Basic ZWxhc3RpYzpzZWNyZXQ="),
    ]

    /// A 302 from a configured base URL to another host sent `Key`, `x-apikey` and `x-api-key` there.
    @Test func credentialsNeverFollowARedirectToAnotherOrigin() async throws {
        let elsewhere = try await StandInServer.start { _ in .json(#"{"stolen":true}"#) }
        defer { Task { await elsewhere.stop() } }
        let configured = try await StandInServer.start { request in
            switch request.path {
            case "/cross": StandInResponse(status: 302, headers: ["location": elsewhere.baseURL + "/landing"])
            case "/same": StandInResponse(status: 307, headers: ["location": "/final"])
            default: .json(#"{"ok":true}"#)
            }
        }
        defer { Task { await configured.stop() } }
        let transport = AsyncHTTPTransport()
        func request(_ path: String) -> HTTPRequestSpec {
            var spec = HTTPRequestSpec(url: configured.baseURL + path)
            spec.headers = Self.secrets.map { (name: $0.0, value: $0.1) }
            return spec
        }

        let crossed = try await transport.send(request("/cross"))
        #expect(crossed.status == 302)  // returned as it came: the caller reports it
        let reached = await elsewhere.requests
        #expect(reached.isEmpty)
        for recorded in reached {
            for (name, value) in Self.secrets {
                #expect(recorded.header(name) != value, "\(name) reached another host")
            }
        }

        // A redirect on the same origin is followed with the headers.
        let followed = try await transport.send(request("/same"))
        #expect(followed.status == 200)
        let final = try #require(await configured.requests.last)
        #expect(final.path == "/final")
        #expect(final.header("x-apikey") == "vt-key-redirect-test")
    }

    /// Services echo request headers in 401/429/500 bodies; the keys then reached stdout, reports and intel.db.
    @Test func echoedCredentialsAreRedactedInEveryForm() async throws {
        let echo = try await StandInServer.start { request in
            var lines: [String] = []
            for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
                lines.append("\(name): \(value)")
                lines.append("b64 \(Data(value.utf8).base64EncodedString())")
                lines.append(#"json "\#(value.replacingOccurrences(of: "/", with: "\\/"))""#)
            }
            lines.append("decoded elastic:secret and secret alone")
            return StandInResponse(
                status: 500,
                headers: ["x-echo": request.header("x-apikey") ?? ""],
                body: lines.joined(separator: "\n")
            )
        }
        defer { Task { await echo.stop() } }
        var spec = HTTPRequestSpec(url: echo.baseURL + "/")
        spec.headers = Self.secrets.map { (name: $0.0, value: $0.1) } + [(name: "Accept", value: "application/json")]
        let response = try await AsyncHTTPTransport().send(spec)
        #expect(response.status == 500)
        #expect(response.text.contains("accept: application/json"))  // what is not a credential stays
        var forbidden = ["elastic:secret", "ZWxhc3RpYzpzZWNyZXQ="]
        for (_, value) in Self.secrets {
            forbidden += [value, Data(value.utf8).base64EncodedString()]
        }
        for secret in forbidden {
            #expect(!response.text.contains(secret), "\(secret) in \(response.text)")
            #expect(!(response.header("x-echo") ?? "").contains(secret))
        }
        // The Basic password is a secret on its own, as is the user:password pair.
        #expect(response.text.contains("decoded [REDACTED] and [REDACTED] alone"))
    }
}
