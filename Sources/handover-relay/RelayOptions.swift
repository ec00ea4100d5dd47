import ArgumentParser
import RelayCore

/// Flags shared by `serve` and `demo`. Each is also an environment variable,
/// `RELAY_` + the flag in upper snake case (`--8x8-api-key` → `RELAY_8X8_API_KEY`).
struct RelayOptions: ParsableArguments {
    @Option(name: .long, help: "JSON config file (several providers and named handover settings).")
    var config: String?

    @Option(name: .long, help: "Port for HTTP and WebSocket (default 8080).")
    var port: String?

    @Option(name: .long, help: "Address to bind (default: all interfaces).")
    var bind: String?

    @Option(name: .customLong("public-url"), help: "How agents reach this relay, for copilot links (default http://localhost:<port>).")
    var publicURL: String?

    @Option(name: .customLong("web-root"), help: "Folder of the web pages (default ./web).")
    var webRoot: String?

    @Option(name: .customLong("data-dir"), help: "Folder for state that survives restarts (default ./.data).")
    var dataDir: String?

    @Option(name: .long, help: "Event log backend: sqlite (default, <data-dir>/relay.sqlite3), memory (nothing survives) or redis (several nodes).")
    var store: String?

    @Option(name: .customLong("redis-url"), help: "With --store redis: redis://[[user]:password@]host[:port][/db] (a password is better passed as RELAY_REDIS_URL).")
    var redisURL: String?

    @Option(name: .customLong("redis-prefix"), help: "With --store redis: key prefix, so deployments can share one Redis (default relay).")
    var redisPrefix: String?

    @Option(name: .customLong("knowledge-base"), help: "Folder of Markdown articles for copilot suggestions (default docs/examples/kb).")
    var knowledgeBase: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "Log lines as text (default) or json (one object per line).")
    var logFormat: String?

    @Option(name: .customLong("bot-script"), help: "JSON script for the embedded rule bot.")
    var botScript: String?

    @Option(name: .customLong("bot-url"), help: "Use an external HTTP bot at this URL instead of the rule bot.")
    var botURL: String?

    @Option(name: .customLong("copilot-secret"), help: "HMAC secret for copilot links (16+ characters).")
    var copilotSecret: String?

    @Option(name: .customLong("8x8-base-url"), help: "8x8 API base URL (default https://api.8x8.com).")
    var baseURL: String?

    @Option(name: .customLong("8x8-api-key"), help: "8x8 API key (x-api-key). Prefer RELAY_8X8_API_KEY: flags show in ps.")
    var apiKey: String?

    @Option(name: .customLong("8x8-tenant"), help: "8x8 tenant id (X-8x8-Tenant), for organisations with several tenants.")
    var tenant: String?

    @Option(name: .customLong("8x8-channel-id"), help: "Chat API channel ID.")
    var channelID: String?

    @Option(name: .customLong("8x8-queue-id"), help: "Queue ID handovers are assigned to.")
    var queueID: String?

    @Option(name: .customLong("8x8-properties"), help: "JSON deep-merged into every create-conversation request.")
    var properties: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve https:// and wss:// on the port (with --tls-key).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (unencrypted, mode 0600).")
    var tlsKey: String?

    @Option(name: .customLong("tls-ca-bundle"), help: "PEM CA certificates outbound HTTPS calls trust instead of the system store.")
    var tlsCABundle: String?

    @Option(name: .customLong("allowed-origins"), help: "Comma-separated page origins allowed to open the chat and copilot WebSockets (default: any).")
    var allowedOrigins: String?

    @Option(name: .customLong("8x8-webhook-signatures"), help: "Webhook signature check: required (default) or off (local simulators only).")
    var webhookSignatures: String?

    /// Flag values by option name, for ``RelaySettings/load(file:overrides:)``.
    var flagValues: [String: String] {
        let pairs: [(String, String?)] = [
            ("port", port), ("bind", bind), ("public-url", publicURL), ("web-root", webRoot), ("data-dir", dataDir),
            ("knowledge-base", knowledgeBase), ("store", store), ("redis-url", redisURL), ("redis-prefix", redisPrefix), ("log-level", logLevel), ("log-format", logFormat),
            ("bot-script", botScript), ("bot-url", botURL), ("copilot-secret", copilotSecret),
            ("8x8-base-url", baseURL), ("8x8-api-key", apiKey), ("8x8-tenant", tenant), ("8x8-channel-id", channelID),
            ("8x8-queue-id", queueID), ("8x8-properties", properties), ("8x8-webhook-signatures", webhookSignatures),
            ("tls-cert", tlsCert), ("tls-key", tlsKey), ("tls-ca-bundle", tlsCABundle), ("allowed-origins", allowedOrigins),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    /// Flags win over the environment.
    func overrides(environment: [String: String]) -> [String: String] {
        var merged: [String: String] = [:]
        for key in RelaySettings.overrideKeys {
            if let value = environment[RelaySettings.environmentName(for: key)] { merged[key] = value }
        }
        return merged.merging(flagValues) { _, flag in flag }
    }
}
