// swift-tools-version: 5.4
import Foundation
import PackageDescription

// libFuzzer harnesses, one executable per parser of outside input
// (Sources/FuzzTargets in the main package). A package of its own so the
// relay's normal build never sees -sanitize=fuzzer. Build and run: `make fuzz`
// (docs/FUZZING.md).
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's
// entry point (`fuzz_json_main`) and links `main` to it, which clashes with
// libFuzzer's own main(); 5.4 leaves main() to libFuzzer (-parse-as-library).
//
// SwiftPM names a path dependency after its folder, and a checkout of the
// relay may be called anything (a worktree, a CI workspace): read the name
// from where this manifest lives.
let relay = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let targets = ["json", "chat-frame", "copilot-frame", "copilot-tiles", "stream-frame", "webhook", "query", "url", "token", "config", "bot-script"]

let package = Package(
    name: "handover-relay-fuzz",
    dependencies: [.package(path: "..")],
    targets: targets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: [.product(name: "FuzzTargets", package: relay)],
                          path: "Sources/fuzz-\(name)")
    }
)
