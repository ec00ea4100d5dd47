/// Every parser of outside input, as a fuzz target: a name (the corpus folder
/// `Tests/fuzz/corpus/<name>/` and the libFuzzer executable `fuzz-<name>`) and a
/// function from arbitrary bytes to the properties the input broke.
///
/// A target returns normally for any input — a parsed value or a typed error
/// are both fine — and lists a ``FuzzFinding`` when a property that must hold
/// for every input does not (a round trip that changes the value, a limit not
/// enforced). A crash or hang is a finding too: the replay test and libFuzzer
/// see it as the process dying or timing out. Shared by the corpus-replay unit
/// tests and the libFuzzer harnesses (fuzz/), so both check the same things.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case json
    case chatFrame = "chat-frame"
    case copilotFrame = "copilot-frame"
    case copilotTiles = "copilot-tiles"
    case streamFrame = "stream-frame"
    case webhook
    case query
    case url
    case token
    case config
    case botScript = "bot-script"

    public func run(_ input: [UInt8]) -> [FuzzFinding] {
        var check = FuzzCheck()
        switch self {
        case .json: JSONFuzz.run(input, &check)
        case .chatFrame: ChatFrameFuzz.run(input, &check)
        case .copilotFrame: CopilotFrameFuzz.run(input, &check)
        case .copilotTiles: TilesFuzz.run(input, &check)
        case .streamFrame: StreamFrameFuzz.run(input, &check)
        case .webhook: WebhookFuzz.run(input, &check)
        case .query: QueryFuzz.run(input, &check)
        case .url: URLFuzz.run(input, &check)
        case .token: TokenFuzz.run(input, &check)
        case .config: ConfigFuzz.run(input, &check)
        case .botScript: BotScriptFuzz.run(input, &check)
        }
        return check.findings
    }
}

/// A property an input broke.
public struct FuzzFinding: Equatable, Sendable, CustomStringConvertible {
    public let property: String
    public var description: String { property }
}

/// Collects broken properties while a target runs.
struct FuzzCheck {
    private(set) var findings: [FuzzFinding] = []

    mutating func expect(_ holds: @autoclosure () -> Bool, _ property: @autoclosure () -> String) {
        if !holds() { findings.append(FuzzFinding(property: property())) }
    }
}

extension Array where Element == UInt8 {
    /// The input as text the way the relay receives it: lws has validated
    /// WebSocket text as UTF-8, HTTP layers decode leniently. Invalid bytes
    /// become U+FFFD, as `String(decoding:)` does everywhere in the shell.
    var lenientText: String { String(decoding: self, as: UTF8.self) }
}
