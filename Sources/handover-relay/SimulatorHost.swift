import ChatGatewaySimulator
import HTTPModel
import RelayCore
import RelayShell

/// Mounts the embedded 8x8 simulator on the relay's service loop: its HTTP
/// routes under `/sim`, its agent-console WebSocket, its webhook deliveries
/// and timers. It lives in the executable so neither the relay's core nor its
/// shell can depend on the simulator by accident.
final class SimulatorHost: HTTPHandler, WebSocketEndpoint {
    let subprotocol = "simulator.console.v1"
    let path: String
    private let prefix: String
    private let loop: ServiceLoop
    private var simulator: ChatGatewaySimulator

    init(loop: ServiceLoop, settings: SimulatorSettings) {
        self.loop = loop
        self.prefix = settings.pathPrefix
        self.path = settings.pathPrefix + "/ws/console"
        // Its own RSA key, made now: it signs every webhook and is served at /jwk/{kid}/public.
        self.simulator = ChatGatewaySimulator(settings: settings, signer: RSAWebhookSigner())
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.path == prefix || request.path.hasPrefix(prefix + "/") else { return nil }
        let output = simulator.handle(request, nowMs: Self.now())
        execute(output.effects)
        return output.response
    }

    func opened(_ connection: ConnectionID) {
        consoles.insert(connection)
        execute(simulator.consoleOpened(Int(connection.rawValue)))
    }

    func received(_ connection: ConnectionID, text: String) {}  // consoles only listen; actions go over REST

    func closed(_ connection: ConnectionID) {
        consoles.remove(connection)
        simulator.consoleClosed(Int(connection.rawValue))
    }

    private var consoles: Set<ConnectionID> = []

    private func execute(_ effects: [SimulatorEffect]) {
        for effect in effects {
            switch effect {
            case .deliverWebhook(let id, let request):
                loop.call(request) { [unowned self] result in
                    self.execute(self.simulator.webhookCompleted(deliveryId: id, result: result, nowMs: Self.now()))
                }
            case .pushToConsole(let console, let text):
                loop.send(ConnectionID(UInt64(console)), text)
            case .pushToAllConsoles(let text):
                for console in consoles { loop.send(console, text) }
            case .schedule(let timer, let afterMs):
                loop.schedule(afterMs: afterMs) { [unowned self] in
                    self.execute(self.simulator.timerFired(timer, nowMs: Self.now()))
                }
            }
        }
    }

    static func now() -> Int64 { LoopClock.wallMs() }
}
