import Testing
@testable import RelayJSON

@Suite struct JSONScannerTests {
    private func end(_ text: String, from start: Int = 0) -> Int? { JSONScanner.valueEnd(Array(text.utf8), from: start) }

    @Test func findsTheEndOfEachKindOfValue() {
        #expect(end(#"{"a":1},x"#) == 7)
        #expect(end(#"[1,[2,3],{"b":[]}]tail"#) == 18)
        #expect(end(#""text"rest"#) == 6)
        #expect(end("123,") == 3)
        #expect(end("true}") == 4)
        #expect(end("null") == 4)
        #expect(end(#"{"a":"x"}"#, from: 5) == 8)
    }

    @Test func bracketsAndQuotesInsideStringsDoNotCount() {
        let value = #"{"t":"a } ] , \" { [ \\"}"#
        #expect(end(value + #","next":1"#) == value.utf8.count)
    }

    @Test func malformedInputGivesNil() {
        #expect(end(#"{"a":1"#) == nil)
        #expect(end(#""unterminated"#) == nil)
        #expect(end("}") == nil)
        #expect(end(",") == nil)
        #expect(end("") == nil)
    }

    @Test func agreesWithTheSerializerOnEveryValueOfADocument() throws {
        let document: JSONValue = ["event": ["text": "he said \"hi\" } ,", "n": 1.5, "list": [true, .null, ["x": []]]],
                                   "provider": "p", "queue": "q"]
        let bytes = document.serializedBytes
        let start = Array(#"{"event":"#.utf8).count
        let stop = try #require(JSONScanner.valueEnd(bytes, from: start))
        #expect(try JSONValue.parse(bytes: Array(bytes[start..<stop])) == document["event"])
    }
}
