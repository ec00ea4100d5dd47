import CopilotAnalyzers
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsCopilotTests {
    @Test func defaults() throws {
        let s = try loadSettings(nil)
        #expect(s.core.copilot == CopilotConfig())
        #expect(s.core.copilotTokenTTLSeconds == 8 * 3600)
        #expect(!s.hasConfiguredSecret)
        #expect(s.knowledgeBasePath == nil)
        #expect(s.copilotRulesPath == nil)
        #expect(try loadSettings(["copilot": [:]]) == s)
    }

    @Test func everyKey() throws {
        let s = try loadSettings(["copilot": [
            "tokenSecret": "0123456789abcdef", "tokenTtlSeconds": 3600,
            "knowledgeBase": "kb/", "rules": "copilot-rules.json",
            "redact": ["cardNumbers": false, "emails": true, "phones": true],
            "knowledgeResults": 5, "knowledgeQueryMessages": 2,
            "layout": ["columns": 24, "rowHeight": 90, "tiles": ["crm": ["x": 0, "y": 8, "w": 12, "h": 2]]],
        ]])
        #expect(s.core.copilotSecret == Array("0123456789abcdef".utf8))
        #expect(s.hasConfiguredSecret)
        #expect(s.core.copilotTokenTTLSeconds == 3600)
        #expect(s.knowledgeBasePath == "kb/")
        #expect(s.copilotRulesPath == "copilot-rules.json")
        #expect(s.core.copilot.analyzers.redaction == RedactionOptions(cardNumbers: false, emails: true, phones: true))
        #expect(s.core.copilot.analyzers.knowledgeResults == 5)
        #expect(s.core.copilot.analyzers.knowledgeQueryMessages == 2)
        #expect(s.core.copilot.layout.columns == 24)
        #expect(s.core.copilot.layout.rowHeight == 90)
        #expect(s.core.copilot.layout.tiles["crm"] == TilePosition(x: 0, y: 8, w: 12, h: 2))
        #expect(s.core.copilot.layout.tiles["identity"] == CopilotLayout.default.tiles["identity"])
    }

    @Test func theDocumentedExampleLoads() throws {
        // docs/CONFIG.md's copilot section.
        let s = try loadSettings(["copilot": [
            "tokenSecret": "a-long-enough-secret", "tokenTtlSeconds": 28800,
            "knowledgeBase": "kb/", "rules": "copilot-rules.json",
            "redact": ["cardNumbers": true, "emails": false, "phones": false],
            "knowledgeResults": 3, "knowledgeQueryMessages": 3,
            "layout": ["columns": 12, "rowHeight": 110, "tiles": ["summary": ["x": 4, "y": 0, "w": 4, "h": 3]]],
        ]])
        #expect(s.core.copilot.analyzers.redaction == RedactionOptions())
        #expect(s.core.copilot.layout.tiles["summary"] == TilePosition(x: 4, y: 0, w: 4, h: 3))
        #expect(s.hasConfiguredSecret)
    }

    @Test func redactKeepsWhatIsNotMentioned() throws {
        let s = try loadSettings(["copilot": ["redact": ["emails": true]]])
        #expect(s.core.copilot.analyzers.redaction == RedactionOptions(cardNumbers: true, emails: true, phones: false))
        #expect(try loadSettings(["copilot": ["redact": [:]]]).core.copilot.analyzers.redaction == RedactionOptions())
    }

    @Test func nullValuesMeanDefaults() throws {
        let s = try loadSettings(["copilot": [
            "tokenSecret": nil, "tokenTtlSeconds": nil, "layout": nil, "knowledgeBase": nil, "rules": nil, "redact": nil,
            "knowledgeResults": nil, "knowledgeQueryMessages": nil,
        ]])
        #expect(s == (try loadSettings(nil)))
        #expect(!s.hasConfiguredSecret)
    }

    @Test(arguments: [
        (0, 1), (20, 50),
    ])
    func knowledgeBounds(results: Int, queryMessages: Int) throws {
        let s = try loadSettings(["copilot": ["knowledgeResults": JSONValue(results), "knowledgeQueryMessages": JSONValue(queryMessages)]])
        #expect(s.core.copilot.analyzers.knowledgeResults == results)
        #expect(s.core.copilot.analyzers.knowledgeQueryMessages == queryMessages)
    }

    @Test(arguments: [60, 30 * 86_400])
    func tokenTTLBounds(seconds: Int) throws {
        #expect(try loadSettings(["copilot": ["tokenTtlSeconds": JSONValue(seconds)]]).core.copilotTokenTTLSeconds == seconds)
    }

    @Test(arguments: [
        (JSONValue.object(["theme": "dark"]), "copilot.theme",
         "is not a known setting (known: knowledgeBase, knowledgeQueryMessages, knowledgeResults, layout, redact, rules, tokenSecret, tokenTtlSeconds)"),
        (["tokenSecret": 1234567890123456], "copilot.tokenSecret", "must be a string, got number"),
        (["tokenSecret": "fifteen-chars!!"], "copilot.tokenSecret", "must be at least 16 characters"),
        (["tokenTtlSeconds": 59], "copilot.tokenTtlSeconds", "must be between 60 and 2592000, got 59"),
        (["tokenTtlSeconds": 2_592_001], "copilot.tokenTtlSeconds", "must be between 60 and 2592000, got 2592001"),
        (["tokenTtlSeconds": "8h"], "copilot.tokenTtlSeconds", "must be an integer, got string"),
        (["knowledgeBase": ""], "copilot.knowledgeBase", "must not be empty"),
        (["knowledgeBase": "  "], "copilot.knowledgeBase", "must not be empty"),
        (["knowledgeBase": ["kb/"]], "copilot.knowledgeBase", "must be a string, got array"),
        (["rules": ""], "copilot.rules", "must not be empty"),
        (["rules": true], "copilot.rules", "must be a string, got boolean"),
        (["knowledgeResults": -1], "copilot.knowledgeResults", "must be between 0 and 20, got -1"),
        (["knowledgeResults": 21], "copilot.knowledgeResults", "must be between 0 and 20, got 21"),
        (["knowledgeQueryMessages": 0], "copilot.knowledgeQueryMessages", "must be between 1 and 50, got 0"),
        (["knowledgeQueryMessages": 51], "copilot.knowledgeQueryMessages", "must be between 1 and 50, got 51"),
        (["redact": true], "copilot.redact", "must be an object, got boolean"),
        (["redact": ["cards": true]], "copilot.redact.cards", "is not a known setting (known: cardNumbers, emails, phones)"),
        (["redact": ["cardNumbers": "yes"]], "copilot.redact.cardNumbers", "must be true or false, got string"),
        (["redact": ["emails": 1]], "copilot.redact.emails", "must be true or false, got number"),
        (["redact": ["phones": []]], "copilot.redact.phones", "must be true or false, got array"),
        (["layout": "wide"], "copilot.layout", "must be an object, got string"),
        (["layout": ["columns": 100]], "copilot.layout.columns", "must be between 1 and 48, got 100"),
        (["layout": ["gap": 4]], "copilot.layout.gap", "is not a known setting (known: columns, rowHeight, tiles)"),
        (["layout": ["tiles": ["crm": ["x": 10, "y": 0, "w": 4, "h": 1]]]], "copilot.layout.tiles.crm", "x + w must not exceed 12 columns"),
        (["layout": ["tiles": ["crm": ["x": 0, "y": 0, "w": 4, "h": 0]]]], "copilot.layout.tiles.crm.h", "must be between 1 and 100, got 0"),
    ] as [(JSONValue, String, String)])
    func errorsNameTheKey(copilot: JSONValue, key: String, problem: String) {
        #expect(settingsError(["copilot": copilot]) == ConfigError(key: key, problem: problem))
    }

    @Test func errorsPrintWithTheirKey() {
        #expect(settingsError(["copilot": ["knowledgeResults": 99]])?.description
                == "configuration error: 'copilot.knowledgeResults' must be between 0 and 20, got 99")
    }

    // MARK: with the other sources

    @Test func secretFromTheFileOrTheFlag() throws {
        #expect(try loadSettings(nil, ["copilot-secret": "abcdefghijklmnop"]).hasConfiguredSecret)
        let both = try loadSettings(["copilot": ["tokenSecret": "from-the-file-1234"]], ["copilot-secret": "from-the-flag-1234"])
        #expect(both.core.copilotSecret == Array("from-the-flag-1234".utf8))  // flags win
        #expect(both.hasConfiguredSecret)
    }

    @Test func knowledgeBaseFlagWinsOverTheFile() throws {
        #expect(try loadSettings(["copilot": ["knowledgeBase": "file-kb"]], ["knowledge-base": "flag-kb"]).knowledgeBasePath == "flag-kb")
        #expect(try loadSettings(["copilot": ["knowledgeBase": "file-kb"]], ["knowledge-base": ""]).knowledgeBasePath == "file-kb")
        #expect(try loadSettings(nil, ["knowledge-base": "kb"]).knowledgeBasePath == "kb")
    }
}
