/// Whether and how strictly a provider's webhooks must be signed
/// (`providers.<name>.webhookSignatures`, `webhookMaxAgeSeconds`).
public struct WebhookSignaturePolicy: Equatable, Sendable {
    public enum Mode: String, Sendable {
        /// Every webhook must carry a valid `x-8x8-signature` (the default).
        case required
        /// Nothing is checked: only for local simulators and tests.
        case off
    }

    public var mode: Mode
    /// A webhook whose `x-8x8-transmission-time` is older than this is a replay.
    public var maxAgeSeconds: Int
    /// How far in the future a transmission time may be (clock skew between 8x8 and us).
    public var maxFutureSkewSeconds: Int

    public static let defaultMaxAgeSeconds = 300

    public init(mode: Mode = .required, maxAgeSeconds: Int = Self.defaultMaxAgeSeconds, maxFutureSkewSeconds: Int = 60) {
        self.mode = mode
        self.maxAgeSeconds = maxAgeSeconds
        self.maxFutureSkewSeconds = maxFutureSkewSeconds
    }
}
