import RelayJSON
@testable import RelayCore

/// Settings as start-up builds them from a config file and overrides (the config suites share these).
func loadSettings(_ file: JSONValue?, _ overrides: [String: String] = [:]) throws -> RelaySettings {
    try RelaySettings.load(file: file, overrides: overrides)
}

/// The error loading them gives, or nil.
func settingsError(_ file: JSONValue?, _ overrides: [String: String] = [:]) -> ConfigError? {
    do { _ = try RelaySettings.load(file: file, overrides: overrides); return nil } catch { return error }
}
