import HTTPModel
import Testing
@testable import RelayCore

@Suite struct OriginPolicyTests {
    private let shop = OriginPolicy(allowed: ["https://shop.example.com", "http://localhost:3000"])

    @Test func anEmptyListAllowsEverything() {
        let open = OriginPolicy()
        #expect(open.allowed.isEmpty)
        #expect(open.decide(origin: "https://evil.example") == .allow)
        #expect(open.decide(origin: "null") == .allow)
        #expect(open.decide(origin: nil) == .allow)
        // The relay's own origin alone does not turn the check on.
        #expect(OriginPolicy(allowed: [], own: HTTPURL("https://relay.example.com")!).decide(origin: "https://evil.example") == .allow)
    }

    @Test func listedOriginsAreAllowed() {
        #expect(shop.decide(origin: "https://shop.example.com") == .allow)
        #expect(shop.decide(origin: "http://localhost:3000") == .allow)
    }

    @Test func comparisonIsOnTheCanonicalForm() {
        #expect(shop.decide(origin: "HTTPS://SHOP.example.COM") == .allow)
        #expect(shop.decide(origin: "https://shop.example.com:443") == .allow)
    }

    @Test func otherOriginsAreRefused() {
        #expect(shop.decide(origin: "https://evil.example") == .refuse("origin 'https://evil.example' is not allowed"))
        // Same host, other scheme or port: another origin.
        #expect(shop.decide(origin: "http://shop.example.com") != .allow)
        #expect(shop.decide(origin: "https://shop.example.com:8443") != .allow)
        #expect(shop.decide(origin: "http://localhost:3001") != .allow)
        // A suffix or prefix match is no match.
        #expect(shop.decide(origin: "https://shop.example.com.evil.example") != .allow)
        #expect(shop.decide(origin: "https://evilshop.example.com") != .allow)
    }

    @Test func opaqueAndMalformedOriginsAreRefused() {
        #expect(shop.decide(origin: "null") == .refuse("origin 'null' is not allowed"))
        #expect(shop.decide(origin: "file://") != .allow)
        #expect(shop.decide(origin: "https://shop.example.com/path") != .allow)
        #expect(shop.decide(origin: "") != .allow)
    }

    @Test func aMissingOriginIsANonBrowserClientAndAllowed() {
        #expect(shop.decide(origin: nil) == .allow)
    }

    @Test func theRelaysOwnOriginIsAddedToAList() {
        let policy = OriginPolicy(allowed: ["https://shop.example.com"], own: HTTPURL("https://relay.example.com:8443/base/")!)
        #expect(policy.allowed == ["https://shop.example.com", "https://relay.example.com:8443"])
        #expect(policy.decide(origin: "https://relay.example.com:8443") == .allow)
        #expect(policy.decide(origin: "https://relay.example.com") != .allow)
    }

    @Test func refusalTextIsPrintableAndBounded() {
        let hostile = "https://x.example\r\nSet-Cookie: a=b" + String(repeating: "y", count: 500)
        guard case .refuse(let why) = shop.decide(origin: hostile) else { Issue.record("not refused"); return }
        #expect(!why.contains("\r") && !why.contains("\n"))
        #expect(why.count < 260)
    }

    @Test func canonicalForm() {
        #expect(OriginPolicy.canonical("https://Shop.Example.com") == "https://shop.example.com")
        #expect(OriginPolicy.canonical("https://shop.example.com/") == "https://shop.example.com")
        #expect(OriginPolicy.canonical("http://shop.example.com:80") == "http://shop.example.com")
        #expect(OriginPolicy.canonical("http://shop.example.com:8080") == "http://shop.example.com:8080")
        #expect(OriginPolicy.canonical("http://[::1]:8080") == "http://[::1]:8080")
        #expect(OriginPolicy.canonical("https://shop.example.com/a") == nil)
        #expect(OriginPolicy.canonical("https://shop.example.com?q") == nil)
        #expect(OriginPolicy.canonical("https://shop.example.com#f") == nil)
        #expect(OriginPolicy.canonical("wss://shop.example.com") == nil)
        #expect(OriginPolicy.canonical("null") == nil)
    }
}
