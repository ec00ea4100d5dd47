import CLWS
import Glibc
import RelayCore

/// Start-up checks of the TLS files, made with the same libssl calls lws
/// makes when it creates the context — so that a bad file stops the relay
/// with a sentence naming the file and the problem, instead of lws's
/// "cannot create context". Messages carry paths and libssl's reason text,
/// never file contents.
enum TLSFiles {
    typealias Failure = ServiceLoop.StartError

    /// What the checks learned about a usable certificate.
    struct ServerCertificate {
        /// Past its notAfter date: served anyway (refusing to start would turn
        /// a renewal missed by a day into an outage), but worth a warning.
        let expired: Bool
    }

    /// The certificate chain and private key files are readable, the key is
    /// not accessible by others, both parse as PEM, and the key belongs to the
    /// certificate.
    static func checkServerPair(certificate: String, privateKey: String) throws(Failure) -> ServerCertificate {
        try requireReadableFile(certificate, what: "TLS certificate")
        let keyMode = try requireReadableFile(privateKey, what: "TLS private key")
        if let problem = TLSSettings.privateKeyPermissionProblem(path: privateKey, mode: keyMode) {
            throw Failure(message: problem)
        }
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw Failure(message: "libssl cannot create a TLS context\(sslReason())") }
        defer { SSL_CTX_free(ctx) }
        // An encrypted key would make libssl ask for a passphrase on the
        // terminal; refusing the password prompt turns that into an error.
        SSL_CTX_set_default_passwd_cb(ctx) { _, _, _, _ in 0 }
        ERR_clear_error()
        // Key first: loading it after the certificate already fails on a
        // mismatch, which would read like a broken key file.
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKey, SSL_FILETYPE_PEM) == 1 else {
            throw Failure(message: "TLS private key '\(privateKey)' is not an unencrypted PEM private key\(sslReason())")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, certificate) == 1 else {
            throw Failure(message: "TLS certificate '\(certificate)' holds no usable PEM certificate\(sslReason())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            ERR_clear_error()
            throw Failure(message: "TLS private key '\(privateKey)' does not belong to the certificate in '\(certificate)'")
        }
        var expired = false
        if let leaf = SSL_CTX_get0_certificate(ctx), let notAfter = X509_get0_notAfter(leaf) {
            expired = X509_cmp_current_time(notAfter) < 0
        }
        return ServerCertificate(expired: expired)
    }

    /// The CA bundle is readable and holds at least one PEM certificate (lws
    /// would only log a failed load and then refuse every outbound call).
    static func checkCABundle(_ path: String) throws(Failure) {
        try requireReadableFile(path, what: "TLS CA bundle")
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw Failure(message: "libssl cannot create a TLS context\(sslReason())") }
        defer { SSL_CTX_free(ctx) }
        ERR_clear_error()
        guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
            throw Failure(message: "TLS CA bundle '\(path)' holds no PEM certificates\(sslReason())")
        }
    }

    /// Opens and stats the file; returns its mode.
    @discardableResult
    private static func requireReadableFile(_ path: String, what: String) throws(Failure) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(message: "cannot read \(what) '\(path)': \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw Failure(message: "\(what) '\(path)' is not a regular file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(message: "cannot read \(what) '\(path)': \(String(cString: strerror(errno)))") }
        close(fd)
        return Int(info.st_mode)
    }

    /// libssl's reason for the failure, as " (reason)", and the error queue
    /// cleared. The earliest queued error is the specific one ("no start
    /// line"); later ones are wrappers ("PEM lib").
    private static func sslReason() -> String {
        let code = ERR_peek_error()
        defer { ERR_clear_error() }
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "" }
        return " (\(String(cString: reason)))"
    }
}
