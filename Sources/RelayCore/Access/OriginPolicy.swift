import HTTPModel

/// Which web pages may open the browser protocols (`handover.chat.v1`,
/// `handover.copilot.v1`): the check a browser cannot skip, because it sets
/// the `Origin` header of a WebSocket handshake itself.
///
/// It protects users' browsers against other sites (cross-site WebSocket
/// hijacking), not the relay against clients: a non-browser client can send
/// any `Origin`, or none — which is allowed, since such clients authenticate
/// by other means (resume tokens, copilot and integrator tokens).
public struct OriginPolicy: Equatable, Sendable {
    /// Canonical origins (see ``canonical(_:)``); empty allows every origin.
    public let allowed: Set<String>

    public enum Decision: Equatable, Sendable {
        case allow
        /// Refuse the upgrade with 403; the text says why (no secrets in it).
        case refuse(String)
    }

    /// - Parameters:
    ///   - allowed: origins as configured (already validated by ``canonical(_:)``).
    ///   - own: the relay's public URL. Its origin is allowed whenever a list
    ///     is set, so the pages the relay serves itself (chat, copilot, agent
    ///     console) keep working. The Host header is deliberately not used for
    ///     this: a DNS-rebinding page would match its own Host.
    public init(allowed: [String] = [], own: HTTPURL? = nil) {
        var set = Set(allowed.compactMap(Self.canonical))
        if !set.isEmpty, let own { set.insert(Self.origin(of: own)) }
        self.allowed = set
    }

    /// Whether a handshake with this `Origin` header (nil: none sent) may proceed.
    public func decide(origin: String?) -> Decision {
        guard !allowed.isEmpty, let origin else { return .allow }
        guard let canonical = Self.canonical(origin), allowed.contains(canonical) else {
            return .refuse("origin \(Self.printable(origin)) is not allowed")
        }
        return .allow
    }

    /// `scheme://host[:port]` in lower case without the scheme's default port
    /// (how browsers serialise origins); nil when `text` is not an http(s)
    /// origin. One trailing "/" is tolerated, any other path is not.
    public static func canonical(_ text: String) -> String? {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = HTTPURL(trimmed), url.path == "/", !trimmed.contains("?"), !trimmed.contains("#") else { return nil }
        return origin(of: url)
    }

    static func origin(of url: HTTPURL) -> String {
        (url.secure ? "https://" : "http://") + url.hostHeader.lowercased()
    }

    /// The header as sent, shortened and without control characters, for the refusal text.
    private static func printable(_ origin: String) -> String {
        let cleaned = String(origin.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return "'\(cleaned)'"
    }
}
