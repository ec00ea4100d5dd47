import Testing
import RelayJSON

@Suite struct JSONValueTests {
    @Test func subscriptReadsObjectMembersOnly() {
        let value: JSONValue = ["a": 1, "b": ["c": "d"]]
        #expect(value["a"] == 1)
        #expect(value["b"]?["c"] == "d")
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([1])["a"] == nil)
        #expect(JSONValue.string("x")["a"] == nil)
    }

    @Test func typedAccessors() {
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.number(1).stringValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
        #expect(JSONValue.string("true").boolValue == nil)
        #expect(JSONValue.number(2.5).doubleValue == 2.5)
        #expect(JSONValue.array([1]).arrayValue == [1])
        #expect(JSONValue.object(["a": nil]).objectValue == ["a": .null])
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.bool(false).isNull)
    }

    @Test(arguments: [
        (JSONValue.number(3), Int?.some(3)),
        (.number(-7), -7),
        (.number(0), 0),
        (.number(2.5), nil),
        (.number(9_007_199_254_740_991), 9_007_199_254_740_991),
        (.number(9_007_199_254_740_992), nil),  // beyond exact integers
        (.number(1e300), nil),
        (.string("3"), nil),
        (.bool(true), nil),
    ] as [(JSONValue, Int?)])
    func intValueOnlyForExactIntegers(value: JSONValue, expected: Int?) {
        #expect(value.intValue == expected)
        #expect(value.int64Value == expected.map(Int64.init))
    }

    @Test func typeNames() {
        let names = [JSONValue.null, true, 1, "s", [], [:]].map(\.typeName)
        #expect(names == ["null", "boolean", "number", "string", "array", "object"])
    }

    @Test func literalsAndInitializers() {
        let value: JSONValue = ["s": "x", "i": 1, "d": 1.5, "b": true, "a": [nil], "o": [:]]
        #expect(value == .object([
            "s": .string("x"), "i": .number(1), "d": .number(1.5), "b": .bool(true), "a": .array([.null]), "o": .object([:]),
        ]))
        #expect(JSONValue(5) == .number(5))
        #expect(JSONValue(Int64(1_700_000_000_000)) == .number(1_700_000_000_000))
        #expect(JSONValue(String?.none) == .null)
        #expect(JSONValue(String?.some("x")) == .string("x"))
        // Duplicate keys in a literal: the last one wins.
        #expect((["k": 1, "k": 2] as JSONValue) == ["k": 2])
    }
}
