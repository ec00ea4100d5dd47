import ArgumentParser

@main
struct HandoverRelayCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "handover-relay",
        abstract: "Relays end-user chats from a bot to human agents in the 8x8 contact center.",
        version: version,
        subcommands: [Serve.self, Demo.self, Simulator.self, Token.self],
        defaultSubcommand: Serve.self)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the relay (config file, then RELAY_* environment variables, then flags).",
        discussion: "Without an 8x8 provider configured, the embedded 8x8 simulator stands in (as in `demo`).")

    @OptionGroup var options: RelayOptions

    @Flag(name: .customLong("check-config"), help: "Load and validate the settings as start-up would, print a summary (secrets redacted) and exit.")
    var checkConfig = false

    func run() throws {
        let launcher = Launcher(options: options, forceSimulator: false)
        if checkConfig { try launcher.checkConfig() } else { try launcher.run() }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run everything embedded: relay, rule bot and the 8x8 simulator with its agent console.")

    @OptionGroup var options: RelayOptions

    @Flag(name: .customLong("check-config"), help: "Load and validate the settings as start-up would, print a summary (secrets redacted) and exit.")
    var checkConfig = false

    func run() throws {
        let launcher = Launcher(options: options, forceSimulator: true)
        if checkConfig { try launcher.checkConfig() } else { try launcher.run() }
    }
}
