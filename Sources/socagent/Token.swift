import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCStore

/// `socagent token create|list|revoke`
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "API tokens for socagent serve: made once, kept only as a digest in the store.",
        subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self]
    )
}

/// Where tokens are kept: the store's file, the cluster's `socagent-tokens` index, or a state file beside a cluster.
struct TokenSource: ParsableArguments {
    @OptionGroup var storeOptions: StoreOptions

    @Option(
        help: "With a cluster store: keep tokens in this SQLite file instead of the cluster's socagent-tokens index."
    )
    var state: String?

    func registry() async throws -> any AccessTokenRegistry {
        do {
            return try AccessTokens.registry(of: try await storeOptions.open(mustExist: false), statePath: state)
        } catch {
            throw CleanError("\(error)")
        }
    }
}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a token and print it once; only its SHA-256 digest is kept."
    )

    @Option(help: "Its name: who or what holds it (alice, elastic-webhook).")
    var name: String

    @Option(help: "viewer (reads), analyst (also changes incidents, posts alerts), admin.")
    var role: String = "viewer"

    @OptionGroup var source: TokenSource

    @Flag(help: #"Print {"token": "…"}."#)
    var json = false

    func validate() throws {
        guard AccessRole(rawValue: role.lowercased()) != nil else {
            throw ValidationError("--role must be viewer, analyst or admin")
        }
    }

    func run() async throws {
        let registry = try await source.registry()
        let secret: String
        do {
            secret = try await AccessTokens.issue(
                name: name,
                role: AccessRole(rawValue: role.lowercased()) ?? .viewer,
                in: registry
            )
        } catch {
            throw CleanError("\(error)")
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["token": secret], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(secret)
            Terminal.writeError("token \(name) made; it is shown once, keep it somewhere safe\n")
        }
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The tokens, without secrets.")

    @OptionGroup var source: TokenSource

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let tokens = try await source.registry().tokens()
        if json {
            let rows: [[String: Any]] = tokens.map {
                var row: [String: Any] = ["name": $0.name, "role": $0.role.rawValue, "created": $0.created.iso8601]
                if let revoked = $0.revoked { row["revoked"] = revoked.iso8601 }
                return row
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard !tokens.isEmpty else {
            print("no tokens; make one with `socagent token create --name NAME --role viewer|analyst|admin`")
            return
        }
        print(
            Table.render(
                ["NAME", "ROLE", "CREATED", "REVOKED"],
                tokens.map { [$0.name, $0.role.rawValue, $0.created.iso8601, $0.revoked?.iso8601 ?? "-"] }
            )
        )
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a token: requests with it are refused from now on."
    )

    @Argument(help: "The token's name.")
    var name: String

    @OptionGroup var source: TokenSource

    func run() async throws {
        let now = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        guard try await source.registry().revoke(name: name, at: now) else {
            throw CleanError("no token named \(DisplayText.visible(String(name.prefix(100)))) that is not revoked")
        }
        print("token \(name) revoked")
    }
}
