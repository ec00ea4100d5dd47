// swift-tools-version: 6.0
import PackageDescription

// Layout reads as the architecture (docs/ARCHITECTURE.md):
//   C bindings (CLWS, COpenSSL)  →  shell (RelayShell)  →  executable
//   pure values (RelayJSON, HTTPModel, RelayCore, ChatGatewaySimulator)
// Only RelayShell and RelayCrypto touch C; the core is tested without sockets.
let package = Package(
    name: "handover-relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "handover-relay", targets: ["handover-relay"]),
        .library(name: "CopilotAnalyzers", targets: ["CopilotAnalyzers"]),
        .library(name: "RelayStore", targets: ["RelayStore"]),
        .library(name: "SQLiteStore", targets: ["SQLiteStore"]),
        .library(name: "RedisStore", targets: ["RedisStore"]),
        // For the libFuzzer harnesses in fuzz/ (docs/FUZZING.md), a separate package built with -sanitize=fuzzer.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Ops surface: the shell records through swift-metrics; the executable exports Prometheus text.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C: libwebsockets (HTTP, WebSocket, outbound HTTPS) and libssl/libcrypto (HMAC, randomness).
        .systemLibrary(name: "CLWS", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // C: the system SQLite, for the embedded durable store.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // C: hiredis (synchronous client), for the Redis store (scale-out, docs/REDIS.md).
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),

        // Pure building blocks.
        .target(name: "RelayJSON"),
        .target(name: "HTTPModel", dependencies: ["RelayJSON"]),
        .target(name: "RelayCrypto", dependencies: ["COpenSSL"]),

        // Durable state: the EventStore protocol + InMemoryStore (pure), and the SQLite implementation.
        .target(name: "RelayStore", dependencies: ["RelayJSON"]),
        .target(name: "SQLiteStore", dependencies: ["CSQLite", "RelayStore", "RelayJSON"]),
        // The same protocol on Redis (not wired into the relay yet; docs/REDIS.md).
        .target(name: "RedisStore", dependencies: ["CHiredis", "RelayStore", "RelayJSON"]),

        // Copilot analyzers: sentiment, knowledge (BM25), next best action, summary, redaction. Pure.
        .target(name: "CopilotAnalyzers", dependencies: ["RelayJSON"]),

        // The functional core: sessions, handover state machine, chat protocol, 8x8 requests/webhooks, bots.
        .target(name: "RelayCore", dependencies: ["RelayJSON", "HTTPModel", "RelayCrypto", "CopilotAnalyzers", "RelayStore"]),

        // A stand-in for 8x8's Chat Gateway v1 + agent console, kept apart from the relay on purpose.
        .target(name: "ChatGatewaySimulator", dependencies: ["RelayJSON", "HTTPModel", "RelayCrypto"]),

        // One JSON object per log line (swift-log handler). Pure: no sockets, writes to a sink.
        .target(name: "RelayLogging", dependencies: ["RelayJSON", .product(name: "Logging", package: "swift-log")]),

        // The imperative shell: one libwebsockets service loop executing core effects.
        .target(name: "RelayShell", dependencies: [
            "CLWS", "RelayCore", "HTTPModel", "RelayJSON", "RelayStore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),

        .executableTarget(name: "handover-relay", dependencies: [
            "RelayShell", "RelayCore", "ChatGatewaySimulator", "CopilotAnalyzers", "HTTPModel", "RelayJSON",
            "RelayStore", "SQLiteStore", "RedisStore", "RelayLogging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // Every parser of outside input as a fuzz target: run by the corpus replay tests and by fuzz/.
        .target(name: "FuzzTargets", dependencies: ["RelayCore", "RelayJSON", "HTTPModel", "RelayCrypto"]),

        .testTarget(name: "RelayJSONTests", dependencies: ["RelayJSON"]),
        .testTarget(name: "RelayCoreTests", dependencies: ["RelayCore", "RelayJSON", "HTTPModel", "CopilotAnalyzers", "RelayStore"]),
        .testTarget(name: "CopilotAnalyzersTests", dependencies: ["CopilotAnalyzers", "RelayJSON"]),
        .testTarget(name: "ChatGatewaySimulatorTests", dependencies: ["ChatGatewaySimulator", "RelayJSON", "HTTPModel", "RelayCrypto"]),
        .testTarget(name: "RelayCryptoTests", dependencies: ["RelayCrypto", "RelayJSON"]),
        .testTarget(name: "RelayShellTests", dependencies: [
            "RelayShell", "RelayCore", "HTTPModel", .product(name: "MetricsTestKit", package: "swift-metrics"),
        ]),
        .testTarget(name: "RelayLoggingTests", dependencies: ["RelayLogging", "RelayJSON", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "RelayStoreTests", dependencies: ["RelayStore", "SQLiteStore", "RedisStore", "RelayJSON"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "RelayCore", "RelayJSON", "HTTPModel", "RelayCrypto"]),
    ],
    swiftLanguageModes: [.v6]
)
