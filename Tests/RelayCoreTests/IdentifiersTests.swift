import RelayCrypto
import Testing
@testable import RelayCore

@Suite struct IdentifiersTests {
    @Test func sequentialIdentifiersShareOneCounter() {
        var ids = SequentialIdentifiers()
        #expect(ids.newSessionID() == SessionID("s1"))
        #expect(ids.newSecret() == "secret-2")
        #expect(ids.newSessionID() == SessionID("s3"))
    }

    @Test func secureIdentifiersAreRandomAndURLSafe() throws {
        var ids = SecureIdentifiers()
        let a = ids.newSessionID(), b = ids.newSessionID()
        #expect(a != b)
        #expect(a.rawValue.count == 16)                                   // 96 bits
        #expect(try #require(Base64URL.decode(a.rawValue)).count == 12)
        let secret = ids.newSecret()
        #expect(secret.count == 43)                                       // 256 bits
        #expect(try #require(Base64URL.decode(secret)).count == 32)
        #expect(secret != ids.newSecret())
    }

    @Test func descriptions() {
        #expect(SessionID("s1").description == "s1")
        #expect(ConnectionID(3).description == "conn-3")
        #expect(CallID(4).description == "call-4")
        #expect(TimerID(5).description == "timer-5")
    }
}
