import RelayCrypto

/// Identifiers from OpenSSL's CSPRNG: session ids of 96 bits, secrets of 256 bits.
public struct SecureIdentifiers: IdentifierSource {
    public init() {}
    public mutating func newSessionID() -> SessionID { SessionID(Base64URL.encode(Crypto.randomBytes(12))) }
    public mutating func newSecret() -> String { Base64URL.encode(Crypto.randomBytes(32)) }
}
