import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsOriginsTests {
    @Test func emptyByDefaultAllowingAnyOrigin() throws {
        let s = try loadSettings(nil)
        #expect(s.allowedOrigins == [])
        #expect(s.originPolicy.decide(origin: "https://anywhere.example") == .allow)
    }

    @Test func listIsKeptInCanonicalForm() throws {
        let s = try loadSettings(["allowedOrigins": ["https://Shop.Example.com/", "http://localhost:3000", "https://x.example:443"]])
        #expect(s.allowedOrigins == ["https://shop.example.com", "http://localhost:3000", "https://x.example"])
    }

    @Test func theRelaysOwnOriginIsAllowedOnceAListIsSet() throws {
        let s = try loadSettings(["port": 9000, "allowedOrigins": ["https://shop.example.com"]])
        #expect(s.originPolicy.decide(origin: "http://localhost:9000") == .allow)
        #expect(s.originPolicy.decide(origin: "https://shop.example.com") == .allow)
        #expect(s.originPolicy.decide(origin: "https://other.example.com") == .refuse("origin 'https://other.example.com' is not allowed"))
    }

    @Test func flagIsCommaSeparatedAndWinsOverTheFile() throws {
        let s = try loadSettings(["allowedOrigins": ["https://file.example"]], ["allowed-origins": "https://a.example, http://b.example:8080"])
        #expect(s.allowedOrigins == ["https://a.example", "http://b.example:8080"])
        #expect(try loadSettings(["allowedOrigins": ["https://file.example"]], ["allowed-origins": ""]).allowedOrigins == [])
        #expect(RelaySettings.environmentName(for: "allowed-origins") == "RELAY_ALLOWED_ORIGINS")
    }

    @Test func badEntries() {
        #expect(settingsError(["allowedOrigins": "https://shop.example.com"])
                == ConfigError(key: "allowedOrigins", problem: "must be an array of strings"))
        #expect(settingsError(["allowedOrigins": [1]]) == ConfigError(key: "allowedOrigins[0]", problem: "must be a string, got number"))
        #expect(settingsError(["allowedOrigins": ["https://ok.example", "https://shop.example.com/chat"]])
                == ConfigError(key: "allowedOrigins[1]",
                               problem: "must be an origin such as https://shop.example.com (scheme://host[:port], no path), got \"https://shop.example.com/chat\""))
        #expect(settingsError(["allowedOrigins": ["shop.example.com"]])?.key == "allowedOrigins[0]")
        #expect(settingsError(["allowedOrigins": ["*"]])?.key == "allowedOrigins[0]")
        #expect(settingsError(nil, ["allowed-origins": "https://ok.example,ftp://x"])?.key == "allowed-origins")
    }
}
