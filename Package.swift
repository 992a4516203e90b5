// swift-tools-version: 6.1
import PackageDescription

/// Settings every target shares (STYLE.md §3.4 #12).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "socagent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "socagent", targets: ["socagent"]),
        .library(name: "SOCModel", targets: ["SOCModel"]),
        .library(name: "SOCParsers", targets: ["SOCParsers"]),
        .library(name: "SOCStore", targets: ["SOCStore"]),
        .library(name: "SOCDetection", targets: ["SOCDetection"]),
        .library(name: "SOCStoreSQLite", targets: ["SOCStoreSQLite"]),
        .library(name: "SOCHTTP", targets: ["SOCHTTP"]),
        .library(name: "SOCStoreElasticsearch", targets: ["SOCStoreElasticsearch"]),
        .library(name: "SOCThreatIntel", targets: ["SOCThreatIntel"]),
        .library(name: "SOCReports", targets: ["SOCReports"]),
        .library(name: "SOCLLM", targets: ["SOCLLM"]),
        .library(name: "SOCAgent", targets: ["SOCAgent"]),
        .library(name: "SOCTriage", targets: ["SOCTriage"]),
        .library(name: "SOCAnalystKit", targets: ["SOCAnalystKit"]),
        .library(name: "SOCServer", targets: ["SOCServer"]),
        .library(name: "SOCMCP", targets: ["SOCMCP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The server (socagent serve), and the tests' loopback stand-ins for the external services.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The MCP server (socagent mcp).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // Core: no third-party dependencies.
        .target(name: "SOCModel", swiftSettings: strictSettings),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // CRC-32 folded with carry-less multiplication: EVTX checks one over every chunk (zlib's is the fallback).
        .target(name: "CCRC32", dependencies: ["CZlib"]),
        .target(name: "SOCParsers", dependencies: ["SOCModel", "CZlib", "CCRC32"], swiftSettings: strictSettings),
        .target(name: "SOCStore", dependencies: ["SOCModel"], swiftSettings: strictSettings),
        // Core + one format library: Sigma rules and their field mappings are YAML.
        .target(
            name: "SOCDetection",
            dependencies: ["SOCModel", "SOCStore", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources")],
            // The engine's per-thread scratch state lives in classes; the runtime exclusivity checks on it cost about
            // a fifth of hunting time (measured with perf). Debug builds, and so the tests, keep the checks.
            swiftSettings: strictSettings + [
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ]
        ),
        // Adapters: one third-party dependency each.
        .target(
            name: "SOCSQLiteFiles",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SOCStoreSQLite",
            dependencies: [
                "SOCModel", "SOCStore", "SOCParsers", "SOCSQLiteFiles", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SOCHTTP",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SOCStoreElasticsearch",
            dependencies: [
                "SOCModel", "SOCStore", "SOCParsers", "SOCHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SOCThreatIntel",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCHTTP", "SOCSQLiteFiles", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SOCReports",
            dependencies: [
                "SOCModel", "SOCParsers", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .target(name: "SOCLLM", dependencies: ["SOCModel", "SOCHTTP"], swiftSettings: strictSettings),
        // The analyst: the ten tools, the deterministic playbook, the model loop.
        .target(
            name: "SOCAgent",
            dependencies: ["SOCModel", "SOCParsers", "SOCStore", "SOCThreatIntel", "SOCLLM"],
            swiftSettings: strictSettings
        ),
        // Triage: alerts in, incidents out.
        .target(
            name: "SOCTriage",
            dependencies: ["SOCModel", "SOCParsers", "SOCStore", "SOCReports", "SOCDetection"],
            swiftSettings: strictSettings
        ),
        // Composition root.
        .target(
            name: "SOCAnalystKit",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCStore", "SOCStoreSQLite", "SOCStoreElasticsearch", "SOCHTTP",
                "SOCThreatIntel", "SOCLLM", .product(name: "Crypto", package: "swift-crypto"),
                "SOCDetection", "SOCAgent", "SOCReports", "SOCTriage",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP face: the API over the triage ledger, with the triage loop in the same process.
        .target(
            name: "SOCServer",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCStore", "SOCReports", "SOCTriage", "SOCAnalystKit", "SOCMCP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "SOCThreatIntel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        // The MCP face: the analyst's tools, reports and incidents for MCP clients (stdio and Streamable HTTP).
        .target(
            name: "SOCMCP",
            dependencies: [
                "SOCModel", "SOCStore", "SOCAgent", "SOCReports", "SOCAnalystKit",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Front end.
        .executableTarget(
            name: "socagent",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCStore", "SOCAnalystKit", "SOCDetection", "SOCThreatIntel", "SOCReports",
                "SOCAgent", "SOCTriage", "SOCServer", "SOCMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SOCModelTests", dependencies: ["SOCModel"], swiftSettings: strictSettings),
        .testTarget(
            name: "SOCParsersTests",
            dependencies: ["SOCModel", "SOCParsers", "SOCTestSupport", "CCRC32", "CZlib"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SOCStoreTests", dependencies: ["SOCModel", "SOCStore"], swiftSettings: strictSettings),
        .testTarget(
            name: "SOCDetectionTests",
            dependencies: ["SOCModel", "SOCParsers", "SOCDetection", "SOCTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SOCStoreSQLiteTests",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCStore", "SOCStoreSQLite", "SOCAnalystKit", "SOCTestSupport",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: strictSettings
        ),
        // Loopback HTTP stand-ins for the services no machine here can reach.
        .target(
            name: "SOCTestSupport",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SOCTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SOCStoreElasticsearchTests",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCStore", "SOCStoreSQLite", "SOCHTTP", "SOCStoreElasticsearch",
                "SOCTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SOCReportsTests", dependencies: ["SOCModel", "SOCReports"], swiftSettings: strictSettings),
        .testTarget(
            name: "SOCAgentTests",
            dependencies: [
                "SOCModel", "SOCParsers", "SOCStore", "SOCStoreSQLite", "SOCThreatIntel", "SOCAgent", "SOCLLM",
                "SOCHTTP", "SOCReports",
                "SOCDetection", "SOCAnalystKit", "SOCTestSupport",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SOCThreatIntelTests",
            dependencies: ["SOCModel", "SOCHTTP", "SOCThreatIntel", "SOCTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SOCTriageTests",
            dependencies: [
                "SOCModel", "SOCStore", "SOCTriage", "SOCStoreSQLite", "SOCReports", "SOCAgent", "SOCThreatIntel",
                "SOCParsers", "SOCAnalystKit", "SOCTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SOCServerTests",
            dependencies: [
                "SOCServer", "SOCStoreSQLite", "SOCReports", .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "socagentTests",
            dependencies: ["socagent", "SOCAnalystKit", "SOCDetection", "SOCModel", "SOCParsers", "SOCTestSupport"],
            // The MCP tests' Python client (run by the `mcp` package from PyPI, not built).
            exclude: ["MCPClient"],
            swiftSettings: strictSettings
        ),
    ]
)
