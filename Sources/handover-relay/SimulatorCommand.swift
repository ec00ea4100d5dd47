import ArgumentParser
import ChatGatewaySimulator
import Foundation
import HTTPModel
import Logging
import RelayShell

/// `handover-relay simulator`: the 8x8 Chat Gateway simulator and its agent
/// console on their own port, without a relay. For a relay that runs
/// elsewhere (pointed at it with `--8x8-base-url http://host:port/sim`), and
/// for tests that stop or kill the relay while "8x8" keeps its state.
struct Simulator: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run only the embedded 8x8 simulator (Chat Gateway API under /sim, agent console), for a relay elsewhere.",
        discussion: """
            Point a relay at it with: --8x8-base-url http://<host>:<port>/sim --8x8-api-key \(Launcher.simulatorAPIKey) \
            --8x8-tenant \(Launcher.simulatorTenant) --8x8-channel-id demo-channel --8x8-queue-id support
            """)

    @Option(name: .long, help: "Port for the simulator's API and agent console (default 8090).")
    var port = 8090

    @Option(name: .long, help: "Address to bind (default: all interfaces).")
    var bind: String?

    @Option(name: .customLong("webhook-url"), help: "Where the simulated 8x8 POSTs its webhooks: the relay's /webhooks/8x8.")
    var webhookURL: String

    @Option(name: .customLong("web-root"), help: "Folder of the web pages, for the agent console (default ./web).")
    var webRoot = "web"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535") }
        guard HTTPURL(webhookURL) != nil else { throw ValidationError("--webhook-url must be an http:// or https:// URL") }
    }

    func run() throws {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        let logger = Logger(label: "handover-relay-simulator")
        let loop = ServiceLoop(options: .init(port: port, bindAddress: bind), logger: logger)
        let settings = SimulatorSettings(apiKey: Launcher.simulatorAPIKey, tenant: Launcher.simulatorTenant, pathPrefix: "/sim",
                                         webhookURL: HTTPURL(webhookURL)!, channels: ["demo-channel"], tenantId: Launcher.simulatorTenant)
        let simulator = SimulatorHost(loop: loop, settings: settings)
        loop.addEndpoint(simulator)
        loop.addHTTPHandler(simulator)
        loop.addHTTPHandler(HealthCheck())
        loop.addHTTPHandler(StaticFiles(root: webRoot))
        do { try loop.start() } catch { throw StartupError("\(error)") }
        Launcher.installSignalHandlers()
        print("""
            8x8 simulator listening on port \(port)
              Chat Gateway API: http://localhost:\(port)/sim/chat-gateway/v1   (x-api-key \(Launcher.simulatorAPIKey), tenant \(Launcher.simulatorTenant))
              Agent console:    http://localhost:\(port)/agent-console/
              Webhooks go to:   \(webhookURL)
            """)
        fflush(nil)
        loop.run()
    }
}

/// `GET /healthz` for the standalone simulator (the relay has its own).
private final class HealthCheck: HTTPHandler {
    func handle(_ request: HTTPRequest) -> HTTPResponse? {
        request.path == "/healthz" ? .json(200, ["status": "ok"]) : nil
    }
}
