import RelayCrypto
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct CopilotTokenTests {
    let secret = Array("copilot-secret".utf8)
    let sid = SessionID("s1")
    let now: Int64 = 1_700_000_000

    private func verify(_ token: String, sessionID: SessionID? = nil, role: String = "agent", now: Int64? = nil,
                        secret: [UInt8]? = nil) -> CopilotToken.VerifyError? {
        do {
            try CopilotToken.verify(token, sessionID: sessionID ?? sid, role: role, nowSeconds: now ?? self.now, secret: secret ?? self.secret)
            return nil
        } catch {
            return error
        }
    }

    @Test func signedTokenVerifies() {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret)
        #expect(verify(token) == nil)
        #expect(verify(token, now: now + 59) == nil)
    }

    @Test func tokenShape() throws {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret)
        let parts = token.split(separator: ".")
        #expect(parts.count == 2)
        let payload = try #require(Base64URL.decode(String(parts[0])))
        #expect(String(decoding: payload, as: UTF8.self) == #"{"exp":1700000060,"role":"agent","sid":"s1"}"#)
        let mac = try #require(Base64URL.decode(String(parts[1])))
        #expect(mac == Crypto.hmacSHA256(key: secret, message: Array(parts[0].utf8)))
        // URL-safe: no padding, no '+' or '/'.
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        // Deterministic.
        #expect(token == CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret))
    }

    @Test func wrongSecret() {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret)
        #expect(verify(token, secret: Array("other-secret".utf8)) == .badSignature)
        #expect(verify(token, secret: []) == .badSignature)
    }

    @Test func tamperedPayload() {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret)
        let mac = token.split(separator: ".")[1]
        // Re-encode a payload with a later expiry and keep the old MAC.
        let forged = Base64URL.encode((["exp": 9_999_999_999, "role": "agent", "sid": "s1"] as JSONValue).serializedBytes) + "." + mac
        #expect(verify(forged) == .badSignature)
        // Flip one character of the payload.
        var chars = Array(token)
        chars[3] = chars[3] == "A" ? "B" : "A"
        #expect(verify(String(chars)) == .badSignature)
    }

    @Test func tamperedSignature() {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret)
        var chars = Array(token)
        chars[chars.count - 2] = chars[chars.count - 2] == "A" ? "B" : "A"
        #expect(verify(String(chars)) == .badSignature)
        #expect(verify(String(token.dropLast(3))) == .badSignature)  // truncated MAC (30 whole bytes)
        #expect(verify(String(token.dropLast(4))) == .malformed)     // cut mid-byte: not canonical base64
    }

    @Test func expired() {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now, secret: secret)
        #expect(verify(token) == .expired)            // exactly at expiry
        #expect(verify(token, now: now + 3600) == .expired)
        #expect(verify(token, now: now - 1) == nil)
    }

    @Test func otherSession() {
        let token = CopilotToken.sign(sessionID: sid, role: "agent", expiresAt: now + 60, secret: secret)
        #expect(verify(token, sessionID: SessionID("s2")) == .wrongSession)
    }

    @Test func wrongRole() {
        let token = CopilotToken.sign(sessionID: sid, role: "viewer", expiresAt: now + 60, secret: secret)
        #expect(verify(token, role: "agent") == .wrongRole)
        #expect(verify(token, role: "viewer") == nil)
    }

    @Test(arguments: ["", "abc", "a.b.c", "..", "payload.not base64!", "payload.=="])
    func malformed(token: String) {
        #expect(verify(token) == .malformed)
    }

    @Test func validMACOverGarbagePayloadIsMalformed() {
        // Correctly signed, but the payload is not base64url JSON.
        for payload in ["not*base64", Base64URL.encode(Array("not json".utf8))] {
            let token = payload + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, message: Array(payload.utf8)))
            #expect(verify(token) == .malformed)
        }
    }

    @Test func signedPayloadWithoutExpiryIsExpired() {
        let payload = Base64URL.encode((["role": "agent", "sid": "s1"] as JSONValue).serializedBytes)
        let token = payload + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, message: Array(payload.utf8)))
        #expect(verify(token) == .expired)
    }
    // MARK: what the agent is told

    @Test(arguments: [
        (CopilotToken.VerifyError.malformed, "this copilot link is not valid"),
        (.badSignature, "this copilot link is not valid"),
        (.expired, "this copilot link has expired; open the conversation's link again"),
        (.wrongSession, "this copilot link is for another conversation"),
        (.wrongRole, "this token cannot open a copilot page"),
    ])
    func messages(error: CopilotToken.VerifyError, message: String) {
        #expect(error.message == message)
    }

    /// A forged link and a malformed one read the same: the agent learns nothing about why a forgery failed.
    @Test func forgedAndMalformedAreIndistinguishable() {
        #expect(CopilotToken.VerifyError.malformed.message == CopilotToken.VerifyError.badSignature.message)
    }

    @Test func messagesCarryNoSessionData() {
        // The messages are fixed texts: neither the session, the role, the expiry nor the token appear in them.
        let token = CopilotToken.sign(sessionID: SessionID("sess-4242"), role: "agent", expiresAt: now - 10, secret: secret)
        let errors = [
            verify(token, sessionID: SessionID("sess-4242")),                        // expired
            verify(CopilotToken.sign(sessionID: SessionID("sess-4242"), role: "agent", expiresAt: now + 60, secret: secret)),  // other session
            verify(token, secret: Array("other-secret".utf8)),                       // forged
        ]
        #expect(errors == [.expired, .wrongSession, .badSignature])
        for error in errors.compactMap({ $0 }) {
            for secretData in ["sess-4242", "s1", "agent", String(now - 10), token] {
                #expect(!error.message.contains(secretData), "\(error) message mentions \(secretData)")
            }
        }
    }
}
