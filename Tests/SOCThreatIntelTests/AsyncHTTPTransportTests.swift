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
}
