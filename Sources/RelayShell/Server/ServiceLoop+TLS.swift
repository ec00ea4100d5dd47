import CLWS
import HTTPModel
import RelayCore

/// TLS through libwebsockets' own OpenSSL integration.
///
/// Serving: with a certificate configured the listening vhost speaks only
/// TLS 1.2+ (a plain HTTP or ws:// client fails the handshake and is
/// dropped; there is no HTTP→HTTPS redirect on the same port).
///
/// Calling out: every vhost's client context verifies the server's chain and
/// name (lws sets SSL_VERIFY_PEER and the host/IP check because the calls
/// never pass LCCSCF_ALLOW_SELFSIGNED, _ALLOW_INSECURE, _ALLOW_EXPIRED or
/// _SKIP_SERVER_CERT_HOSTNAME_CHECK; see ``ServiceLoop/call(_:completion:)``),
/// refuses TLS < 1.2, and trusts the configured CA bundle instead of the
/// system store when one is set.
extension ServiceLoop {
    /// Fills the context's (default, listening) vhost TLS fields, after
    /// checking the files so that mistakes surface as precise start errors.
    func configureTLS(_ info: inout lws_context_creation_info) throws(StartError) {
        for warning in try Self.checkTLSFiles(options.tls) { logger.warning("\(warning)") }
        configureClientTLS(&info)
        guard let certificate = options.tls.certificatePath, let key = options.tls.privateKeyPath else { return }
        info.ssl_cert_filepath = UnsafePointer(cString(certificate))
        info.ssl_private_key_filepath = UnsafePointer(cString(key))
        info.ssl_options_set = clws_ssl_options_tls12_plus()
        // lws would offer "h2" by ALPN, and browsers take it: HTTP/2 and WebSocket over
        // HTTP/2 (RFC 8441) are other code paths in lws than the HTTP/1.1 the shell is
        // written and tested for (e.g. refuseUpgrade's raw response). One protocol,
        // the same on the plain and the TLS port.
        info.alpn = UnsafePointer(cString("http/1.1"))
    }

    /// Checks the configured TLS files exactly as ``start()`` will use them
    /// (also for a configuration check without starting). Throws the first
    /// problem; returns warnings that do not stop the start.
    @discardableResult
    public static func checkTLSFiles(_ tls: TLSSettings) throws(StartError) -> [String] {
        if let bundle = tls.caBundlePath { try TLSFiles.checkCABundle(bundle) }
        guard let certificate = tls.certificatePath, let key = tls.privateKeyPath else { return [] }
        let served = try TLSFiles.checkServerPair(certificate: certificate, privateKey: key)
        return served.expired ? ["the TLS certificate '\(certificate)' has expired: clients will refuse it"] : []
    }

    /// The client side of a vhost (the listening one and each outbound lane).
    func configureClientTLS(_ info: inout lws_context_creation_info) {
        info.ssl_client_options_set = clws_ssl_options_tls12_plus()
        guard let bundle = options.tls.caBundlePath else { return }
        info.client_ssl_ca_filepath = UnsafePointer(cString(bundle))
        // The bundle replaces the system store: the operator decides exactly whom 8x8 calls trust.
        info.options |= UInt64(LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS)
    }

    /// Appended to a failed context creation: the files were checked, so lws's
    /// own reason (on stderr just before) is all that is left to point at.
    var tlsStartHint: String {
        options.tls.servesTLS ? ", or libwebsockets could not set up TLS (its reason is logged above)" : ""
    }

    /// Why an outbound connection failed, in words. For a refused server
    /// certificate lws 4.1 only says "connect SSL err 1: error:00000001:lib(0)::reason(1)",
    /// so the verification result is read from the connection's SSL (still
    /// alive during LWS_CALLBACK_CLIENT_CONNECTION_ERROR).
    func clientConnectionFailure(_ wsi: OpaquePointer, _ request: OutboundRequest, lwsReason: String) -> String {
        guard request.url.secure else { return lwsReason }
        let peer = request.url.hostHeader
        if let ssl = lws_get_ssl(wsi) {
            let result = SSL_get_verify_result(ssl)
            if result != Int(X509_V_OK), let text = X509_verify_cert_error_string(result) {
                return "TLS certificate of \(peer) not accepted: \(String(cString: text))"
            }
        }
        return lwsReason.hasPrefix("connect SSL err") ? "TLS handshake with \(peer) failed" : lwsReason
    }
}
