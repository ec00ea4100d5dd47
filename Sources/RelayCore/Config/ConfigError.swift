import RelayJSON

/// An invalid configuration value: which key, and what is wrong with it.
/// Start-up stops with exactly this message.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "configuration error: '\(key)' \(problem)" }
}

/// Typed reads from a JSON config object, naming the full key path on error.
struct ConfigReader {
    let json: JSONValue
    let path: String

    func key(_ name: String) -> String { path + name }

    func string(_ name: String) throws(ConfigError) -> String? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let s = value.stringValue else { throw ConfigError(key: key(name), problem: "must be a string, got \(value.typeName)") }
        return s
    }

    func nonEmptyString(_ name: String) throws(ConfigError) -> String? {
        guard let s = try string(name) else { return nil }
        guard !s.trimmingWhitespace.isEmpty else { throw ConfigError(key: key(name), problem: "must not be empty") }
        return s
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let n = value.intValue else { throw ConfigError(key: key(name), problem: "must be an integer, got \(value.typeName)") }
        guard range.contains(n) else { throw ConfigError(key: key(name), problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(n)") }
        return n
    }

    func bool(_ name: String) throws(ConfigError) -> Bool? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let b = value.boolValue else { throw ConfigError(key: key(name), problem: "must be true or false, got \(value.typeName)") }
        return b
    }

    func stringArray(_ name: String) throws(ConfigError) -> [String]? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let list = value.arrayValue else { throw ConfigError(key: key(name), problem: "must be an array of strings") }
        return try list.enumerated().map { (i, item) throws(ConfigError) in
            guard let s = item.stringValue else { throw ConfigError(key: "\(key(name))[\(i)]", problem: "must be a string, got \(item.typeName)") }
            return s
        }
    }

    func object(_ name: String) throws(ConfigError) -> [String: JSONValue]? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let o = value.objectValue else { throw ConfigError(key: key(name), problem: "must be an object, got \(value.typeName)") }
        return o
    }

    func stringMap(_ name: String) throws(ConfigError) -> [String: String]? {
        guard let o = try object(name) else { return nil }
        var result: [String: String] = [:]
        for (k, v) in o {
            guard let s = v.stringValue else { throw ConfigError(key: "\(key(name)).\(k)", problem: "must be a string") }
            result[k] = s
        }
        return result
    }

    func reject(unknownKeysBesides known: Set<String>) throws(ConfigError) {
        guard let o = json.objectValue else { return }
        if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(key: key(unknown), problem: "is not a known setting (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

extension String {
    var trimmingWhitespace: Substring {
        var s = self[...]
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
