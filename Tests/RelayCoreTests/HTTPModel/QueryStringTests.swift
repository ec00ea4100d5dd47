import HTTPModel
import Testing

@Suite struct QueryStringTests {
    @Test func parse() {
        #expect(QueryString.parse("a=1&b=x%20y&c=p+q&flag&&=e&d=") == ["a": "1", "b": "x y", "c": "p q", "flag": "", "": "e", "d": ""])
        #expect(QueryString.parse("a=1&a=2") == ["a": "2"])
        #expect(QueryString.parse("k=a=b") == ["k": "a=b"])
        #expect(QueryString.parse("") == [:])
    }

    @Test(arguments: [
        ("%C3%A9t%c3%a9", "été"),
        ("100%25", "100%"),
        ("a%2Fb", "a/b"),
        ("plain", "plain"),
    ])
    func percentDecode(text: String, decoded: String) {
        #expect(QueryString.percentDecode(text[...]) == decoded)
    }

    @Test(arguments: [
        ("100%", "100%"),
        ("%", "%"),
        ("%4", "%4"),
        ("%zz", "%zz"),
        ("a%zzb", "a%zzb"),
        ("%G1%41", "%G1A"),
    ])
    func malformedEscapesAreKeptLiterally(text: String, decoded: String) {
        #expect(QueryString.percentDecode(text[...]) == decoded)
    }

    @Test(arguments: [
        ("abc-._~XYZ019", "abc-._~XYZ019"),
        ("a b", "a%20b"),
        ("a/b?c=d&e", "a%2Fb%3Fc%3Dd%26e"),
        ("é", "%C3%A9"),
        ("+", "%2B"),
        ("\n", "%0A"),
    ])
    func percentEncode(text: String, encoded: String) {
        #expect(QueryString.percentEncode(text) == encoded)
        #expect(QueryString.percentDecode(encoded[...]) == text)
    }
}
