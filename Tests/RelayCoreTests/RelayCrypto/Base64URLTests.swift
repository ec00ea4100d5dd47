import RelayCrypto
import Testing

@Suite struct Base64URLTests {
    /// RFC 4648 §10 test vectors, without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: [
        ([0xFB, 0xFF] as [UInt8], "-_8"),        // "+/8=" in standard base64
        ([0xFB, 0xFF, 0xBF], "-_-_"),            // "+/+/"
        ([0x00], "AA"),
        ([0xFF, 0xFF, 0xFF], "____"),
        ([0x00, 0x10, 0x83, 0x10, 0x51, 0x87], "ABCDEFGH"),
    ])
    func urlSafeAlphabet(bytes: [UInt8], encoded: String) {
        #expect(Base64URL.encode(bytes) == encoded)
        #expect(Base64URL.decode(encoded) == bytes)
    }

    @Test func roundTripsEveryByteAndLength() {
        let all = (0...255).map(UInt8.init)
        for length in 0...all.count {
            let bytes = Array(all.prefix(length))
            let encoded = Base64URL.encode(bytes)
            #expect(encoded.utf8.count == (length * 4 + 2) / 3)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test(arguments: ["Zg==", "Zm8=", "+/8", "Zm 9v", "Zm9v\n", "é", "Z", "Zm9vY"])
    func rejectsPaddingStandardAlphabetAndDanglingCharacters(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
