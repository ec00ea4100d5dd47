// swift-tools-version: 6.0
import PackageDescription

// A benchmark, not a test: how fast the SQLite event store appends (batches of 1, 10 and
// 100 events per commit, WAL mode) and reads back 100k events. Build and run in release:
//   cd bench/StoreBench && swift build -c release --scratch-path ../../.build-bench
//   ../../.build-bench/release/StoreBench [directory for the temporary database]
let package = Package(
    name: "StoreBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "handover-relay", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "StoreBench", dependencies: [
            .product(name: "RelayStore", package: "handover-relay"),
            .product(name: "SQLiteStore", package: "handover-relay"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
