import Testing
@testable import RelayJSON

@Suite struct JSONSerializerTests {
    @Test(arguments: [
        (JSONValue.null, "null"),
        (.bool(true), "true"),
        (.bool(false), "false"),
        (.string("a"), #""a""#),
        (.array([]), "[]"),
        (.object([:]), "{}"),
        ([1, "two", nil, false] as JSONValue, #"[1,"two",null,false]"#),
    ] as [(JSONValue, String)])
    func serializesCompactly(value: JSONValue, expected: String) {
        #expect(value.serialized == expected)
        #expect(value.serializedBytes == Array(expected.utf8))
    }

    @Test func sortsObjectKeysAtEveryLevel() {
        let value: JSONValue = ["zeta": 1, "alpha": ["y": true, "b": nil], "Mid": [["d": 1, "c": 2]]]
        #expect(value.serialized == #"{"Mid":[{"c":2,"d":1}],"alpha":{"b":null,"y":true},"zeta":1}"#)
    }

    @Test(arguments: [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-42.0, "-42"),
        (1_700_000_000_000.0, "1700000000000"),
        (9_007_199_254_740_991.0, "9007199254740991"),
        (0.5, "0.5"),
        (-2.25, "-2.25"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (1e-7, "1e-07"),
    ])
    func formatsNumbers(number: Double, expected: String) throws {
        #expect(JSONValue.number(number).serialized == expected)
        // Whatever the form, it parses back to the same number.
        #expect(try JSONValue.parse(expected) == .number(number))
    }

    @Test func integersNeverPrintAFraction() {
        for n in [1, 10, 200, 65_536, 1_000_000_007, -3] {
            #expect(JSONValue(n).serialized == String(n))
            #expect(!JSONValue(n).serialized.contains("."))
        }
        #expect(JSONValue(Int64(1_700_000_000_123)).serialized == "1700000000123")
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSONValue.number(.nan).serialized == "null")
        #expect(JSONValue.number(.infinity).serialized == "null")
        #expect(JSONValue.number(-.infinity).serialized == "null")
    }

    @Test(arguments: [
        ("quote\"", #""quote\"""#),
        ("back\\slash", #""back\\slash""#),
        ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{0}\u{1}\u{1F}", #""\u0000\u0001\u001f""#),
        ("\u{08}\u{0C}", #""\u0008\u000c""#),
        ("line\u{2028}para\u{2029}", #""line\u2028para\u2029""#),
        ("slash/ok", #""slash/ok""#),
        ("é€😀", "\"é€😀\""),
        // Other characters whose UTF-8 starts like U+2028 (E2 80 …) or with E2 pass unescaped.
        ("…‰‹\u{2027}\u{202A}–", "\"…‰‹\u{2027}\u{202A}–\""),
        ("ends with €", "\"ends with €\""),
        ("\u{7F}", "\"\u{7F}\""),
    ])
    func escapesStrings(text: String, expected: String) throws {
        #expect(JSONValue.string(text).serialized == expected)
        #expect(try JSONValue.parse(expected) == .string(text))
    }

    @Test func escapesObjectKeys() {
        #expect((["a\"b\n": 1] as JSONValue).serialized == #"{"a\"b\n":1}"#)
    }

    @Test(arguments: [
        #"{"a":[1,2.5,-3,{"b":null}],"c":"\u00e9\ud83d\ude00\n","d":true,"e":{}}"#,
        #"[[[]],{},"",0,-0.25,1e+100]"#,
        #""\u0000 control \u001f""#,
    ])
    func parseSerializeParseRoundTrips(text: String) throws {
        let value = try JSONValue.parse(text)
        let once = value.serialized
        #expect(try JSONValue.parse(once) == value)
        // Serialization is a fixed point after one pass.
        #expect(try JSONValue.parse(once).serialized == once)
    }

    @Test func serializeParseRoundTripsAValueTree() throws {
        let value: JSONValue = [
            "user": ["name": "Zoë \"Z\" O'Neil", "tags": ["a", "b"], "age": 37, "score": 0.75],
            "history": ["messages": [["authorType": "user", "text": "hi\nthere 😀"], ["authorType": "bot", "text": "\u{2028}"]]],
            "flags": [true, false, nil],
            "empty": ["": ""],
        ]
        #expect(try JSONValue.parse(value.serialized) == value)
        #expect(try JSONValue.parse(bytes: value.serializedBytes) == value)
    }
}
