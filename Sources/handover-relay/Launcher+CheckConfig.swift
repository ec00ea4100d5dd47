import Foundation
import RelayCore
import RedisStore
import RelayShell

extension Launcher {
    /// `serve --check-config` / `demo --check-config`: everything start-up
    /// reads and validates (config file, environment, flags, bot script,
    /// knowledge base and rules, web root, an existing token secret file),
    /// then a summary with secrets shown as `(set)`, and exit — nothing is
    /// bound, opened or created. A problem throws the same error start-up
    /// would stop with.
    func checkConfig() throws {
        let (settings, simulator) = try prepare(createSecret: false)
        var warnings = settings.webhookSignatureWarnings + settings.fileWarnings
        do {
            warnings += try ServiceLoop.checkTLSFiles(settings.tls)
        } catch {
            throw StartupError("\(error)")
        }
        if settings.store.backend == .redis {
            // Parsed as start-up parses it; the server itself is not contacted (nothing is opened).
            do { _ = try RedisURL(parsing: settings.store.redis.url ?? "") } catch {
                throw StartupError("store.redis.url: \(error.message)")
            }
            if !settings.hasConfiguredSecret {
                warnings.append("store.backend redis: every node needs the same copilot.tokenSecret (or --copilot-secret); "
                    + "the secret generated into each data directory differs per node")
            }
        }
        let secretPath = (settings.dataDir as NSString).appendingPathComponent(SecretStore.fileName)
        let tokenSecret = settings.hasConfiguredSecret ? "configured \(RelaySettings.redacted)"
            : FileManager.default.fileExists(atPath: secretPath) ? "\(secretPath) \(RelaySettings.redacted)"
            : "none yet: generated into \(secretPath) at first start"
        var lines = ["configuration OK"]
        lines += settings.summary(simulator: simulator, tokenSecret: tokenSecret).map { "  " + $0 }
        lines += warnings.map { "  warning: " + $0 }
        print(lines.joined(separator: "\n"))
    }
}
