import RelayJSON
import Testing
@testable import RelayCore

@Suite struct ConfigFileSecretsTests {
    private let file: JSONValue = [
        "providers": ["eu": ["apiKey": "k1"], "us": ["baseUrl": "https://x"]],
        "copilot": ["tokenSecret": "0123456789abcdef"],
        "metrics": ["token": "t"],
        "stream": ["webhooks": [["name": "a", "secret": "s"], ["name": "b"]]],
    ]

    @Test func namesEverySecretTheFileHolds() {
        #expect(ConfigFileSecrets.keys(in: file) == ["providers.eu.apiKey", "copilot.tokenSecret", "metrics.token", "stream.webhooks[0].secret"])
        #expect(ConfigFileSecrets.keys(in: ["port": 8080]).isEmpty)
    }

    @Test func warnsOnlyWhenOthersCanReadSecrets() {
        let keys = ["providers.eu.apiKey"]
        #expect(ConfigFileSecrets.warning(path: "/etc/relay.json", mode: 0o600, keys: keys) == nil)
        #expect(ConfigFileSecrets.warning(path: "/etc/relay.json", mode: 0o644, keys: []) == nil)
        let warning = ConfigFileSecrets.warning(path: "/etc/relay.json", mode: 0o100644, keys: keys)
        #expect(warning == "config file '/etc/relay.json' holds secrets (providers.eu.apiKey) but is readable by other users (mode 644): chmod 600 it, or pass the secrets through the environment")
    }
}
