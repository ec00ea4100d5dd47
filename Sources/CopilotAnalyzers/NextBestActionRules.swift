import RelayJSON

/// A rules file that cannot be used: where (`rules[2].when.sentimentBelow`) and what is wrong.
public struct RulesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON path of the offending value; empty for the document itself.
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        path.isEmpty ? "rules error: \(problem)" : "rules error: '\(path)' \(problem)"
    }
}

/// Who said it: the sender a rule's keywords are looked for in.
public enum RuleSender: String, Sendable, Equatable, CaseIterable {
    case user, agent, bot, system, any
}

/// A keyword or phrase, matched case-insensitively on whole words after
/// light stemming ("refunds" matches "refund"; "money back" matches "my money back").
public struct RulePhrase: Sendable, Equatable {
    public let text: String
    let words: [String]

    init?(_ text: String) {
        let words = Text.words(text).map { Text.stem($0.text) }
        guard !words.isEmpty else { return nil }
        self.text = text
        self.words = words
    }

    /// Whether the phrase occurs in a message given as stemmed words.
    func occurs(in message: [String]) -> Bool {
        let first = words[0]
        let last = message.count - words.count
        guard last >= 0 else { return false }
        var i = 0
        outer: while i <= last {
            if message[i] == first {
                for k in 1..<words.count where message[i + k] != words[k] {
                    i += 1
                    continue outer
                }
                return true
            }
            i += 1
        }
        return false
    }

    func occurs(in messages: [[String]]) -> Bool {
        messages.contains { occurs(in: $0) }
    }
}

/// A named group of phrases ("refund": "refund", "money back", …) that rules refer to by name.
public struct RuleIntent: Sendable, Equatable {
    public var name: String
    public var keywords: [RulePhrase]
}

public struct NextBestActionRule: Sendable, Equatable {
    /// All present conditions must hold.
    public struct Conditions: Sendable, Equatable {
        /// At least one of these occurs in the window.
        public var anyKeywords: [RulePhrase] = []
        /// Every one of these occurs in the window (not necessarily in the same message).
        public var allKeywords: [RulePhrase] = []
        /// One of this intent's phrases occurs in the window.
        public var intent: String?
        /// The user's current sentiment is below this (strictly).
        public var sentimentBelow: Double?
        /// The user's current sentiment is above this (strictly).
        public var sentimentAbove: Double?
        /// Whose recent messages the keywords and intent are looked for in (default: the user's).
        public var from: RuleSender = .user
    }

    public struct Action: Sendable, Equatable {
        public var title: String
        /// A hint for the agent (policy, where to click).
        public var detail: String?
        /// A reply the agent can send as is or edit.
        public var template: String?
    }

    public var id: String
    public var when: Conditions
    public var action: Action
    /// Higher first; rules with equal priority keep their order in the file.
    public var priority: Double
}

/// An action the copilot suggests now, and why.
public struct SuggestedAction: Sendable, Equatable {
    public var id: String
    public var title: String
    public var detail: String?
    public var template: String?
    /// Which conditions fired: "sentiment -0.62 below -0.4; matched 'refund'".
    public var reason: String

    var json: JSONValue {
        var object: [String: JSONValue] = ["id": .string(id), "title": .string(title), "reason": .string(reason)]
        if let detail { object["detail"] = .string(detail) }
        if let template { object["template"] = .string(template) }
        return .object(object)
    }
}

/// What the rules look at: the recent messages of each sender (as stemmed
/// words, oldest first) and the user's current sentiment (nil until the user
/// has said anything with sentiment in it).
struct RuleInput {
    var recent: [RuleSender: [[String]]]
    var sentiment: Double?

    func messages(from sender: RuleSender) -> [[String]] { recent[sender] ?? [] }
}

/// Next-best-action rules: keyword, intent and sentiment conditions mapped to
/// suggestions for the agent. Loaded from JSON (see docs/examples/copilot-rules.json):
///
///     {"intents": [{"name": "refund", "keywords": ["refund", "money back"]}],
///      "rules": [{"id": "refund", "when": {"intent": "refund", "sentimentBelow": 0.5, "from": "user"},
///                 "action": {"title": "…", "detail": "…", "template": "…"}, "priority": 70}]}
public struct NextBestActionRules: Sendable, Equatable {
    public var intents: [RuleIntent]
    public var rules: [NextBestActionRule]

    public init(intents: [RuleIntent] = [], rules: [NextBestActionRule] = []) {
        self.intents = intents
        self.rules = rules
    }

    /// The rules shipped with the relay (the same as docs/examples/copilot-rules.json).
    public static let `default`: NextBestActionRules = {
        do {
            return try parse(text: defaultRulesJSON)
        } catch {
            preconditionFailure("the built-in copilot rules are invalid: \(error)")
        }
    }()

    /// Parses a rules file's text.
    public static func parse(text: String) throws(RulesError) -> NextBestActionRules {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw RulesError(path: "", problem: "is not valid JSON: \(error)")
        }
        return try parse(json)
    }

    /// Parses a rules document; every error names the offending path.
    public static func parse(_ json: JSONValue) throws(RulesError) -> NextBestActionRules {
        let root = try RulesReader.object(json, at: "")
        try RulesReader.rejectUnknown(root, known: ["intents", "rules", "description"], at: "")
        if let description = root["description"], description.stringValue == nil {
            throw RulesError(path: "description", problem: "must be a string, got \(description.typeName)")
        }

        var intents: [RuleIntent] = []
        if let list = root["intents"], !list.isNull {
            guard let items = list.arrayValue else { throw RulesError(path: "intents", problem: "must be an array, got \(list.typeName)") }
            for (i, item) in items.enumerated() {
                let path = "intents[\(i)]"
                let object = try RulesReader.object(item, at: path)
                try RulesReader.rejectUnknown(object, known: ["name", "keywords"], at: path)
                let name = try RulesReader.requiredString(object, "name", at: path)
                if intents.contains(where: { $0.name == name }) {
                    throw RulesError(path: path + ".name", problem: "repeats the intent '\(name)'")
                }
                guard let keywords = try RulesReader.phrases(object, "keywords", at: path) else {
                    throw RulesError(path: path + ".keywords", problem: "is required")
                }
                intents.append(RuleIntent(name: name, keywords: keywords))
            }
        }

        guard let list = root["rules"] else { throw RulesError(path: "rules", problem: "is required") }
        guard let items = list.arrayValue else { throw RulesError(path: "rules", problem: "must be an array, got \(list.typeName)") }
        var rules: [NextBestActionRule] = []
        for (i, item) in items.enumerated() {
            let path = "rules[\(i)]"
            let object = try RulesReader.object(item, at: path)
            try RulesReader.rejectUnknown(object, known: ["id", "when", "action", "priority", "description"], at: path)
            let id = try RulesReader.requiredString(object, "id", at: path)
            if rules.contains(where: { $0.id == id }) { throw RulesError(path: path + ".id", problem: "repeats the rule id '\(id)'") }

            guard let whenValue = object["when"] else { throw RulesError(path: path + ".when", problem: "is required") }
            let whenPath = path + ".when"
            let when = try RulesReader.object(whenValue, at: whenPath)
            try RulesReader.rejectUnknown(when, known: ["anyKeywords", "allKeywords", "intent", "sentimentBelow", "sentimentAbove", "from"], at: whenPath)
            var conditions = NextBestActionRule.Conditions()
            conditions.anyKeywords = try RulesReader.phrases(when, "anyKeywords", at: whenPath) ?? []
            conditions.allKeywords = try RulesReader.phrases(when, "allKeywords", at: whenPath) ?? []
            if let intent = try RulesReader.string(when, "intent", at: whenPath) {
                guard intents.contains(where: { $0.name == intent }) else {
                    let known = intents.map(\.name)
                    throw RulesError(path: whenPath + ".intent", problem: "names no intent in 'intents' (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
                }
                conditions.intent = intent
            }
            conditions.sentimentBelow = try RulesReader.sentiment(when, "sentimentBelow", at: whenPath)
            conditions.sentimentAbove = try RulesReader.sentiment(when, "sentimentAbove", at: whenPath)
            if let below = conditions.sentimentBelow, let above = conditions.sentimentAbove, above >= below {
                throw RulesError(path: whenPath + ".sentimentAbove", problem: "must be less than sentimentBelow (\(below)), or the rule never fires")
            }
            if let from = try RulesReader.string(when, "from", at: whenPath) {
                guard let sender = RuleSender(rawValue: from) else {
                    throw RulesError(path: whenPath + ".from", problem: "must be one of \(RuleSender.allCases.map(\.rawValue).joined(separator: ", ")), got '\(from)'")
                }
                conditions.from = sender
            }
            if conditions.anyKeywords.isEmpty, conditions.allKeywords.isEmpty, conditions.intent == nil,
               conditions.sentimentBelow == nil, conditions.sentimentAbove == nil {
                throw RulesError(path: whenPath, problem: "needs at least one of anyKeywords, allKeywords, intent, sentimentBelow, sentimentAbove")
            }

            guard let actionValue = object["action"] else { throw RulesError(path: path + ".action", problem: "is required") }
            let actionPath = path + ".action"
            let actionObject = try RulesReader.object(actionValue, at: actionPath)
            try RulesReader.rejectUnknown(actionObject, known: ["title", "detail", "template"], at: actionPath)
            let action = NextBestActionRule.Action(
                title: try RulesReader.requiredString(actionObject, "title", at: actionPath),
                detail: try RulesReader.string(actionObject, "detail", at: actionPath),
                template: try RulesReader.string(actionObject, "template", at: actionPath))

            var priority = 0.0
            if let value = object["priority"], !value.isNull {
                guard let p = value.doubleValue else {
                    throw RulesError(path: path + ".priority", problem: "must be a number, got \(value.typeName)")
                }
                priority = p
            }
            rules.append(NextBestActionRule(id: id, when: conditions, action: action, priority: priority))
        }
        return NextBestActionRules(intents: intents, rules: rules)
    }

    // MARK: evaluation

    /// The actions whose conditions hold, highest priority first, at most `limit`.
    func evaluate(_ input: RuleInput, limit: Int) -> [SuggestedAction] {
        var fired: [(rule: Int, reason: String)] = []
        for (index, rule) in rules.enumerated() {
            if let reason = reason(rule, input) { fired.append((index, reason)) }
        }
        fired.sort { a, b in
            let pa = rules[a.rule].priority, pb = rules[b.rule].priority
            return pa != pb ? pa > pb : a.rule < b.rule
        }
        return fired.prefix(max(0, limit)).map { rule, reason in
            let r = rules[rule]
            return SuggestedAction(id: r.id, title: r.action.title, detail: r.action.detail, template: r.action.template, reason: reason)
        }
    }

    /// Why the rule fires now, or nil when it does not.
    func reason(_ rule: NextBestActionRule, _ input: RuleInput) -> String? {
        let when = rule.when
        var reasons: [String] = []
        if let below = when.sentimentBelow {
            guard let s = input.sentiment, s < below else { return nil }
            reasons.append("sentiment \(Self.format(s)) below \(Self.format(below))")
        }
        if let above = when.sentimentAbove {
            guard let s = input.sentiment, s > above else { return nil }
            reasons.append("sentiment \(Self.format(s)) above \(Self.format(above))")
        }
        let messages = input.messages(from: when.from)
        if let name = when.intent {
            guard let intent = intents.first(where: { $0.name == name }),
                  let phrase = intent.keywords.first(where: { $0.occurs(in: messages) }) else { return nil }
            reasons.append("intent '\(name)' (matched '\(phrase.text)')")
        }
        if !when.anyKeywords.isEmpty {
            guard let phrase = when.anyKeywords.first(where: { $0.occurs(in: messages) }) else { return nil }
            reasons.append("matched '\(phrase.text)'")
        }
        if !when.allKeywords.isEmpty {
            guard when.allKeywords.allSatisfy({ $0.occurs(in: messages) }) else { return nil }
            reasons.append("matched " + Self.list(when.allKeywords.map { "'\($0.text)'" }))
        }
        if when.from != .user, !reasons.isEmpty, when.intent != nil || !when.anyKeywords.isEmpty || !when.allKeywords.isEmpty {
            reasons[reasons.count - 1] += when.from == .any ? " in the conversation" : " from the \(when.from.rawValue)"
        }
        return reasons.joined(separator: "; ")
    }

    static func format(_ x: Double) -> String {
        let r = Text.rounded(x)
        return r == r.rounded() ? String(Int(r)) : "\(r)"
    }

    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}

/// Typed reads from the rules JSON, naming the path on error.
enum RulesReader {
    static func object(_ value: JSONValue, at path: String) throws(RulesError) -> [String: JSONValue] {
        guard let object = value.objectValue else { throw RulesError(path: path, problem: "must be an object, got \(value.typeName)") }
        return object
    }

    static func rejectUnknown(_ object: [String: JSONValue], known: Set<String>, at path: String) throws(RulesError) {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw RulesError(path: join(path, unknown), problem: "is not a known key (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    static func string(_ object: [String: JSONValue], _ key: String, at path: String) throws(RulesError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let s = value.stringValue else { throw RulesError(path: join(path, key), problem: "must be a string, got \(value.typeName)") }
        guard !Text.trimmed(s).isEmpty else { throw RulesError(path: join(path, key), problem: "must not be empty") }
        return s
    }

    static func requiredString(_ object: [String: JSONValue], _ key: String, at path: String) throws(RulesError) -> String {
        guard let s = try string(object, key, at: path) else { throw RulesError(path: join(path, key), problem: "is required") }
        return s
    }

    static func sentiment(_ object: [String: JSONValue], _ key: String, at path: String) throws(RulesError) -> Double? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let x = value.doubleValue, (-1...1).contains(x) else {
            throw RulesError(path: join(path, key), problem: "must be a number between -1 and 1, got \(value.number)")
        }
        return x
    }

    static func phrases(_ object: [String: JSONValue], _ key: String, at path: String) throws(RulesError) -> [RulePhrase]? {
        guard let value = object[key], !value.isNull else { return nil }
        let listPath = join(path, key)
        guard let items = value.arrayValue, !items.isEmpty else {
            throw RulesError(path: listPath, problem: "must be a non-empty array of strings, got \(value.typeName)")
        }
        var result: [RulePhrase] = []
        for (i, item) in items.enumerated() {
            guard let text = item.stringValue else { throw RulesError(path: "\(listPath)[\(i)]", problem: "must be a string, got \(item.typeName)") }
            guard let phrase = RulePhrase(text) else { throw RulesError(path: "\(listPath)[\(i)]", problem: "has no words to match") }
            result.append(phrase)
        }
        return result
    }
}

private extension JSONValue {
    /// "a string", "0.5", "true": the value as shown in an error.
    var number: String {
        switch self {
        case .number(let n): "\(n)"
        case .string(let s): "string \"\(s)\""
        default: typeName
        }
    }
}
