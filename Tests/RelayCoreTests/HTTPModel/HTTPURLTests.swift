import HTTPModel
import Testing

@Suite struct HTTPURLTests {
    @Test(arguments: [
        ("http://example.com", false, "example.com", 80, "/"),
        ("https://api.8x8.com", true, "api.8x8.com", 443, "/"),
        ("http://127.0.0.1:9/sim", false, "127.0.0.1", 9, "/sim"),
        ("HTTPS://Host:8443/a/b?x=1", true, "Host", 8443, "/a/b?x=1"),
        ("http://h?q=1", false, "h", 80, "?q=1"),
        ("http://[::1]:8080/x", false, "::1", 8080, "/x"),
        ("https://[2001:db8::1]/", true, "2001:db8::1", 443, "/"),
    ] as [(String, Bool, String, Int, String)])
    func parses(text: String, secure: Bool, host: String, port: Int, path: String) throws {
        let url = try #require(HTTPURL(text))
        #expect(url.secure == secure)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.path == (path.hasPrefix("/") ? path : "/" + path))
    }

    @Test(arguments: ["", "example.com", "ftp://h", "http://", "https:///path", "http://user@h", "http://h:0", "http://h:65536",
                      "http://h:abc", "http://h:", "http://[::1", "http://[::1]x", "http://:80"])
    func rejects(text: String) {
        #expect(HTTPURL(text) == nil)
    }

    @Test func appendingKeepsThePathPrefix() {
        let base = HTTPURL("http://127.0.0.1:8080/sim")!
        #expect(base.appending(path: "/chat-gateway/v1/conversations").path == "/sim/chat-gateway/v1/conversations")
        #expect(HTTPURL("http://h/sim/")!.appending(path: "x").path == "/sim/x")
        #expect(HTTPURL("http://h")!.appending(path: "/x").path == "/x")
    }

    @Test func hostHeaderAndDescription() {
        #expect(HTTPURL("http://h:80/a")!.hostHeader == "h")
        #expect(HTTPURL("https://h:443")!.hostHeader == "h")
        #expect(HTTPURL("http://h:8080")!.hostHeader == "h:8080")
        #expect(HTTPURL("https://h:80")!.hostHeader == "h:80")
        #expect(HTTPURL("http://[::1]:8080/x")!.hostHeader == "[::1]:8080")
        #expect(HTTPURL("http://[::1]/x")!.description == "http://[::1]/x")
        #expect(HTTPURL("https://api.8x8.com:443/v1")!.description == "https://api.8x8.com/v1")
    }

    @Test func memberwiseInitAddsTheLeadingSlash() {
        #expect(HTTPURL(secure: false, host: "h", port: 80, path: "x").path == "/x")
    }
}
