import Foundation
import Testing
@testable import RelayCore

/// docs/CONFIG.md is the config reference: every flag, environment variable
/// and config-file key the relay accepts appears in it.
@Suite struct ConfigReferenceTests {
    private func reference() throws -> String {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
    }

    @Test func everyFlagAndItsEnvironmentVariableIsDocumented() throws {
        let text = try reference()
        for key in RelaySettings.overrideKeys {
            // A token in a flag would show in `ps`: some secrets are environment only.
            if !Self.environmentOnly.contains(key) { #expect(text.contains("`--\(key)`"), "--\(key)") }
            #expect(text.contains("`\(RelaySettings.environmentName(for: key))`"), "\(RelaySettings.environmentName(for: key))")
        }
    }

    static let environmentOnly: Set<String> = ["metrics-token"]

    @Test func everyConfigFileKeyIsDocumented() throws {
        let text = try reference()
        for key in RelaySettings.fileKeys {
            #expect(text.contains("`\(key)"), "\(key)")
        }
        for key in RelaySettings.limitKeys {
            #expect(text.contains("`\(key)`") || text.contains("`limits.\(key)`"), "limits.\(key)")
        }
        for key in RelaySettings.webhookSignatureKeys {
            #expect(text.contains("`providers.<name>.\(key)`"), "providers.<name>.\(key)")
        }
    }
}
