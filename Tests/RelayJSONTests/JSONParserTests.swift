import Testing
@testable import RelayJSON

@Suite struct JSONParserTests {
    // MARK: values

    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .number(0)),
        ("-0", .number(-0.0)),
        ("42", .number(42)),
        ("-17", .number(-17)),
        ("3.25", .number(3.25)),
        ("1e3", .number(1000)),
        ("1E+2", .number(100)),
        ("25e-1", .number(2.5)),
        ("-1.5e2", .number(-150)),
        ("\"\"", .string("")),
        ("\"hi\"", .string("hi")),
        ("[]", .array([])),
        ("{}", .object([:])),
        (" \t\r\n[ 1 , \"a\" , null ] \n", .array([1, "a", nil])),
    ] as [(String, JSONValue)])
    func parsesScalarsAndContainers(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
        #expect(try JSONValue.parse(bytes: Array(text.utf8)) == expected)
    }

    @Test func parsesNestedDocument() throws {
        let text = #"{"a":{"b":[1,{"c":true}],"d":null},"e":"x","f":-2.5}"#
        let expected: JSONValue = ["a": ["b": [1, ["c": true]], "d": nil], "e": "x", "f": -2.5]
        #expect(try JSONValue.parse(text) == expected)
    }

    @Test func laterDuplicateKeyWins() throws {
        #expect(try JSONValue.parse(#"{"a":1,"a":2}"#) == ["a": 2])
    }

    // MARK: strings and escapes

    @Test(arguments: [
        (#""\"""#, "\""),
        (#""\\""#, "\\"),
        (#""\/""#, "/"),
        (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
        (#""\u0041\u00e9\u20AC""#, "Aé€"),
        (#""a\u0000b""#, "a\u{0}b"),
        (#""x\ny""#, "x\ny"),
        ("\"héllo wörld ✓\"", "héllo wörld ✓"),
    ])
    func decodesEscapes(text: String, expected: String) throws {
        #expect(try JSONValue.parse(text) == .string(expected))
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSONValue.parse(#""\ud834\udd1e""#) == .string("𝄞"))
        #expect(try JSONValue.parse(#""a\uD83D\uDE00b""#) == .string("a😀b"))
        // Raw (unescaped) astral characters pass through as UTF-8.
        #expect(try JSONValue.parse("\"😀\"") == .string("😀"))
    }

    @Test(arguments: [
        #""\uD83D""#,          // high surrogate at the end
        #""\uD83Dx""#,         // high surrogate followed by a character
        #""\uD83D\n""#,        // high surrogate followed by another escape
        #""\uD83D\u0041""#,    // high surrogate followed by a non-surrogate
        #""\uD83D\uD83D""#,    // two high surrogates
        #""\uDE00""#,          // lone low surrogate
    ])
    func rejectsUnpairedSurrogates(text: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error?.reason == "unpaired surrogate")
    }

    // MARK: errors, one class at a time

    @Test(arguments: [
        ("", "unexpected end of input"),
        ("   ", "unexpected end of input"),
        ("[", "unexpected end of input"),
        ("[1", "unexpected end of input"),
        ("[1,", "unexpected end of input"),
        ("{", "expected a member name"),
        (#"{"a""#, "expected ':'"),
        (#"{"a":"#, "unexpected end of input"),
        (#"{"a":1"#, "unexpected end of input"),
        ("tru", "unexpected end of input"),
        ("nul", "unexpected end of input"),
        (#""abc"#, "unterminated string"),
        (#""abc\"#, "unterminated escape"),
        (#""\u12"#, "truncated \\u escape"),
    ])
    func rejectsTruncatedInput(text: String, reason: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error?.reason == reason)
    }

    @Test(arguments: [
        (#""\x""#, "invalid escape"),
        (#""\a""#, "invalid escape"),
        (#""\'""#, "invalid escape"),
        (#""\U0041""#, "invalid escape"),
        (#""\u12G4""#, "invalid hex digit"),
        (#""\u 041""#, "invalid hex digit"),
    ])
    func rejectsBadEscapes(text: String, reason: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error?.reason == reason)
    }

    @Test(arguments: [UInt8(0x00), 0x01, 0x09, 0x0A, 0x0D, 0x1F])
    func rejectsRawControlCharactersInStrings(byte: UInt8) {
        let bytes: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "a"), byte, UInt8(ascii: "\"")]
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: bytes) }
        #expect(error == JSONParseError(offset: 2, reason: "control character in string"))
    }

    @Test(arguments: [
        [0xFF] as [UInt8],              // never valid in UTF-8
        [0xC0, 0xAF],                   // overlong "/"
        [0xE2, 0x82],                   // truncated 3-byte sequence
        [0x80],                         // lone continuation byte
        [0xED, 0xA0, 0x80],             // UTF-8-encoded surrogate
        [0xF4, 0x90, 0x80, 0x80],       // above U+10FFFF
    ])
    func rejectsInvalidUTF8InStrings(bad: [UInt8]) {
        let bytes = Array(#"{"k":"ok"#.utf8) + bad + Array(#""}"#.utf8)
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: bytes) }
        #expect(error?.reason == "invalid UTF-8 in string")
        #expect(error?.offset == 6)  // the start of the run holding the bad bytes
    }

    @Test func rejectsInvalidUTF8AfterAnEscape() {
        let bytes = Array(#""a\nb"#.utf8) + [0xFF] + [UInt8(ascii: "\"")]
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: bytes) }
        #expect(error?.reason == "invalid UTF-8 in string")
    }

    @Test func invalidUTF8OutsideStringsIsAnUnexpectedCharacter() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: [0xFF]) }
        #expect(error == JSONParseError(offset: 0, reason: "unexpected character"))
    }

    @Test func depthLimitIs64() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(tooDeep) }
        #expect(error?.reason == "nesting deeper than 64")
        #expect(error?.offset == 64)

        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(objects) }
        // Hostile input far beyond the limit fails cleanly instead of exhausting the stack.
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "[", count: 100_000)) }
    }

    @Test func depthIsCountedPerPathNotPerDocument() throws {
        // 100 sibling arrays of depth 2 are fine: depth is released on the way out.
        let text = "[" + Array(repeating: "[[]]", count: 100).joined(separator: ",") + "]"
        #expect(try JSONValue.parse(text).arrayValue?.count == 100)
    }

    @Test(arguments: [
        ("{} x", 3),
        ("1 2", 2),
        ("[]]", 2),
        (#""a""b""#, 3),
        ("nullx", 4),
        ("01", 1),
        ("true false", 5),
    ])
    func rejectsTrailingData(text: String, offset: Int) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error == JSONParseError(offset: offset, reason: "unexpected data after the document"))
    }

    @Test(arguments: ["-", "1.", "1.e3", "-a", "1e", "1e+", "2E-"])
    func rejectsMalformedNumbers(text: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error?.reason == "invalid number")
    }

    @Test(arguments: ["+1", ".5", "NaN", "Infinity", "'a'", "undefined", "}"])
    func rejectsNonJSONTokens(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsNumbersOutOfRange() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse("[1, 1e400]") }
        #expect(error == JSONParseError(offset: 4, reason: "number out of range"))
    }

    @Test(arguments: [
        ("[1 2]", "expected ',' or ']'"),
        ("[1,]", "unexpected character"),
        (#"{"a":1 "b":2}"#, "expected ',' or '}'"),
        (#"{"a":1,}"#, "expected a member name"),
        ("{a:1}", "expected a member name"),
        (#"{"a" 1}"#, "expected ':'"),
        ("trux", "invalid literal"),
        ("fals3", "invalid literal"),
    ])
    func rejectsStructuralErrors(text: String, reason: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error?.reason == reason)
    }

    @Test func errorDescriptionNamesTheOffset() {
        let error = JSONParseError(offset: 7, reason: "invalid escape")
        #expect(error.description == "invalid JSON at byte 7: invalid escape")
    }
}
