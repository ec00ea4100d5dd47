import CopilotAnalyzers
import RelayJSON

extension RelaySettings {
    /// The `copilot` section: link tokens, layout, analyzers, knowledge base and rules files.
    mutating func applyCopilot(_ json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "copilot.")
        try r.reject(unknownKeysBesides: [
            "tokenSecret", "tokenTtlSeconds", "layout", "knowledgeBase", "rules", "redact", "knowledgeResults",
            "knowledgeQueryMessages",
        ])
        if let secret = try r.string("tokenSecret") {
            core.copilotSecret = try Self.secret(secret, key: "copilot.tokenSecret")
            hasConfiguredSecret = true
        }
        core.copilotTokenTTLSeconds = try r.int("tokenTtlSeconds", in: 60...(30 * 86_400)) ?? core.copilotTokenTTLSeconds
        // A layout of the wrong type is an error, not silently the default.
        if let layout = try r.object("layout") {
            core.copilot.layout = try CopilotLayout.parse(.object(layout), path: "copilot.layout.")
        }
        knowledgeBasePath = try r.nonEmptyString("knowledgeBase") ?? knowledgeBasePath
        copilotRulesPath = try r.nonEmptyString("rules") ?? copilotRulesPath
        core.copilot.analyzers.knowledgeResults = try r.int("knowledgeResults", in: 0...20) ?? core.copilot.analyzers.knowledgeResults
        core.copilot.analyzers.knowledgeQueryMessages = try r.int("knowledgeQueryMessages", in: 1...50)
            ?? core.copilot.analyzers.knowledgeQueryMessages
        if let redact = try r.object("redact").map(JSONValue.object) {
            let rr = ConfigReader(json: redact, path: "copilot.redact.")
            try rr.reject(unknownKeysBesides: ["cardNumbers", "emails", "phones"])
            var options = core.copilot.analyzers.redaction
            options.cardNumbers = try rr.bool("cardNumbers") ?? options.cardNumbers
            options.emails = try rr.bool("emails") ?? options.emails
            options.phones = try rr.bool("phones") ?? options.phones
            core.copilot.analyzers.redaction = options
        }
    }
}
