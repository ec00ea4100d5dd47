import RelayCrypto

/// Identifiers from OpenSSL's CSPRNG: session ids of 96 bits, secrets of 256 bits.
public struct SecureIdentifiers: IdentifierSource {
    public init() {}
    /// Letters and digits only (about 95 bits): ids never start with "-", which
    /// command-line tools would read as an option, and need no URL escaping.
    public mutating func newSessionID() -> SessionID {
        SessionID(String(Base64URL.encode(Crypto.randomBytes(12)).map { $0 == "-" ? "x" : $0 == "_" ? "z" : $0 }))
    }
    public mutating func newSecret() -> String { Base64URL.encode(Crypto.randomBytes(32)) }
}
