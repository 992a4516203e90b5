import ArgumentParser
import Foundation
import Logging
import SOCAnalystKit
import SOCMCP
import SOCModel
import SOCServer
import SOCStore
import SOCTriage

/// `socagent serve`
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The HTTP API (/api/v1) over the incident queue, with the triage loop running in the same process.",
        discussion: """
            Binds 127.0.0.1:8600 by default. Every request but GET /api/v1/health needs \
            `Authorization: Bearer TOKEN` (socagent token create). Binding any other address needs TLS \
            (--tls-cert, --tls-key) and at least one token, or --insecure-bind. SIGTERM or SIGINT stop it after the \
            triage pass in progress. MCP clients connect over Streamable HTTP at /mcp with an analyst token.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed when listening).")
    var port = 8600

    @Option(name: .customLong("tls-cert"), help: "A PEM certificate chain: serve HTTPS.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Flag(
        name: .customLong("insecure-bind"),
        help: "Allow a non-loopback address without TLS or without any token (--insecure is the cluster's TLS check)."
    )
    var insecureBind = false

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: "A Sigma rule file or directory to hunt new events with (repeatable).")
    var rules: [String] = []

    @Flag(help: "No model and no Internet intelligence: the deterministic analyst with local sources.")
    var offline = false

    @OptionGroup var reports: ReportDirectoryOption

    @OptionGroup var intelOptions: IntelOptions

    @Option(
        help:
            "With a cluster store: keep triage state and tokens in this SQLite file instead of the cluster's own indices."
    )
    var state: String?

    @Option(help: "Seconds between triage passes (a posted alert starts one at once).")
    var interval: Double = 60

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard interval >= 0.2, interval <= 86400 else { throw ValidationError("--interval must be 0.2 to 86400 s") }
    }

    func run() async throws {
        var configuration = storeOptions.configuration()
        configuration.reportDirectory = reports.reportDir
        configuration.reportKeyFile = reports.reportKeyFile
        configuration.intelDatabase = intelOptions.intelDB
        configuration.offline = offline
        storeOptions.tls.warnAboutTheConnection(configuration)
        var options = APIServer.Options()
        options.host = host
        options.port = port
        options.tlsCertificate = tlsCertificate
        options.tlsKey = tlsKey
        options.insecure = insecureBind
        options.interval = .milliseconds(Int(interval * 1000))
        var server: APIServer
        do {
            let analyst = try await SOCAnalyst(configuration: configuration)
            var request = TriageRequest()
            request.rules = rules
            request.statePath = state
            let triage = try analyst.triageService(request)
            let tokens = try AccessTokens.registry(of: analyst.store, statePath: state)
            let active = try await tokens.tokens().filter { $0.revoked == nil }.count
            if let problem = APIServer.exposureProblem(options, activeTokens: active) { throw CleanError(problem) }
            if active == 0 {
                Terminal.writeError(
                    "warning: no API token yet; every request but /api/v1/health is refused until one is made "
                        + "with `socagent token create --name NAME --role analyst`\n"
                )
            }
            server = APIServer(
                analyst: analyst,
                triage: triage,
                ledger: triage.ledger,
                reports: analyst.reports,
                tokens: tokens,
                options: options,
                logger: Triage.logger
            )
            let mcp = SOCMCPServer(analyst: analyst, ledger: triage.ledger, logger: Triage.logger)
            server.mcp = MCPEndpoint(service: mcp, logger: Triage.logger)
        } catch let error as CleanError {
            throw error
        } catch {
            throw CleanError("\(error)")
        }
        let scheme = tlsCertificate == nil ? "http" : "https"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        try await server.run { port in
            Terminal.writeError("socagent serve: listening on \(scheme)://\(shownHost):\(port)\n")
        }
    }
}
