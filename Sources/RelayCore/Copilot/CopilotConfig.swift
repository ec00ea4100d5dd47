import CopilotAnalyzers

/// What the copilot workspace shows and how it analyses: grid layout,
/// analyzer settings, the knowledge base and the next-best-action rules.
public struct CopilotConfig: Sendable {
    public var layout: CopilotLayout
    public var analyzers: CopilotAnalyzerSettings
    public var knowledgeBase: KnowledgeBase
    public var rules: NextBestActionRules

    public init(layout: CopilotLayout = .default, analyzers: CopilotAnalyzerSettings = CopilotAnalyzerSettings(),
                knowledgeBase: KnowledgeBase = KnowledgeBase(documents: []), rules: NextBestActionRules = .default) {
        self.layout = layout
        self.analyzers = analyzers
        self.knowledgeBase = knowledgeBase
        self.rules = rules
    }

    func makeWorkspace() -> CopilotWorkspace {
        CopilotWorkspace(settings: analyzers, knowledgeBase: knowledgeBase, rules: rules)
    }
}

extension CopilotConfig: Equatable {
    /// Configuration equality for settings comparisons: the knowledge base and
    /// rules are compared by size, not document by document.
    public static func == (a: CopilotConfig, b: CopilotConfig) -> Bool {
        a.layout == b.layout && a.analyzers.redaction == b.analyzers.redaction
            && a.analyzers.knowledgeResults == b.analyzers.knowledgeResults
            && a.analyzers.knowledgeQueryMessages == b.analyzers.knowledgeQueryMessages
            && a.knowledgeBase.count == b.knowledgeBase.count
    }
}
