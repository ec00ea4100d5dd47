import CopilotAnalyzers
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct CopilotConfigTests {
    let kb = KnowledgeBase(documents: [
        KnowledgeBase.document(path: "kb/returns.md", markdown: "# Returns and refunds\nYou can return any item within 30 days for a refund."),
        KnowledgeBase.document(path: "kb/delivery.md", markdown: "# Delivery times\nParcels arrive in two to four working days."),
    ])

    @Test func defaults() {
        let config = CopilotConfig()
        #expect(config.layout == .default)
        #expect(config.knowledgeBase.count == 0)
        #expect(config.analyzers.knowledgeResults == 3)
        #expect(config.analyzers.knowledgeQueryMessages == 3)
        #expect(config.analyzers.redaction == RedactionOptions(cardNumbers: true, emails: false, phones: false))
        #expect(config.rules == .default)
        #expect(RelayCoreConfig().copilot == config)
    }

    @Test func equalityComparesSettingsAndKnowledgeBaseSize() {
        let base = CopilotConfig()
        #expect(base == CopilotConfig())

        var layout = base
        layout.layout.rowHeight = 90
        #expect(layout != base)

        var redaction = base
        redaction.analyzers.redaction.emails = true
        #expect(redaction != base)

        var results = base
        results.analyzers.knowledgeResults = 5
        #expect(results != base)

        var query = base
        query.analyzers.knowledgeQueryMessages = 1
        #expect(query != base)

        var withKB = base
        withKB.knowledgeBase = kb
        #expect(withKB != base)

        // Documented: knowledge bases of the same size compare equal, document contents are not compared.
        var otherKB = base
        otherKB.knowledgeBase = KnowledgeBase(documents: [
            KnowledgeBase.document(path: "a.md", markdown: "# A\nalpha"), KnowledgeBase.document(path: "b.md", markdown: "# B\nbeta"),
        ])
        #expect(otherKB == withKB)
    }

    @Test func workspaceUsesTheConfiguredSettingsAndKnowledgeBase() throws {
        var config = CopilotConfig(knowledgeBase: kb)
        config.analyzers.knowledgeResults = 1
        config.analyzers.redaction = .all
        var workspace = config.makeWorkspace()
        #expect(workspace.knowledgeBase.count == 2)
        #expect(workspace.settings.knowledgeResults == 1)
        #expect(workspace.settings.redaction == .all)
        #expect(workspace.redact("mail me at ada@example.com") == "mail me at [email]")

        workspace.append(CopilotMessage(seq: 1, from: "user", text: "How do I return this jacket and get a refund?", ts: 1))
        let suggestions = try #require(workspace.knowledgeTile()["suggestions"]?.arrayValue)
        #expect(suggestions.count == 1)
        #expect(suggestions.first?["id"] == "returns")
        #expect(suggestions.first?["source"] == "kb/returns.md")
    }

    @Test func workspaceProducesTheFourAnalyzerTiles() {
        let workspace = CopilotConfig(knowledgeBase: kb).makeWorkspace()
        #expect(Set(workspace.tileData().keys) == ["sentiment", "knowledge", "next-best-action", "summary"])
    }
}
