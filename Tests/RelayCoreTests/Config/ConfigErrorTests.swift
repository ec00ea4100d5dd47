import RelayJSON
import Testing
@testable import RelayCore

@Suite struct ConfigErrorTests {
    let reader = ConfigReader(json: [
        "s": "text", "blank": "  ", "n": 5, "f": 2.5, "b": true, "list": ["a", "b"], "badList": ["a", 1],
        "o": ["k": "v"], "badMap": ["k": 1], "null": nil,
    ], path: "relay.")

    private func error(_ body: () throws -> Void) -> ConfigError? {
        do { try body(); return nil } catch { return error as? ConfigError }
    }

    @Test func descriptionNamesTheKey() {
        #expect(ConfigError(key: "relay.port", problem: "must be an integer, got string").description
                == "configuration error: 'relay.port' must be an integer, got string")
    }

    @Test func typedReads() throws {
        #expect(try reader.string("s") == "text")
        #expect(try reader.string("missing") == nil)
        #expect(try reader.string("null") == nil)
        #expect(try reader.nonEmptyString("s") == "text")
        #expect(try reader.int("n", in: 1...10) == 5)
        #expect(try reader.bool("b") == true)
        #expect(try reader.stringArray("list") == ["a", "b"])
        #expect(try reader.object("o") == ["k": "v"])
        #expect(try reader.stringMap("o") == ["k": "v"])
        #expect(try reader.int("missing", in: 0...1) == nil)
    }

    @Test func errorsCarryTheFullPath() {
        #expect(error { _ = try reader.string("n") } == ConfigError(key: "relay.n", problem: "must be a string, got number"))
        #expect(error { _ = try reader.nonEmptyString("blank") } == ConfigError(key: "relay.blank", problem: "must not be empty"))
        #expect(error { _ = try reader.int("f", in: 0...10) } == ConfigError(key: "relay.f", problem: "must be an integer, got number"))
        #expect(error { _ = try reader.int("n", in: 6...10) } == ConfigError(key: "relay.n", problem: "must be between 6 and 10, got 5"))
        #expect(error { _ = try reader.bool("s") } == ConfigError(key: "relay.s", problem: "must be true or false, got string"))
        #expect(error { _ = try reader.stringArray("s") } == ConfigError(key: "relay.s", problem: "must be an array of strings"))
        #expect(error { _ = try reader.stringArray("badList") } == ConfigError(key: "relay.badList[1]", problem: "must be a string, got number"))
        #expect(error { _ = try reader.object("list") } == ConfigError(key: "relay.list", problem: "must be an object, got array"))
        #expect(error { _ = try reader.stringMap("badMap") } == ConfigError(key: "relay.badMap.k", problem: "must be a string"))
    }

    @Test func unknownKeysAreRejectedAlphabetically() {
        let r = ConfigReader(json: ["zeta": 1, "alpha": 2, "known": 3], path: "x.")
        #expect(error { try r.reject(unknownKeysBesides: ["known"]) }
                == ConfigError(key: "x.alpha", problem: "is not a known setting (known: known)"))
        #expect(error { try r.reject(unknownKeysBesides: ["known", "alpha", "zeta"]) } == nil)
    }

    @Test func trimmingWhitespace() {
        #expect("  a b \n".trimmingWhitespace == "a b")
        #expect("   ".trimmingWhitespace.isEmpty)
    }
}
