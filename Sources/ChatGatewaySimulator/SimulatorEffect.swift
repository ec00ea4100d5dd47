import HTTPModel

/// Something the host must do on the simulator's behalf.
///
/// The simulator is a pure value: it never opens sockets or reads clocks. It
/// describes I/O as effects and the host executes them, which keeps the whole
/// fake 8x8 testable with plain function calls.
public enum SimulatorEffect: Sendable, Equatable {
    /// POST this webhook, then report the outcome via `webhookCompleted(deliveryId:result:nowMs:)`.
    /// Each attempt (including retries) has its own `deliveryId`.
    case deliverWebhook(deliveryId: Int, OutboundRequest)
    /// Send one WebSocket text frame to one agent console.
    case pushToConsole(consoleId: Int, text: String)
    /// Send one WebSocket text frame to every open agent console.
    case pushToAllConsoles(text: String)
    /// Call `timerFired(_:nowMs:)` with this id after `afterMs` milliseconds.
    case schedule(timerId: Int, afterMs: Int)
}

/// The answer to one HTTP request plus the I/O it triggered.
///
/// Returned together so the host can send the response and run the effects in
/// one step, preserving the order the simulator chose.
public struct SimulatorOutput: Sendable, Equatable {
    /// The HTTP response to send back to the caller.
    public var response: HTTPResponse
    /// Effects to run after (or while) sending the response, in order.
    public var effects: [SimulatorEffect]

    /// Bundles a response with its effects.
    public init(response: HTTPResponse, effects: [SimulatorEffect] = []) {
        self.response = response
        self.effects = effects
    }
}

extension SimulatorEffect {
    /// The webhook request carried by a `.deliverWebhook` effect, for tests and logging.
    public var webhookRequest: OutboundRequest? {
        if case .deliverWebhook(_, let request) = self { return request }
        return nil
    }

    /// The delivery id of a `.deliverWebhook` effect.
    public var deliveryId: Int? {
        if case .deliverWebhook(let id, _) = self { return id }
        return nil
    }

    /// The text of a console push (to one or to all consoles).
    public var consoleText: String? {
        switch self {
        case .pushToConsole(_, let text), .pushToAllConsoles(let text): return text
        default: return nil
        }
    }
}
