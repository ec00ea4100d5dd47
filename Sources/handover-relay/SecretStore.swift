import Foundation
import RelayCrypto

/// The token secret (copilot links, integrator tokens) when none is
/// configured: generated once, kept in the data directory with mode 0600 so
/// links survive restarts. Never printed or logged.
enum SecretStore {
    static let fileName = "token-secret"

    static func loadOrCreate(dataDir: String) throws -> [UInt8] {
        if let secret = try loadExisting(dataDir: dataDir) { return secret }
        let path = (dataDir as NSString).appendingPathComponent(fileName)
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let secret = Crypto.randomBytes(32)
            guard files.createFile(atPath: path, contents: Data(Base64URL.encode(secret).utf8), attributes: [.posixPermissions: 0o600]) else {
                throw StartupError("cannot write '\(path)'")
            }
            return secret
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("cannot create data directory '\(dataDir)': \(error.localizedDescription)")
        }
    }

    /// The secret kept in `dataDir`, nil when there is none yet; a file that
    /// is unreadable as a secret or readable by others is an error.
    static func loadExisting(dataDir: String) throws -> [UInt8]? {
        let path = (dataDir as NSString).appendingPathComponent(fileName)
        let files = FileManager.default
        guard let data = files.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let secret = Base64URL.decode(text), secret.count >= 16 else {
            throw StartupError("'\(path)' does not hold a valid token secret; delete it to generate a new one (existing links stop working)")
        }
        let mode = (try? files.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
        guard mode & 0o077 == 0 else {
            throw StartupError("'\(path)' is readable by others (mode \(String(mode, radix: 8))); run chmod 600 on it")
        }
        return secret
    }
}
