import ArgumentParser
import Foundation
import Logging
import SOCAnalystKit
import SOCMCP
import SOCStore

/// `socagent mcp`
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract:
            "An MCP server over stdio: the analyst's tools, reports and incidents for Claude Desktop, Claude Code "
            + "and other MCP clients.",
        discussion: """
            Standard output carries the protocol only; logs go to standard error. The store, reports folder, \
            intelligence keys and model come from the same flags, environment and .env as the other commands. \
            Tools with no since/until or hours cover the whole store. `socagent serve` serves the same over \
            Streamable HTTP at /mcp, behind its API tokens.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @OptionGroup var reports: ReportDirectoryOption

    @OptionGroup var intelOptions: IntelOptions

    @Flag(help: "No model and no Internet intelligence: the deterministic analyst with local sources.")
    var offline = false

    @Option(help: "With a cluster store: the SQLite file holding triage state (incidents), if not the cluster.")
    var state: String?

    @Option(
        name: .customLong("allow-read"),
        help: ArgumentHelp(
            "A folder parse_log_file may read (repeatable; default: none).",
            discussion: "Dotfiles, dot-folders and SQLite files (the store, the intel cache) are never read.",
            valueName: "DIR"
        )
    )
    var allowRead: [String] = []

    func validate() throws {
        try Analyze.validateReadable(allowRead)
    }

    func run() async throws {
        var configuration = storeOptions.configuration(mustExist: true)
        configuration.reportDirectory = reports.reportDir
        configuration.reportKeyFile = reports.reportKeyFile
        configuration.intelDatabase = intelOptions.intelDB
        configuration.offline = offline
        storeOptions.tls.warnAboutTheConnection(configuration)
        var analyst: SOCAnalyst
        do {
            analyst = try await SOCAnalyst(configuration: configuration)
        } catch {
            throw CleanError("\(error)")
        }
        ClusterTLSOptions.reportRepairs(analyst.store)
        analyst.readableRoots = allowRead
        let ledger = try? SOCAnalyst.triageLedger(of: analyst.store, statePath: state)
        try await SOCMCPServer(analyst: analyst, ledger: ledger, logger: Self.logger).runStdio()
    }

    /// Logs to standard error (through the process's one logging bootstrap): standard output is the protocol's.
    static let logger: Logger = {
        _ = Triage.logger
        var logger = Logger(label: "socagent.mcp")
        logger.logLevel = .notice
        return logger
    }()
}
