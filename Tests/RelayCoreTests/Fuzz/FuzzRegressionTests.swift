import HTTPModel
import RelayCrypto
import RelayJSON
import Testing
@testable import RelayCore

/// What fuzzing found (docs/FUZZING.md), one test per finding, asserting the
/// intended behaviour. The inputs themselves are in Tests/fuzz/corpus/.
@Suite struct FuzzRegressionTests {
    /// token/non-canonical-base64.txt: Base64URL accepted any value in the unused low
    /// bits of the last character, so one signature had up to four spellings and a
    /// token could be altered without breaking its signature.
    @Test func aSignatureSpelledWithOtherUnusedBitsIsRefused() throws {
        let secret = Array("signing-secret-0123".utf8)
        let token = SignedToken.sign(["sid": "s1", "role": "agent", "exp": 4_102_444_800], secret: secret)
        // A 32-byte MAC is 43 characters: 258 bits, the last character's 2 low bits unused.
        var chars = Array(token.utf8)
        let last = chars.removeLast()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let value = try #require(alphabet.firstIndex(of: last))
        let respelled = String(decoding: chars + [alphabet[value ^ 1]], as: UTF8.self)

        #expect(throws: SignedToken.VerifyError.malformed) { try SignedToken.payload(of: respelled, secret: secret) }
        #expect(Base64URL.decode("AB") == nil)
        #expect(Base64URL.decode("AA") == [0])
    }
}

extension FuzzRegressionTests {
    /// url/host-with-colon-and-bracket.txt: a host with ':' or ']' outside brackets was
    /// accepted, and printed as an IPv6 literal that no longer parsed back.
    @Test(arguments: ["http://a]bh:ttp]:1///", "http://[[]", "http://a:b:80/", "http://a]b/", "http://[[::1]/", "https://x[y]/"])
    func aHostThatIsNeitherANameNorAnIPv6LiteralIsRefused(_ text: String) {
        #expect(HTTPURL(text) == nil)
    }

    @Test(arguments: ["http://[::1]:8080/sim", "https://api.8x8.com/x", "http://127.0.0.1:9/", "http://[fe80::1%25eth0]/"])
    func hostsThatAreNamesOrLiteralsStillParseAndRoundTrip(_ text: String) throws {
        let url = try #require(HTTPURL(text))
        #expect(HTTPURL(url.description) == url)
    }
}
