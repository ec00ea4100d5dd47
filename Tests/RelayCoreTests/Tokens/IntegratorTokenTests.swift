import RelayCrypto
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct IntegratorTokenTests {
    let secret = Array("integrator-secret-0123".utf8)
    let now: Int64 = 1_700_000_000
    var crm: IntegratorToken { IntegratorToken(subject: "crm", scopes: [IntegratorToken.tilesScope], expiresAt: now + 3600) }

    private func verifyError(_ token: String, now: Int64? = nil, secret: [UInt8]? = nil) -> IntegratorToken.VerifyError? {
        do { _ = try IntegratorToken.verify(token, nowSeconds: now ?? self.now, secret: secret ?? self.secret); return nil } catch { return error }
    }

    /// Signs any payload with the relay's token format.
    private func signed(_ payload: JSONValue) -> String { SignedToken.sign(payload, secret: secret) }

    @Test func tilesScope() {
        #expect(IntegratorToken.tilesScope == "copilot:tiles")
    }

    @Test func roundTripForEverySession() throws {
        let token = crm.sign(secret: secret)
        let verified = try IntegratorToken.verify(token, nowSeconds: now, secret: secret)
        #expect(verified == crm)
        #expect(verified.sessions == nil)
    }

    @Test func roundTripForListedSessions() throws {
        let limited = IntegratorToken(subject: "crm", scopes: ["copilot:tiles", "events:read"], sessions: ["s1", "s2"], expiresAt: now + 60)
        #expect(try IntegratorToken.verify(limited.sign(secret: secret), nowSeconds: now, secret: secret) == limited)
    }

    @Test func payloadShape() throws {
        let token = IntegratorToken(subject: "crm", scopes: ["copilot:tiles"], sessions: ["s1"], expiresAt: 1_700_003_600).sign(secret: secret)
        #expect(try SignedToken.payload(of: token, secret: secret).serialized
                == #"{"exp":1700003600,"scopes":["copilot:tiles"],"sessions":["s1"],"sub":"crm","typ":"integrator"}"#)
        // Without a session list, no "sessions" key.
        #expect(try SignedToken.payload(of: crm.sign(secret: secret), secret: secret)["sessions"] == nil)
    }

    @Test func wrongSecretIsInvalid() {
        #expect(verifyError(crm.sign(secret: secret), secret: Array("another-secret-xyz".utf8)) == .invalid)
    }

    @Test func tamperedTokenIsInvalid() {
        let token = crm.sign(secret: secret)
        let mac = token.split(separator: ".")[1]
        let widened = IntegratorToken(subject: "crm", scopes: ["copilot:tiles", "admin"], expiresAt: now + 3600)
        let forged = String(widened.sign(secret: secret).split(separator: ".")[0]) + "." + mac
        #expect(verifyError(forged) == .invalid)
        var chars = Array(token)
        chars[5] = chars[5] == "A" ? "B" : "A"
        #expect(verifyError(String(chars)) == .invalid)
    }

    @Test(arguments: ["", "garbage", "a.b", "a.b.c"])
    func malformedIsInvalid(token: String) {
        #expect(verifyError(token) == .invalid)
    }

    @Test func expiry() {
        let token = crm.sign(secret: secret)
        #expect(verifyError(token, now: now + 3599) == nil)
        #expect(verifyError(token, now: now + 3600) == .expired)  // exactly at expiry
        #expect(verifyError(token, now: now + 86_400) == .expired)
    }

    @Test func aForgedExpiredTokenIsInvalidNotExpired() {
        let token = IntegratorToken(subject: "crm", scopes: ["copilot:tiles"], expiresAt: now - 1).sign(secret: Array("another-secret-xyz".utf8))
        #expect(verifyError(token) == .invalid)
    }

    // MARK: type confusion

    @Test func aCopilotLinkTokenIsNotAnIntegratorToken() {
        let link = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: now + 3600, secret: secret)
        #expect(verifyError(link) == .invalid)
    }

    @Test func anIntegratorTokenIsNotACopilotLinkToken() {
        let token = IntegratorToken(subject: "s1", scopes: ["copilot:tiles"], sessions: ["s1"], expiresAt: now + 3600).sign(secret: secret)
        #expect(throws: CopilotToken.VerifyError.self) {
            try CopilotToken.verify(token, sessionID: SessionID("s1"), role: "agent", nowSeconds: now, secret: secret)
        }
    }

    @Test(arguments: [
        JSONValue.object(["sub": "crm", "scopes": ["copilot:tiles"], "exp": 1_700_003_600]),                       // no typ
        ["typ": "copilot", "sub": "crm", "scopes": ["copilot:tiles"], "exp": 1_700_003_600],                      // other typ
        ["typ": "integrator", "scopes": ["copilot:tiles"], "exp": 1_700_003_600],                                 // no sub
        ["typ": "integrator", "sub": 7, "scopes": ["copilot:tiles"], "exp": 1_700_003_600],                       // sub not a string
        ["typ": "integrator", "sub": "crm", "exp": 1_700_003_600],                                                 // no scopes
        ["typ": "integrator", "sub": "crm", "scopes": "copilot:tiles", "exp": 1_700_003_600],                     // scopes not a list
        ["typ": "integrator", "sub": "crm", "scopes": ["copilot:tiles"]],                                          // no exp
        ["typ": "integrator", "sub": "crm", "scopes": ["copilot:tiles"], "exp": "1700003600"],                    // exp not a number
        ["sid": "s1", "role": "agent", "exp": 1_700_003_600],                                                      // a copilot link's payload
    ])
    func signedPayloadsThatAreNotIntegratorTokensAreInvalid(payload: JSONValue) {
        #expect(verifyError(signed(payload)) == .invalid)
    }

    // MARK: allows

    @Test func allowsEverySessionWithoutAList() {
        #expect(crm.allows("copilot:tiles", session: SessionID("s1")))
        #expect(crm.allows("copilot:tiles", session: SessionID("any-other")))
    }

    @Test func allowsOnlyListedSessions() {
        let limited = IntegratorToken(subject: "crm", scopes: ["copilot:tiles"], sessions: ["s1", "s2"], expiresAt: now + 60)
        #expect(limited.allows("copilot:tiles", session: SessionID("s1")))
        #expect(limited.allows("copilot:tiles", session: SessionID("s2")))
        #expect(!limited.allows("copilot:tiles", session: SessionID("s3")))
        #expect(!limited.allows("copilot:tiles", session: SessionID("S1")))
    }

    @Test func anEmptySessionListAllowsNothing() {
        let none = IntegratorToken(subject: "crm", scopes: ["copilot:tiles"], sessions: [], expiresAt: now + 60)
        #expect(!none.allows("copilot:tiles", session: SessionID("s1")))
    }

    @Test(arguments: [[String](), ["events:read"], ["copilot"], ["copilot:tiles:write"], ["COPILOT:TILES"]])
    func needsTheExactScope(scopes: [String]) {
        let token = IntegratorToken(subject: "crm", scopes: scopes, expiresAt: now + 60)
        #expect(!token.allows("copilot:tiles", session: SessionID("s1")))
    }

    @Test func allowsAnyOfSeveralScopes() {
        let token = IntegratorToken(subject: "crm", scopes: ["events:read", "copilot:tiles"], expiresAt: now + 60)
        #expect(token.allows("copilot:tiles", session: SessionID("s1")))
        #expect(token.allows("events:read", session: SessionID("s1")))
        #expect(!token.allows("admin", session: SessionID("s1")))
    }
}
