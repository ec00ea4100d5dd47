import Testing
@testable import RelayCore

@Suite struct AddressQuotaTests {
    @Test func eachAddressHasItsOwnCap() {
        var quota = AddressQuota(maxPerAddress: 2)
        quota.opened("10.0.0.1")
        #expect(quota.allows("10.0.0.1"))
        quota.opened("10.0.0.1")
        #expect(!quota.allows("10.0.0.1"))
        #expect(quota.allows("10.0.0.2"))
        quota.closed("10.0.0.1")
        #expect(quota.allows("10.0.0.1"))
    }

    @Test func addressesWithNothingOpenAreForgotten() {
        var quota = AddressQuota(maxPerAddress: 5)
        quota.opened("::1")
        quota.closed("::1")
        quota.closed("::1")  // a close without an open (never counted) is harmless
        #expect(quota.open.isEmpty)
    }

    @Test func zeroMeansNoCap() {
        var quota = AddressQuota(maxPerAddress: 0)
        for _ in 0..<10_000 { quota.opened("127.0.0.1") }
        #expect(quota.allows("127.0.0.1"))
    }
}
