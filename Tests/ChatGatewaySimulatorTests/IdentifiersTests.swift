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

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(951_782_400_123), "2000-02-29T00:00:00.123Z"),
        (Int64(1_700_000_000_000), "2023-11-14T22:13:20.000Z"),
        (Int64(-5), "1970-01-01T00:00:00.000Z"),
    ])
    func iso8601(ms: Int64, text: String) {
        #expect(Timestamp.iso8601(ms: ms) == text)
    }

    @Test func iso8601HugeValuesDoNotTrap() {
        #expect(!Timestamp.iso8601(ms: Int64.max).isEmpty)
    }
}
