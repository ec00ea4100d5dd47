import Foundation
import FuzzTargets

/// The committed fuzz corpus, `Tests/fuzz/corpus/<target>/`, found relative to
/// this file so the tests run from any working directory.
enum Corpus {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // FuzzTargetsTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("fuzz/corpus")

    /// Every input of `target`, sorted by name: (file name, bytes).
    static func inputs(for target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        let folder = root.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            (name, Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    static func folders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted()
    }
}
