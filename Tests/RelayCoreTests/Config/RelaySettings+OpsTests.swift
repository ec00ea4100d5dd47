import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsOpsTests {
    @Test func defaultsAreTextLogsAndOpenMetrics() throws {
        let s = try RelaySettings.load(file: nil, overrides: [:])
        #expect(s.ops.logFormat == .text)
        #expect(s.ops.metricsToken == nil)
    }

    @Test func fromTheFile() throws {
        let s = try RelaySettings.load(file: ["logFormat": "json", "metrics": ["token": "0123456789abcdef"]], overrides: [:])
        #expect(s.ops.logFormat == .json)
        #expect(s.ops.metricsToken == "0123456789abcdef")
    }

    @Test func overridesWin() throws {
        let s = try RelaySettings.load(file: ["logFormat": "json"], overrides: ["log-format": "text", "metrics-token": "fedcba9876543210"])
        #expect(s.ops.logFormat == .text)
        #expect(s.ops.metricsToken == "fedcba9876543210")
        #expect(RelaySettings.environmentName(for: "metrics-token") == "RELAY_METRICS_TOKEN")
        #expect(RelaySettings.environmentName(for: "log-format") == "RELAY_LOG_FORMAT")
    }

    @Test func errorsNameTheKey() {
        #expect(settingsError(["logFormat": "xml"])?.key == "logFormat")
        #expect(settingsError(["logFormat": 1])?.key == "logFormat")
        #expect(settingsError(["metrics": ["token": "short"]]) == ConfigError(key: "metrics.token", problem: "must be at least 16 characters"))
        #expect(settingsError(["metrics": ["token": "has a space in it!!"]])?.key == "metrics.token")
        #expect(settingsError(["metrics": ["tokn": "0123456789abcdef"]])?.key == "metrics.tokn")
        #expect(settingsError(["metrics": "x"])?.key == "metrics")
        #expect(settingsError(nil, ["log-format": "yaml"])?.key == "log-format")
        #expect(settingsError(nil, ["metrics-token": "short"])?.key == "metrics-token")
    }

    @Test func theTokenNeverAppearsInAnError() {
        let token = "a token with spaces"
        #expect(settingsError(["metrics": ["token": .string(token)]])?.description.contains(token) == false)
    }
}
