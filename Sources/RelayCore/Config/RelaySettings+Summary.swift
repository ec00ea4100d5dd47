/// What `serve --check-config` prints: the settings start-up would use, one
/// line each, with every secret shown as `(set)` — never a part of it, not
/// even the last characters (a partial key narrows a guess, and a summary is
/// the kind of text that gets pasted into tickets).
extension RelaySettings {
    public static let redacted = "(set)"

    /// - Parameters:
    ///   - simulator: the embedded 8x8 simulator stands in for 8x8.
    ///   - tokenSecret: where the token secret comes from (never the secret itself).
    public func summary(simulator: Bool, tokenSecret: String) -> [String] {
        var lines = [
            "listen:          \(bindAddress ?? "0.0.0.0"):\(port)",
            "public URL:      \(core.publicURL)",
            "web root:        \(webRoot)",
            "data dir:        \(dataDir)",
            "store:           \(store.backend.rawValue)" + (store.backend == .sqlite ? " (synchronous \(store.synchronous.rawValue))" : "")
                + (store.backend == .redis ? " \(store.redis.redactedURL ?? "?") prefix \(store.redis.prefix)" : ""),
            "retention:       " + [retention.maxAgeHours.map { "\($0) h" } ?? "no age limit",
                                   retention.maxEvents.map { "\($0) events" } ?? "no count limit"].joined(separator: ", "),
            "log:             \(logLevel), \(ops.logFormat.rawValue)",
            "metrics:         GET /metrics " + (ops.metricsToken == nil ? "open (no token)" : "bearer token \(Self.redacted)"),
            "token secret:    \(tokenSecret)",
        ]
        switch core.bot {
        case .rules(let script):
            lines.append("bot:             rules (\(botScriptPath ?? "built-in script"), \(script.faqs.count) FAQs)")
        case .external(let bot):
            let headers = bot.headers.keys.sorted().map { "\($0): \(Self.redacted)" }.joined(separator: ", ")
            lines.append("bot:             external \(bot.url) (timeout \(bot.timeoutMs) ms" + (headers.isEmpty ? ")" : "; headers \(headers))"))
        }
        if simulator {
            lines.append("8x8:             embedded simulator (no provider configured)")
        }
        for (name, provider) in core.providers.sorted(by: { $0.key < $1.key }) {
            lines.append("provider \(name): \(provider.baseURL) tenant \(provider.tenant ?? "-") apiKey \(Self.redacted) timeout \(provider.timeoutMs) ms")
        }
        for (name, handover) in core.handovers.sorted(by: { $0.key < $1.key }) {
            let mark = name == core.defaultHandover ? " (default)" : ""
            lines.append("handover \(name)\(mark): provider \(handover.provider) channel \(handover.channelID) queue \(handover.queueID)")
        }
        lines.append("copilot:         \(core.copilot.knowledgeBase.count) knowledge articles, rules \(copilotRulesPath ?? "built-in")")
        for hook in stream.webhooks {
            lines.append("stream webhook \(hook.name): \(hook.url) secret \(Self.redacted) batch \(hook.batchSize)")
        }
        lines.append("limits:          message \(limits.maxMessageBytes) bytes, text \(core.limits.maxTextLength) characters, "
                     + "\(limits.messagesPerSecond)/s (burst \(limits.messageBurst)) per connection, \(limits.maxConnectionsPerAddress) connections per address, "
                     + "\(core.limits.maxSessions) sessions, stream queue \(stream.maxQueuedBytes) bytes")
        if tls.servesTLS { lines.append("tls:             \(tls.certificatePath ?? "") (key \(tls.privateKeyPath ?? "")), CA bundle \(tls.caBundlePath ?? "system")") }
        if !allowedOrigins.isEmpty { lines.append("allowed origins: \(allowedOrigins.joined(separator: ", "))") }
        return lines
    }
}
