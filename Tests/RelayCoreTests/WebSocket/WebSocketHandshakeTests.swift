import Testing
@testable import RelayCore

struct WebSocketHandshakeTests {
    @Test func aVersion13UpgradeWithA16ByteKeyGoesAhead() {
        #expect(WebSocketHandshake.refusal(key: "dGhlIHNhbXBsZSBub25jZQ==", version: "13") == nil)
    }

    @Test(arguments: [nil, "8", "12", "14", "13 ", "", "13,8"])
    func anyOtherVersionIs426NamingVersion13(_ version: String?) throws {
        let refusal = try #require(WebSocketHandshake.refusal(key: "dGhlIHNhbXBsZSBub25jZQ==", version: version))
        #expect(refusal.status == 426)
        #expect(refusal.headers == ["Sec-WebSocket-Version": "13"])
    }

    @Test(arguments: [nil, "", "not base64!", "AAAAAAAAAAA=", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
                      "dGhlIHNhbXBsZSBub25jZ!==", "dGhlIHNhbXBsZSBub25jZQAA", "dGhlIHNhbXBsZSBub25jZXh4eHg="])
    func aMissingOrMalformedKeyIs400(_ key: String?) throws {
        let refusal = try #require(WebSocketHandshake.refusal(key: key, version: "13"))
        #expect(refusal.status == 400)
        #expect(refusal.reason.contains("Sec-WebSocket-Key"))
    }

    @Test func theVersionIsCheckedBeforeTheKey() {
        #expect(WebSocketHandshake.refusal(key: nil, version: "8")?.status == 426)
    }

    @Test func anAbsurdVersionIsNotEchoedInFull() throws {
        let refusal = try #require(WebSocketHandshake.refusal(key: nil, version: String(repeating: "9", count: 5000)))
        #expect(refusal.reason.count < 120)
    }
}
