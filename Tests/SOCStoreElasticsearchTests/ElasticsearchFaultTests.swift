import Foundation
import SOCHTTP
import SOCModel
import SOCStore
import SOCStoreElasticsearch
import SOCTestSupport
import Synchronization
import Testing

/// The fault paths a real server will not produce on demand, against a loopback stub: 429 with Retry-After, 503, a
/// timeout, connection refused, `_bulk` item failures, 401, a missing index; and the Elasticsearch dialect.
@Suite struct ElasticsearchFaultTests {
    static let openSearchRoot =
        #"{"name":"stub","version":{"distribution":"opensearch","number":"2.11.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}"#
    static let elasticsearchRoot =
        #"{"name":"stub","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}"#

    static func configuration(
        _ url: String,
        attempts: Int = 3,
        timeout: Duration = .seconds(10)
    ) -> ElasticsearchConfiguration {
        ElasticsearchConfiguration(
            url: url,
            credentials: .basic(username: "elastic", password: "s3cret-pass"),
            timeout: timeout,
            retryPolicy: RetryPolicy(
                maximumAttempts: attempts,
                baseDelay: .milliseconds(10),
                retryableStatuses: [429, 503]
            )
        )
    }

    /// A stub that answers `GET /` with `root`, then `handler` for everything else.
    static func stub(
        root: String = openSearchRoot,
        _ handler: @escaping @Sendable (RecordedRequest) -> StandInResponse
    ) async throws -> StandInServer {
        try await StandInServer.start { request in
            request.path == "/" && request.method == "GET" ? .json(root) : handler(request)
        }
    }

    @Test func a429WithRetryAfterAndA503AreRetried() async throws {
        let calls = Mutex(0)
        let server = try await Self.stub { _ in
            switch calls.withLock({
                $0 += 1
                return $0
            }) {
            case 1:
                StandInResponse(
                    status: 429,
                    headers: ["Retry-After": "1"],
                    body: #"{"error":{"type":"es_rejected_execution_exception","reason":"rejected"},"status":429}"#
                )
            case 2: StandInResponse(status: 503, body: #"{"error":"unavailable"}"#)
            default: .json(#"{"count":42,"_shards":{"total":1,"successful":1,"failed":0}}"#)
            }
        }
        defer { Task { await server.stop() } }
        let store = try await ElasticsearchEventStore(configuration: Self.configuration(server.baseURL))
        let started = ContinuousClock.now
        #expect(try await store.count() == 42)
        #expect(ContinuousClock.now - started >= .seconds(1))  // Retry-After was honoured
        #expect(calls.withLock { $0 } == 3)
        let request = try #require(await server.requests.last)
        #expect(request.path == "/winlogbeat-*,filebeat-*,packetbeat-*/_count")
        #expect(request.header("Authorization") == "Basic " + Data("elastic:s3cret-pass".utf8).base64EncodedString())
    }

    @Test func aTimeoutAndARefusedConnectionAreClearErrors() async throws {
        // A generous timeout: the stand-in's immediate answer to `GET /` must arrive within it even when the whole
        // suite keeps both cores busy (2 s did not, once the capture-triage tests ran beside it).
        let slow = try await Self.stub { _ in StandInResponse(status: 200, body: "{}", delay: .seconds(30)) }
        defer { Task { await slow.stop() } }
        let store = try await ElasticsearchEventStore(
            configuration: Self.configuration(slow.baseURL, attempts: 1, timeout: .seconds(10))
        )
        let timeout = await #expect(throws: EventStoreError.self) { try await store.count() }
        #expect(timeout?.kind == .unavailable)
        #expect(timeout?.detail.contains("within 10.0 s") == true)
        #expect(timeout?.detail.contains("s3cret") == false)

        let closed = try await StandInServer.closedPortURL()
        let refused = await #expect(throws: EventStoreError.self) {
            _ = try await ElasticsearchEventStore(configuration: Self.configuration(closed, attempts: 1))
        }
        #expect(refused?.detail.contains("cannot reach \(closed)/") == true)
        #expect(refused?.detail.contains("connection refused") == true)
    }

    @Test func bulkItemFailuresAreCountedAndReported() async throws {
        let server = try await Self.stub { request in
            switch request.path {
            case "/_index_template/socagent-ecs":
                request.method == "GET" ? StandInResponse(status: 404, body: "{}") : .json(#"{"acknowledged":true}"#)
            case "/_bulk":
                .json(
                    #"""
                    {"took":3,"errors":true,"items":[
                    {"create":{"_index":"filebeat-2024.02.04","_id":"a","status":201,"result":"created"}},
                    {"create":{"_index":"filebeat-2024.02.04","_id":"b","status":409,"error":{"type":"version_conflict_engine_exception","reason":"document already exists"}}},
                    {"create":{"_index":"filebeat-2024.02.04","_id":"c","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [source.port] of type [long]"}}}]}
                    """#
                )
            default: .json(#"{"_shards":{"total":1,"successful":1,"failed":0}}"#)
            }
        }
        defer { Task { await server.stop() } }
        let store = try await ElasticsearchEventStore(configuration: Self.configuration(server.baseURL))
        let events = (0..<3).map { index in
            var event = SecurityEvent(id: EventIdentifier(record: "line \(index)"), original: "line \(index)")
            event.timestamp = Timestamp(year: 2024, month: 2, day: 4, hour: 10)
            event.set(ECSField.message, "line \(index)")
            return event
        }
        let result = try await store.append(events)
        #expect(result.inserted == 1 && result.duplicates == 1 && result.failed == 1)
        #expect(
            result.failures == [
                "event c: HTTP 400 mapper_parsing_exception: failed to parse field [source.port] of type [long]"
            ]
        )
        let requests = await server.requests
        let bulk = try #require(requests.first { $0.path == "/_bulk" })
        #expect(bulk.header("Content-Type") == "application/x-ndjson")
        let lines = bulk.text.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].contains(#""create":{"_index":"filebeat-2024.02.04","_id":"\#(events[0].id.hex)""#))
        #expect(requests.contains { $0.path == "/_index_template/socagent-ecs" && $0.method == "PUT" })
    }

    @Test func refusedCredentialsAndAMissingIndexSayWhatToDo() async throws {
        let server = try await StandInServer.start { request in
            if request.header("Authorization") == nil {
                return StandInResponse(
                    status: 401,
                    headers: ["WWW-Authenticate": "Basic"],
                    body:
                        #"{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}"#
                )
            }
            if request.path == "/" { return .json(Self.elasticsearchRoot) }
            return StandInResponse(
                status: 404,
                body:
                    #"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [winlogbeat-x]"}],"type":"index_not_found_exception","reason":"no such index [winlogbeat-x]"},"status":404}"#
            )
        }
        defer { Task { await server.stop() } }
        let anonymous = await #expect(throws: EventStoreError.self) {
            _ = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: server.baseURL))
        }
        #expect(anonymous?.detail.contains("refused the credentials (HTTP 401)") == true)
        var configuration = ElasticsearchConfiguration(
            url: server.baseURL,
            credentials: .apiKey("VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
        )
        configuration.indexPatterns = ["winlogbeat-x"]
        let store = try await ElasticsearchEventStore(configuration: configuration)
        let missing = await #expect(throws: EventStoreError.self) { try await store.count() }
        #expect(missing?.detail == "no such index: no such index [winlogbeat-x]")
        #expect(
            await server.requests.last?.header("Authorization")
                == "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
        )
        #expect(!configuration.description.contains("VnVhQ2"))
    }

    @Test func forbiddenBadQueriesAndPartialAnswersAreErrors() async throws {
        let server = try await Self.stub { request in
            switch request.path {
            case "/winlogbeat-*,filebeat-*,packetbeat-*/_count":
                StandInResponse(
                    status: 403,
                    body:
                        #"{"error":{"root_cause":[{"type":"security_exception","reason":"action [indices:data/read/search] is unauthorized for user [analyst]"}],"type":"security_exception","reason":"unauthorized"},"status":403}"#
                )
            case "/winlogbeat-*,filebeat-*,packetbeat-*/_search" where request.text.contains("query_string"):
                StandInResponse(
                    status: 400,
                    body:
                        #"{"error":{"root_cause":[{"type":"query_shard_exception","reason":"failed to create query: For input string: \"abc\""}],"type":"search_phase_execution_exception","reason":"all shards failed"},"status":400}"#
                )
            default:
                .json(
                    #"{"_shards":{"total":2,"successful":1,"failed":1,"failures":[{"shard":0,"index":"winlogbeat-2024.02.04","reason":{"type":"illegal_argument_exception","reason":"Text fields are not optimised for operations that require per-document field data"}}]},"hits":{"total":{"value":0,"relation":"eq"},"hits":[]}}"#
                )
            }
        }
        defer { Task { await server.stop() } }
        let store = try await ElasticsearchEventStore(configuration: Self.configuration(server.baseURL))
        let forbidden = await #expect(throws: EventStoreError.self) { try await store.count() }
        #expect(
            forbidden?.detail
                == "Elasticsearch denied /winlogbeat-*,filebeat-*,packetbeat-*/_count (HTTP 403): action [indices:data/read/search] is unauthorized for user [analyst]"
        )
        let badQuery = await #expect(throws: EventStoreError.self) {
            _ = try await store.search(
                try LuceneParser.parse("source.port:abc"),
                filter: EventFilter(),
                now: Timestamp(year: 2026, month: 1, day: 1)!
            )
        }
        #expect(
            badQuery?.detail.contains("(HTTP 400, query_shard_exception): failed to create query") == true,
            "\(badQuery?.detail ?? "")"
        )
        let partial = await #expect(throws: EventStoreError.self) { _ = try await store.failedLogins(EventFilter()) }
        #expect(
            partial?.detail
                == "1 shard(s) failed: Text fields are not optimised for operations that require per-document field data"
        )
    }

    @Test func anElasticsearchClusterGetsItsPointInTimeDialect() async throws {
        let server = try await Self.stub(root: Self.elasticsearchRoot) { request in
            switch (request.method, request.path) {
            case ("POST", "/winlogbeat-*,filebeat-*,packetbeat-*/_pit"): .json(#"{"id":"pit-1"}"#)
            case ("POST", "/_search"):
                .json(
                    #"{"hits":{"total":{"value":0,"relation":"eq"},"hits":[]},"_shards":{"total":1,"successful":1,"failed":0}}"#
                )
            case ("DELETE", "/_pit"): .json(#"{"succeeded":true,"num_freed":1}"#)
            default: StandInResponse(status: 400, body: #"{"error":"no handler found for uri [\#(request.path)]"}"#)
            }
        }
        defer { Task { await server.stop() } }
        let store = try await ElasticsearchEventStore(configuration: Self.configuration(server.baseURL))
        #expect(try await store.suspiciousProcesses(EventFilter()).isEmpty)
        let requests = await server.requests.map { "\($0.method) \($0.path)" }
        #expect(
            requests == ["GET /", "POST /winlogbeat-*,filebeat-*,packetbeat-*/_pit", "POST /_search", "DELETE /_pit"]
        )
        let search = try #require(await server.requests.first { $0.path == "/_search" })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(search.body)) as? [String: Any])
        #expect((body["pit"] as? [String: Any])?["id"] as? String == "pit-1")
    }
}

/// TLS: verified against the system store by default, against `--ca-file` when given, skipped only by `--insecure`.
@Suite struct ElasticsearchTLSTests {
    /// A throwaway CA and a certificate it signed for 127.0.0.1, made with openssl.
    static func certificates() throws -> (ca: String, certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-tls-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        for arguments in [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=socagent test CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2", "-extfile", "san.ext",
            ],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl \(arguments[0]) failed")
        }
        return (directory + "/ca.pem", directory + "/server.pem", directory + "/server.key")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"))
    func certificatesAreVerifiedUnlessToldOtherwise() async throws {
        let files = try Self.certificates()
        let server = try await StandInServer.start(tls: (files.certificate, files.key)) { request in
            request.path == "/" ? .json(ElasticsearchFaultTests.openSearchRoot) : .json(#"{"count":7}"#)
        }
        defer { Task { await server.stop() } }
        #expect(server.baseURL.hasPrefix("https://"))
        let policy = RetryPolicy(maximumAttempts: 1)

        let untrusted = await #expect(throws: EventStoreError.self) {
            _ = try await ElasticsearchEventStore(
                configuration: ElasticsearchConfiguration(url: server.baseURL, retryPolicy: policy)
            )
        }
        #expect(untrusted?.kind == .unavailable)
        #expect(untrusted?.detail.contains("the TLS handshake failed") == true, "\(untrusted?.detail ?? "")")
        #expect(await server.requests.isEmpty)

        let trusted = try await ElasticsearchEventStore(
            configuration: ElasticsearchConfiguration(url: server.baseURL, caFile: files.ca, retryPolicy: policy)
        )
        #expect(try await trusted.count() == 7)

        let unverified = try await ElasticsearchEventStore(
            configuration: ElasticsearchConfiguration(
                url: server.baseURL,
                insecureSkipVerify: true,
                retryPolicy: policy
            )
        )
        #expect(try await unverified.count() == 7)

        let badCA = await #expect(throws: EventStoreError.self) {
            _ = try await ElasticsearchEventStore(
                configuration: ElasticsearchConfiguration(url: server.baseURL, caFile: "/nonexistent/ca.pem")
            )
        }
        #expect(badCA?.detail.hasPrefix("cannot read the CA file /nonexistent/ca.pem") == true)
    }
}
