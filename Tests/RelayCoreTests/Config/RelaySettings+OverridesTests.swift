import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsOverridesTests {
    @Test func shellOverrides() throws {
        let s = try RelaySettings.load(file: ["port": 1000, "webRoot": "a"], overrides: [
            "port": "9000", "bind": "0.0.0.0", "public-url": "https://r.example", "web-root": "b", "log-level": "warning",
            "bot-script": "s.json", "copilot-secret": "abcdefghijklmnop",
        ])
        #expect(s.port == 9000)
        #expect(s.bindAddress == "0.0.0.0")
        #expect(s.core.publicURL.description == "https://r.example/")
        #expect(s.webRoot == "b")
        #expect(s.logLevel == "warning")
        #expect(s.botScriptPath == "s.json")
        #expect(s.core.copilotSecret == Array("abcdefghijklmnop".utf8))
    }

    @Test func emptyOverridesKeepTheFileValue() throws {
        let s = try RelaySettings.load(file: ["bind": "10.0.0.1", "webRoot": "a"], overrides: ["bind": "", "web-root": "", "bot-script": ""])
        #expect(s.bindAddress == "10.0.0.1")
        #expect(s.webRoot == "a")
        #expect(s.botScriptPath == nil)
    }

    @Test func botURLMakesAnExternalBot() throws {
        let s = try RelaySettings.load(file: nil, overrides: ["bot-url": "http://bot:9000/turn"])
        #expect(s.core.bot == .external(ExternalBotSettings(url: HTTPURL("http://bot:9000/turn")!)))
    }

    @Test func singleProviderFromFlags() throws {
        let s = try RelaySettings.load(file: nil, overrides: [
            "8x8-base-url": "http://127.0.0.1:8080/sim", "8x8-api-key": "k", "8x8-tenant": "t",
            "8x8-channel-id": "c", "8x8-queue-id": "q", "8x8-properties": #"{"user":{"company":"X"}}"#,
        ])
        #expect(s.core.providers == ["default": GatewayProvider(name: "default", baseURL: HTTPURL("http://127.0.0.1:8080/sim")!, apiKey: "k", tenant: "t")])
        #expect(s.core.handovers == ["default": HandoverSettings(provider: "default", channelID: "c", queueID: "q", properties: ["user": ["company": "X"]])])
        #expect(!s.usesSimulator)
    }

    @Test func flagsRefineTheFileProvider() throws {
        let s = try RelaySettings.load(
            file: ["providers": ["default": ["apiKey": "file-key", "tenant": "acme", "timeoutMs": 3000]],
                   "handovers": ["default": ["channelId": "c", "queueId": "q", "properties": ["a": 1]]]],
            overrides: ["8x8-base-url": "https://eu.api.8x8.com", "8x8-queue-id": "q2"])
        #expect(s.core.providers["default"] == GatewayProvider(name: "default", baseURL: HTTPURL("https://eu.api.8x8.com")!, apiKey: "file-key",
                                                               tenant: "acme", timeoutMs: 3000))
        #expect(s.core.handovers["default"] == HandoverSettings(provider: "default", channelID: "c", queueID: "q2", properties: ["a": 1]))
    }

    @Test(arguments: [
        (["port": "eighty"], "port", "must be a port number 1–65535, got \"eighty\""),
        (["port": "70000"], "port", "must be a port number 1–65535, got \"70000\""),
        (["public-url": "localhost"], "public-url", "must be an http:// or https:// URL, got \"localhost\""),
        (["bot-url": "bot"], "bot-url", "must be an http:// or https:// URL, got \"bot\""),
        (["copilot-secret": "short"], "copilot-secret", "must be at least 16 characters"),
        (["8x8-base-url": "https://api.8x8.com"], "8x8-api-key",
         "is required when an 8x8 provider is configured (flag --8x8-api-key or RELAY_8X8_API_KEY)"),
        (["8x8-api-key": ""], "8x8-api-key", "is required when an 8x8 provider is configured (flag --8x8-api-key or RELAY_8X8_API_KEY)"),
        (["8x8-api-key": "k", "8x8-base-url": "api.8x8.com"], "8x8-base-url", "must be an http:// or https:// URL, got \"api.8x8.com\""),
        (["8x8-queue-id": "q"], "8x8-channel-id", "is required (the Chat API channel ID from 8x8 Admin Console → Channels)"),
        (["8x8-channel-id": "c"], "8x8-queue-id", "is required (the Queue ID shown next to the Chat API channel)"),
        (["8x8-channel-id": "c", "8x8-queue-id": "q", "8x8-properties": "[]"], "8x8-properties", "must be a JSON object"),
        (["8x8-api-key": "k"], "8x8-channel-id",
         "is required: an 8x8 provider is configured but no handover settings (set --8x8-channel-id and --8x8-queue-id, or handovers.default in the config file)"),
    ] as [([String: String], String, String)])
    func overrideErrors(overrides: [String: String], key: String, problem: String) {
        #expect(settingsError(nil, overrides) == ConfigError(key: key, problem: problem))
    }

    @Test func badPropertiesJSONSaysWhy() {
        let error = settingsError(nil, ["8x8-channel-id": "c", "8x8-queue-id": "q", "8x8-properties": "{oops"])
        #expect(error?.key == "8x8-properties")
        #expect(error?.problem.hasPrefix("is not valid JSON (invalid JSON at byte 1") == true)
    }
    // MARK: data dir, knowledge base, configured secret

    @Test func dataDirFlagWinsOverTheFile() throws {
        #expect(try RelaySettings.load(file: ["dataDir": "/file"], overrides: ["data-dir": "/flag"]).dataDir == "/flag")
        #expect(try RelaySettings.load(file: ["dataDir": "/file"], overrides: ["data-dir": ""]).dataDir == "/file")
        #expect(try RelaySettings.load(file: nil, overrides: ["data-dir": "state"]).dataDir == "state")
    }

    @Test func knowledgeBaseFlag() throws {
        #expect(try RelaySettings.load(file: nil, overrides: [:]).knowledgeBasePath == nil)
        #expect(try RelaySettings.load(file: nil, overrides: ["knowledge-base": "docs/examples/kb"]).knowledgeBasePath == "docs/examples/kb")
        #expect(try RelaySettings.load(file: nil, overrides: ["knowledge-base": ""]).knowledgeBasePath == nil)
    }

    @Test func hasConfiguredSecretOnlyWhenOneIsGiven() throws {
        #expect(try !RelaySettings.load(file: nil, overrides: [:]).hasConfiguredSecret)
        #expect(try !RelaySettings.load(file: ["dataDir": "d"], overrides: ["data-dir": "e"]).hasConfiguredSecret)
        #expect(try RelaySettings.load(file: nil, overrides: ["copilot-secret": "abcdefghijklmnop"]).hasConfiguredSecret)
        // A rejected secret stops start-up; it never counts as configured.
        #expect(settingsError(nil, ["copilot-secret": ""]) == ConfigError(key: "copilot-secret", problem: "must be at least 16 characters"))
    }

    @Test func newOverrideKeysAreListed() {
        for key in ["data-dir", "knowledge-base", "copilot-secret"] {
            #expect(RelaySettings.overrideKeys.contains(key))
        }
        #expect(RelaySettings.environmentName(for: "data-dir") == "RELAY_DATA_DIR")
        #expect(RelaySettings.environmentName(for: "knowledge-base") == "RELAY_KNOWLEDGE_BASE")
        #expect(RelaySettings.environmentName(for: "copilot-secret") == "RELAY_COPILOT_SECRET")
    }
}
