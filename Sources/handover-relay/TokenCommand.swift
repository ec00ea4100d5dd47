import ArgumentParser
import Foundation
import RelayCore
import RelayJSON

/// `handover-relay token`: mints an integrator bearer token with the relay's
/// token secret (from config, environment, or the data directory).
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an integrator bearer token (copilot:tiles to push tiles, stream:read for event streams and the read API).")

    @OptionGroup var options: RelayOptions

    @Option(name: .long, help: "A scope to grant; repeatable (default: copilot:tiles).")
    var scope: [String] = []

    @Option(name: .long, help: "Limit the token to this session id; repeatable (default: every session).")
    var session: [String] = []

    @Option(name: .long, help: "Limit a stream:read token to this handover provider (8x8 tenant); repeatable.")
    var provider: [String] = []

    @Option(name: .long, help: "Limit a stream:read token to this event type (message, handover); repeatable.")
    var type: [String] = []

    @Option(name: .long, help: "Who the token is for (shown in logs).")
    var subject = "integrator"

    @Option(name: .customLong("ttl-hours"), help: "Lifetime in hours (default 720 = 30 days).")
    var ttlHours = 720

    func validate() throws {
        guard (1...87_600).contains(ttlHours) else { throw ValidationError("--ttl-hours must be between 1 and 87600") }
        if let unknown = type.first(where: { !StreamFilter.knownTypes.contains($0) }) {
            throw ValidationError("--type must be message or handover, got \(unknown)")
        }
    }

    func run() throws {
        let settings = try Launcher(options: options, forceSimulator: false).resolvedSettings()
        let token = IntegratorToken(subject: subject, scopes: scope.isEmpty ? [IntegratorToken.tilesScope] : scope,
                                    sessions: session.isEmpty ? nil : session, providers: provider.isEmpty ? nil : provider,
                                    types: type.isEmpty ? nil : type,
                                    expiresAt: Int64(Date().timeIntervalSince1970) + Int64(ttlHours) * 3600)
        print(token.sign(secret: settings.core.copilotSecret))
    }
}
