import RelayCore
import RelayJSON

/// The config file (`--config`): parsed as the launcher does, then
/// `RelaySettings.load` gives settings or a `ConfigError`. The same input read
/// as `key=value` lines is tried as flag/environment overrides.
enum ConfigFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        if let file = try? JSONValue.parse(bytes: input) {
            _ = try? RelaySettings.load(file: file, overrides: [:])
        }
        var overrides: [String: String] = [:]
        for line in input.lenientText.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            overrides[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        if !overrides.isEmpty { _ = try? RelaySettings.load(file: nil, overrides: overrides) }
    }
}

/// Rule bot scripts (`bot.script`): a script or a `ConfigError`; a parsed
/// script answers a few messages without trapping.
enum BotScriptFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        guard let json = try? JSONValue.parse(bytes: input), let script = try? RuleBotScript.parse(json) else { return }
        check.expect(script.faqs.allSatisfy { !$0.keywords.isEmpty }, "an FAQ without keywords was accepted")
        let bot = RuleBot(script: script)
        _ = bot.respond(to: .sessionStarted(UserInfo(name: "Ada {name}")))
        for text in ["agent", "where is my order?", ""] + script.faqs.prefix(8).flatMap(\.keywords) {
            check.expect(bot.respond(to: .userMessage(text)).replies.count == 1, "the bot did not answer exactly once")
        }
    }
}
