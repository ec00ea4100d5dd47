import Testing
@testable import RelayCore

struct PeerCloseTests {
    private func payload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] { [UInt8(code >> 8), UInt8(code & 0xFF)] + reason }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] as [UInt16])
    func validCodesAreEchoed(_ code: UInt16) {
        #expect(PeerClose.answer(payload: payload(code, Array("bye ✓".utf8))) == .echo)
    }

    @Test func anEmptyCloseIsEchoed() {
        #expect(PeerClose.answer(payload: []) == .echo)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCodesAreEchoedAs1002(_ code: UInt16) {
        #expect(PeerClose.answer(payload: payload(code, Array("why".utf8))) == .echoWithStatus(1002))
    }

    @Test func aOneBytePayloadIsClosedWith1002() {
        #expect(PeerClose.answer(payload: [0x03]) == .close(1002, reason: "close payload of 1 byte"))
    }

    @Test(arguments: [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82]] as [[UInt8]])
    func aReasonThatIsNotUTF8IsClosedWith1007(_ reason: [UInt8]) {
        // Never echoed, even with an invalid code: the echo would carry the bad bytes back.
        #expect(PeerClose.answer(payload: payload(1000, reason)) == .close(1007, reason: "close reason is not UTF-8"))
        #expect(PeerClose.answer(payload: payload(5000, reason)) == .close(1007, reason: "close reason is not UTF-8"))
    }
}
