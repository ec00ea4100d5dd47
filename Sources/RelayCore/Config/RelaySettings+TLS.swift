import RelayJSON

/// TLS for the relay's own port (HTTPS and WSS) and the trust store of its
/// outbound HTTPS calls (8x8, an external bot, integrators' webhooks).
///
/// Only paths live here: the files are read by libssl through libwebsockets,
/// so the private key never passes through Swift strings, logs or errors.
public struct TLSSettings: Equatable, Sendable {
    /// PEM certificate chain served on the relay's port (leaf first).
    public var certificatePath: String?
    /// PEM private key of ``certificatePath``; unencrypted, mode 0600 or stricter.
    public var privateKeyPath: String?
    /// PEM CA certificates outbound HTTPS calls trust *instead of* the system
    /// store; nil trusts the system store.
    public var caBundlePath: String?

    public init(certificatePath: String? = nil, privateKeyPath: String? = nil, caBundlePath: String? = nil) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.caBundlePath = caBundlePath
    }

    /// The relay's port speaks HTTPS/WSS only (plain HTTP is refused there).
    public var servesTLS: Bool { certificatePath != nil }

    /// Why a private key file with this mode (the `st_mode` permission bits)
    /// must not be used, or nil when it may. Any access for group or others
    /// is refused — like the generated token secret — rather than warned
    /// about: a key readable by other accounts has to be assumed copied.
    public static func privateKeyPermissionProblem(path: String, mode: Int) -> String? {
        let permissions = mode & 0o777
        guard permissions & 0o077 != 0 else { return nil }
        return "TLS private key '\(path)' is accessible by group or others (mode \(String(permissions, radix: 8))); "
            + "run chmod 600 on it (owned by the user the relay runs as)"
    }
}

extension RelaySettings {
    /// The `tls` section: `{ "certificate", "privateKey", "caBundle" }`, file paths.
    mutating func applyTLS(_ json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "tls.")
        try r.reject(unknownKeysBesides: ["certificate", "privateKey", "caBundle"])
        tls.certificatePath = try r.nonEmptyString("certificate") ?? tls.certificatePath
        tls.privateKeyPath = try r.nonEmptyString("privateKey") ?? tls.privateKeyPath
        tls.caBundlePath = try r.nonEmptyString("caBundle") ?? tls.caBundlePath
    }

    /// `--tls-cert`, `--tls-key`, `--tls-ca-bundle` (and their `RELAY_TLS_*` variables).
    mutating func applyTLS(overrides o: [String: String]) {
        if let cert = o["tls-cert"], !cert.isEmpty { tls.certificatePath = cert }
        if let key = o["tls-key"], !key.isEmpty { tls.privateKeyPath = key }
        if let bundle = o["tls-ca-bundle"], !bundle.isEmpty { tls.caBundlePath = bundle }
    }

    /// A certificate without its key (or the reverse) is a mistake, not "TLS off".
    func validateTLS() throws(ConfigError) {
        switch (tls.certificatePath, tls.privateKeyPath) {
        case (nil, nil), (.some, .some):
            return
        case (.some, nil):
            throw ConfigError(key: "tls.privateKey", problem: "is required when tls.certificate is set (or --tls-key / RELAY_TLS_KEY)")
        case (nil, .some):
            throw ConfigError(key: "tls.certificate", problem: "is required when tls.privateKey is set (or --tls-cert / RELAY_TLS_CERT)")
        }
    }
}
