import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsTLSTests {
    @Test func offByDefault() throws {
        let s = try loadSettings(nil)
        #expect(s.tls == TLSSettings())
        #expect(!s.tls.servesTLS)
        #expect(s.core.publicURL.description == "http://localhost:8080/")
        #expect(try loadSettings(["tls": [:]]) == s)
    }

    @Test func everyKey() throws {
        let s = try loadSettings(["tls": ["certificate": "/etc/relay/cert.pem", "privateKey": "/etc/relay/key.pem", "caBundle": "/etc/relay/ca.pem"]])
        #expect(s.tls == TLSSettings(certificatePath: "/etc/relay/cert.pem", privateKeyPath: "/etc/relay/key.pem",
                                     caBundlePath: "/etc/relay/ca.pem"))
        #expect(s.tls.servesTLS)
    }

    @Test func servingTLSMakesTheDefaultPublicURLHTTPS() throws {
        let s = try loadSettings(["port": 8443, "tls": ["certificate": "c.pem", "privateKey": "k.pem"]])
        #expect(s.core.publicURL.description == "https://localhost:8443/")
    }

    @Test func anExplicitPublicURLIsKept() throws {
        let s = try loadSettings(["publicUrl": "https://relay.example.com", "tls": ["certificate": "c.pem", "privateKey": "k.pem"]])
        #expect(s.core.publicURL.description == "https://relay.example.com/")
    }

    @Test func aCABundleAloneOnlyChangesOutboundTrust() throws {
        let s = try loadSettings(["tls": ["caBundle": "ca.pem"]])
        #expect(s.tls.caBundlePath == "ca.pem")
        #expect(!s.tls.servesTLS)
        #expect(s.core.publicURL.secure == false)
    }

    @Test func flagsAndEnvironmentOverrideTheFile() throws {
        let s = try loadSettings(["tls": ["certificate": "file-cert.pem", "privateKey": "file-key.pem"]],
                         ["tls-cert": "flag-cert.pem", "tls-key": "flag-key.pem", "tls-ca-bundle": "flag-ca.pem"])
        #expect(s.tls == TLSSettings(certificatePath: "flag-cert.pem", privateKeyPath: "flag-key.pem", caBundlePath: "flag-ca.pem"))
        #expect(s.core.publicURL.secure)
        #expect(RelaySettings.environmentName(for: "tls-cert") == "RELAY_TLS_CERT")
        #expect(RelaySettings.environmentName(for: "tls-key") == "RELAY_TLS_KEY")
        #expect(RelaySettings.overrideKeys.contains("tls-ca-bundle"))
    }

    @Test func aCertificateNeedsItsKeyAndTheReverse() {
        #expect(settingsError(["tls": ["certificate": "c.pem"]])
                == ConfigError(key: "tls.privateKey", problem: "is required when tls.certificate is set (or --tls-key / RELAY_TLS_KEY)"))
        #expect(settingsError(nil, ["tls-key": "k.pem"])
                == ConfigError(key: "tls.certificate", problem: "is required when tls.privateKey is set (or --tls-cert / RELAY_TLS_CERT)"))
    }

    @Test func badValues() {
        #expect(settingsError(["tls": "on"]) == ConfigError(key: "tls", problem: "must be an object, got string"))
        #expect(settingsError(["tls": ["certificate": 1, "privateKey": "k"]]) == ConfigError(key: "tls.certificate", problem: "must be a string, got number"))
        #expect(settingsError(["tls": ["certificate": " ", "privateKey": "k"]]) == ConfigError(key: "tls.certificate", problem: "must not be empty"))
        #expect(settingsError(["tls": ["cert": "c.pem"]])?.key == "tls.cert")
    }

    @Test func privateKeyPermissions() {
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100600) == nil)
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100400) == nil)
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100700) == nil)
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100640)
                == "TLS private key 'k.pem' is accessible by group or others (mode 640); run chmod 600 on it (owned by the user the relay runs as)")
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100604) != nil)
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100644) != nil)
        #expect(TLSSettings.privateKeyPermissionProblem(path: "k.pem", mode: 0o100610) != nil)
    }
}
