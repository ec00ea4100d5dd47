import Foundation  // tests only: reading the demo files from the repository
@testable import CopilotAnalyzers

/// Files of the repository, found relative to this source file.
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CopilotAnalyzersTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The demo knowledge base (docs/examples/kb/*.md), in file-name order.
    static func demoDocuments() throws -> [KnowledgeDocument] {
        let directory = root.appendingPathComponent("docs/examples/kb")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".md") }.sorted()
        return try names.map { name in
            KnowledgeBase.document(path: "docs/examples/kb/\(name)", markdown: try text("docs/examples/kb/\(name)"))
        }
    }

    static let demoKnowledgeBase: KnowledgeBase = {
        // swiftlint:disable:next force_try
        try! KnowledgeBase(documents: demoDocuments())
    }()
}

func message(_ seq: Int, _ from: String, _ text: String) -> CopilotMessage {
    CopilotMessage(seq: seq, from: from, text: text, ts: 1_700_000_000_000 + Int64(seq) * 1000)
}
