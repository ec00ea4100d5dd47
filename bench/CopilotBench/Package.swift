// swift-tools-version: 6.0
import PackageDescription

// A benchmark, not a test: how long one new message costs the copilot
// (CopilotWorkspace.append + tileData) in a 200-message conversation over a
// 500-document knowledge base. Build and run in release:
//   cd bench/CopilotBench && swift build -c release --scratch-path ../../.build-bench
//   ../../.build-bench/release/CopilotBench
let package = Package(
    name: "CopilotBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "handover-relay", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "CopilotBench", dependencies: [
            .product(name: "CopilotAnalyzers", package: "handover-relay"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
