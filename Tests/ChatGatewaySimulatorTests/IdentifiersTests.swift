import Testing
@testable import ChatGatewaySimulator

@Suite struct IdentifiersTests {
    @Test func idsAreUUIDShapedAndUnique() {
        var factory = IdentifierFactory()
        let ids = (0..<1000).map { _ in factory.next(nowMs: t0) }
        #expect(Set(ids).count == 1000)
        for id in ids.prefix(5) {
            let parts = id.split(separator: "-").map(\.count)
            #expect(parts == [8, 4, 4, 4, 12])
            #expect(id.allSatisfy { $0.isHexDigit || $0 == "-" })
        }
    }

    @Test func restartedFactoryAtLaterTimeDoesNotRepeat() {
        var first = IdentifierFactory()
        var second = IdentifierFactory()
        #expect(first.next(nowMs: t0) != second.next(nowMs: t0 + 1))
    }

    @Test func negativeTimeDoesNotTrap() {
        var factory = IdentifierFactory()
        #expect(factory.next(nowMs: Int64.min).count == 36)
        #expect(factory.next(nowMs: Int64.max).count == 36)
    }
}
