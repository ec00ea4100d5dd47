import CopilotAnalyzers
import Foundation
import RelayCore
import RelayJSON

/// Reads the copilot's knowledge base (a folder of Markdown files) and its
/// next-best-action rules file at start-up.
enum CopilotResources {
    /// The demo knowledge base shipped with the repository, used when none is configured.
    static let demoKnowledgeBase = "docs/examples/kb"

    static func load(into settings: inout RelaySettings) throws {
        let folder = settings.knowledgeBasePath ?? demoKnowledgeBase
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".md") }.sorted()
            let documents = try names.map { name -> KnowledgeDocument in
                let path = (folder as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else { throw StartupError("cannot read '\(path)'") }
                return KnowledgeBase.document(path: name, markdown: String(decoding: data, as: UTF8.self))
            }
            settings.core.copilot.knowledgeBase = KnowledgeBase(documents: documents)
        } else if settings.knowledgeBasePath != nil {
            throw StartupError("configuration error: 'copilot.knowledgeBase' folder '\(folder)' does not exist")
        }
        if let rulesPath = settings.copilotRulesPath {
            guard let data = FileManager.default.contents(atPath: rulesPath), let json = try? JSONValue.parse(bytes: Array(data)) else {
                throw StartupError("configuration error: 'copilot.rules' cannot read '\(rulesPath)' as JSON")
            }
            do {
                settings.core.copilot.rules = try NextBestActionRules.parse(json)
            } catch {
                throw StartupError("configuration error: 'copilot.rules' (\(rulesPath)): \(error)")
            }
        }
    }
}
