import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsTests {
    @Test func defaultsAreSimulatorMode() throws {
        let s = try loadSettings(nil)
        #expect(s.port == 8080)
        #expect(s.bindAddress == nil)
        #expect(s.webRoot == "web")
        #expect(s.limits.maxMessageBytes == 65_536)
        #expect(s.logLevel == "info")
        #expect(s.botScriptPath == nil)
        #expect(s.usesSimulator)
        #expect(s.core == RelayCoreConfig())
    }

    @Test func fullFile() throws {
        let s = try loadSettings([
            "port": 9090, "bind": "127.0.0.1", "publicUrl": "https://relay.example.com", "webRoot": "/srv/web", "logLevel": "debug",
            "maxMessageBytes": 2048,
            "providers": ["eu": ["baseUrl": "https://api.8x8.com/eu", "apiKey": "key-1", "tenant": "acme", "timeoutMs": 5000]],
            "handovers": ["vip": ["provider": "eu", "channelId": "ch", "queueId": "q", "properties": ["user": ["company": "ACME"]]]],
            "defaultHandover": "vip",
            "bot": ["type": "external", "url": "http://bot.local/turn", "headers": ["authorization": "Bearer x"], "timeoutMs": 2000],
            "retry": ["maxAttempts": 3, "baseDelayMs": 100, "maxDelayMs": 1000],
            "copilot": ["tokenSecret": "0123456789abcdef", "tokenTtlSeconds": 600],
            "limits": ["maxTextLength": 500],
        ])
        #expect(s.port == 9090)
        #expect(s.bindAddress == "127.0.0.1")
        #expect(s.webRoot == "/srv/web")
        #expect(s.logLevel == "debug")
        #expect(s.limits.maxMessageBytes == 2048)
        #expect(!s.usesSimulator)
        #expect(s.core.publicURL.description == "https://relay.example.com/")
        #expect(s.core.providers == ["eu": GatewayProvider(name: "eu", baseURL: HTTPURL("https://api.8x8.com/eu")!, apiKey: "key-1",
                                                           tenant: "acme", timeoutMs: 5000)])
        #expect(s.core.handovers == ["vip": HandoverSettings(provider: "eu", channelID: "ch", queueID: "q", properties: ["user": ["company": "ACME"]])])
        #expect(s.core.defaultHandover == "vip")
        #expect(s.core.bot == .external(ExternalBotSettings(url: HTTPURL("http://bot.local/turn")!, headers: ["authorization": "Bearer x"], timeoutMs: 2000)))
        #expect(s.core.retry == RetryPolicy(maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000))
        #expect(s.core.copilotSecret == Array("0123456789abcdef".utf8))
        #expect(s.core.copilotTokenTTLSeconds == 600)
        #expect(s.core.limits.maxTextLength == 500)
    }

    @Test func providerAndHandoverDefaults() throws {
        let s = try loadSettings(["providers": ["default": ["apiKey": "k"]], "handovers": ["default": ["channelId": "c", "queueId": "q"]]])
        #expect(s.core.providers["default"] == GatewayProvider(name: "default", baseURL: HTTPURL("https://api.8x8.com")!, apiKey: "k"))
        #expect(s.core.handovers["default"] == HandoverSettings(provider: "default", channelID: "c", queueID: "q"))
    }

    @Test func rulesBotWithScript() throws {
        let s = try loadSettings(["bot": ["type": "rules", "script": "bot.json"]])
        #expect(s.botScriptPath == "bot.json")
        #expect(s.core.bot == .rules(.default))
        #expect(try loadSettings(["bot": ["script": "b.json"]]).botScriptPath == "b.json")
    }

    @Test(arguments: [
        (JSONValue.array([]), "(file)", "must be a JSON object"),
        (["prot": 1], "prot", "is not a known setting (known: allowedOrigins, bind, bot, copilot, dataDir, defaultHandover, handovers, limits, logFormat, logLevel, maxMessageBytes, metrics, port, providers, publicUrl, retry, shutdownGraceSeconds, store, stream, tls, webRoot)"),
        (["port": 0], "port", "must be between 1 and 65535, got 0"),
        (["port": "80"], "port", "must be an integer, got string"),
        (["bind": " "], "bind", "must not be empty"),
        (["publicUrl": "relay.example.com"], "publicUrl", "must be an http:// or https:// URL, got \"relay.example.com\""),
        (["maxMessageBytes": 10], "maxMessageBytes", "must be between 1024 and 16777216, got 10"),
        (["logLevel": "loud"], "logLevel", "must be one of trace, debug, info, notice, warning, error, critical, got \"loud\""),
        (["providers": ["p": ["baseUrl": "https://x"]]], "providers.p.apiKey", "is required"),
        (["providers": ["p": ["apiKey": "k", "baseUrl": "ftp://x"]]], "providers.p.baseUrl", "must be an http:// or https:// URL, got \"ftp://x\""),
        (["providers": ["p": ["apiKey": "k", "region": "eu"]]], "providers.p.region", "is not a known setting (known: apiKey, baseUrl, tenant, timeoutMs, webhookMaxAgeSeconds, webhookSignatures)"),
        (["providers": ["p": ["apiKey": "k", "timeoutMs": 5]]], "providers.p.timeoutMs", "must be between 100 and 120000, got 5"),
        (["handovers": ["h": ["queueId": "q"]]], "handovers.h.channelId", "is required"),
        (["handovers": ["h": ["channelId": "c"]]], "handovers.h.queueId", "is required"),
        (["handovers": ["h": ["channelId": "c", "queueId": "q", "properties": []]]], "handovers.h.properties", "must be a JSON object"),
        (["bot": ["type": "llm"]], "bot.type", "must be \"rules\" or \"external\", got \"llm\""),
        (["bot": ["type": "external"]], "bot.url", "is required when bot.type is \"external\""),
        (["bot": ["type": "external", "url": "http://b", "headers": ["x": 1]]], "bot.headers.x", "must be a string"),
        (["retry": ["maxAttempts": 0]], "retry.maxAttempts", "must be between 1 and 100, got 0"),
        (["retry": ["jitter": true]], "retry.jitter", "is not a known setting (known: baseDelayMs, circuitBreakerFailures, circuitBreakerMinFailureMs, circuitBreakerOpenSeconds, maxAttempts, maxDelayMs)"),
        (["copilot": ["tokenSecret": "short"]], "copilot.tokenSecret", "must be at least 16 characters"),
        (["copilot": ["tokenTtlSeconds": 10]], "copilot.tokenTtlSeconds", "must be between 60 and 2592000, got 10"),
        (["limits": ["maxTextLength": 0]], "limits.maxTextLength", "must be between 1 and 100000, got 0"),
        (["limits": ["maxIdLength": 5]], "limits.maxIdLength", "is not a known setting (known: idleTimeoutSeconds, maxConnectionsPerAddress, maxMessageBytes, maxQueuedBytesPerConnection, maxRequestBodyBytes, maxSessions, maxTextLength, messageBurst, messagesPerSecond, pingAfterSeconds)"),
    ] as [(JSONValue, String, String)])
    func fileErrorsNameTheKey(file: JSONValue, key: String, problem: String) {
        #expect(settingsError(file) == ConfigError(key: key, problem: problem))
    }

    /// A section of the wrong type is an error, not silently the defaults.
    @Test(arguments: [
        (JSONValue.object(["bot": "external"]), "bot", "must be an object, got string"),
        (["retry": 5], "retry", "must be an object, got number"),
        (["copilot": ["secret"]], "copilot", "must be an object, got array"),
        (["limits": true], "limits", "must be an object, got boolean"),
        (["providers": "default"], "providers", "must be an object, got string"),
    ] as [(JSONValue, String, String)])
    func sectionsMustBeObjects(file: JSONValue, key: String, problem: String) {
        #expect(settingsError(file) == ConfigError(key: key, problem: problem))
    }

    @Test func nullSectionsMeanDefaults() throws {
        #expect(try loadSettings(["bot": nil, "retry": nil, "copilot": nil, "limits": nil]) == loadSettings(nil))
    }

    @Test func publicURLDefaultsToLocalhostAtThePort() throws {
        #expect(try loadSettings(["port": 9000]).core.publicURL.description == "http://localhost:9000/")
        #expect(try RelaySettings.load(file: nil, overrides: ["port": "9001"]).core.publicURL.description == "http://localhost:9001/")
        #expect(try loadSettings(["port": 9000, "publicUrl": "https://relay.example.com"]).core.publicURL.description == "https://relay.example.com/")
    }

    @Test func providersNeedTheDefaultHandover() {
        #expect(settingsError(["providers": ["default": ["apiKey": "k"]]])?.key == "8x8-channel-id")
        #expect(settingsError(["providers": ["default": ["apiKey": "k"]], "handovers": ["other": ["channelId": "c", "queueId": "q"]]])?.key
                == "defaultHandover")
        #expect(settingsError(["providers": ["default": ["apiKey": "k"]], "handovers": ["default": ["channelId": "c", "queueId": "q", "provider": "nope"]]])
                == ConfigError(key: "handovers.default.provider", problem: "names \"nope\", which is not under providers"))
    }

    @Test func environmentNames() {
        #expect(RelaySettings.environmentName(for: "8x8-base-url") == "RELAY_8X8_BASE_URL")
        #expect(RelaySettings.environmentName(for: "port") == "RELAY_PORT")
        #expect(RelaySettings.overrideKeys.count == Set(RelaySettings.overrideKeys).count)
    }
    // MARK: dataDir

    @Test func dataDir() throws {
        #expect(try loadSettings(nil).dataDir == ".data")
        #expect(try loadSettings(["dataDir": "/var/lib/handover-relay"]).dataDir == "/var/lib/handover-relay")
        #expect(try loadSettings(["dataDir": nil]).dataDir == ".data")
    }

    @Test(arguments: [
        (JSONValue.object(["dataDir": ""]), "dataDir", "must not be empty"),
        (["dataDir": " "], "dataDir", "must not be empty"),
        (["dataDir": 5], "dataDir", "must be a string, got number"),
    ] as [(JSONValue, String, String)])
    func dataDirErrors(file: JSONValue, key: String, problem: String) {
        #expect(settingsError(file) == ConfigError(key: key, problem: problem))
    }
}
