public import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
public import SOCAnalystKit
public import SOCModel
public import SOCReports
public import SOCStore
public import SOCTriage

/// `socagent serve`: the HTTP API over the triage ledger, with the triage loop running in the same process.
///
/// Binds 127.0.0.1:8600 by default. Every request but the health check needs an API token; request bodies are
/// capped at ``maximumBodyBytes``; SIGTERM and SIGINT stop it gracefully (requests in flight answered, the triage
/// pass in progress finished and recorded).
public struct APIServer: Sendable {
    /// Where and how to listen.
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8600
        /// PEM certificate chain and key: the server speaks HTTPS.
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// Allow a non-loopback address without TLS or without any token.
        public var insecure = false
        /// Time between triage passes (a posted alert starts one at once).
        public var interval: Duration = .seconds(60)

        public init() {}
    }

    /// The largest request body accepted (413 beyond).
    public static let maximumBodyBytes = 1 << 20

    let options: Options
    let tokens: any AccessTokenRegistry
    let routes: APIRoutes
    let investigation: InvestigationRoutes
    let board: BoardRoutes
    let sessions = BoardSessions()
    let limiter = FailureLimiter()
    let worker: TriageWorker?
    let logger: Logger
    /// MCP over Streamable HTTP at `/mcp`, behind the same tokens (nil: not served).
    public var mcp: MCPEndpoint?

    /// - Parameters:
    ///   - triage: The triage loop to run in the server (nil: the API only, no passes).
    ///   - ledger: The incidents (the triage loop's own ledger when it runs).
    ///   - analyst: The analyst behind search, the investigation queries and analyses (nil: those answer 503).
    public init(
        analyst: SOCAnalyst? = nil,
        triage: TriageService?,
        ledger: any TriageLedger,
        reports: ReportStore,
        tokens: any AccessTokenRegistry,
        options: Options,
        logger: Logger
    ) {
        let metrics = ServerMetrics()
        let worker = triage.map {
            TriageWorker(triage: $0, interval: options.interval, metrics: metrics, logger: logger)
        }
        self.options = options
        self.tokens = tokens
        self.worker = worker
        self.logger = logger
        investigation = InvestigationRoutes(analyst: analyst)
        board = BoardRoutes(
            ledger: ledger,
            reports: reports,
            analyst: analyst,
            tokens: tokens,
            sessions: sessions,
            limiter: limiter,
            secureCookies: options.tlsCertificate != nil,
            logger: logger
        )
        routes = APIRoutes(
            ledger: ledger,
            reports: reports,
            metrics: metrics,
            intelligence: analyst?.intelligence,
            worker: worker,
            referenceTime: { Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970) }
        )
    }

    /// The routes behind token (or board session) authentication.
    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.middlewares.add(
            TokenAuthentication(registry: tokens, limiter: limiter, sessions: sessions, logger: logger)
        )
        routes.register(on: router)
        investigation.register(on: router)
        board.register(on: router)
        mcp?.register(on: router)
        return router
    }

    /// Why these options must not start a server, or nil: a non-loopback address without TLS, or with no token
    /// that could authenticate anyone, unless `insecure`.
    public static func exposureProblem(_ options: Options, activeTokens: Int) -> String? {
        guard !options.insecure, !isLoopback(options.host) else { return nil }
        if options.tlsCertificate == nil {
            return
                "binding \(options.host) sends tokens and incidents in clear text; give --tls-cert and --tls-key, or --insecure-bind"
        }
        if activeTokens == 0 {
            return
                "binding \(options.host) with no API token nobody can sign in; make one with `socagent token create`, or --insecure-bind"
        }
        return nil
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Serves until SIGTERM or SIGINT.
    /// - Parameter onRunning: Told the port once the server listens (useful with port 0).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var server: HTTPServerBuilder = .http1()
        if let certificate = options.tlsCertificate, let key = options.tlsKey {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            server = try .tls(.http1(), tlsConfiguration: configuration)
        }
        var application = Application(
            router: router(),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(options.host, port: options.port),
                serverName: "socagent"
            ),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        if let worker { application.addServices(worker) }
        try await application.runService()
    }
}
