/// How to answer a close frame from the peer (RFC 6455 §5.5.1, §7.4).
/// libwebsockets 4.1 echoes the payload as received, after rewriting most
/// reserved codes to 1002 in its own buffer — but not codes above 4999, nor a
/// 1-byte payload, which it would echo back as they are: a malformed close
/// from the server. The shell asks here first.
public enum PeerClose {
    public enum Answer: Equatable, Sendable {
        /// Echo the close as received (lws's default).
        case echo
        /// Echo it with this status instead of the peer's (the reason is kept): what
        /// lws itself does for reserved codes, and the close handshake still ends at once.
        case echoWithStatus(UInt16)
        /// Close with our own status and reason instead of echoing.
        case close(UInt16, reason: String)
    }

    public static let protocolError: UInt16 = 1002

    public static func answer(payload: [UInt8]) -> Answer {
        guard !payload.isEmpty else { return .echo }  // no status: fine
        guard payload.count >= 2 else { return .close(protocolError, reason: "close payload of 1 byte") }
        guard String(validating: payload.dropFirst(2), as: UTF8.self) != nil else {
            return .close(CloseCode.invalidPayload, reason: "close reason is not UTF-8")
        }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        return isValidReceivedCode(code) ? .echo : .echoWithStatus(protocolError)
    }

    /// Codes a peer may send (§7.4.1–7.4.2 and the IANA registry): 1000–1003,
    /// 1007–1014, 3000–4999. 1004–1006 and 1015 are reserved, never sent.
    public static func isValidReceivedCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}
