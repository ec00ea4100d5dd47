import RelayJSON

/// Where a handover to a human stands. Terminal states hand the user back to the bot.
public enum HandoverState: Equatable, Sendable {
    /// The relay is creating the 8x8 conversation.
    case requested(queueID: String)
    /// 8x8 put the conversation in a queue.
    case queued(queueID: String, queueName: String?)
    /// An agent joined.
    case active(agentID: String)
    /// The agent transferred the conversation; a new agent will join.
    case transferred
    case ended(by: Author)
    case cancelled
    case failed(reason: String)

    public var isTerminal: Bool {
        switch self {
        case .ended, .cancelled, .failed: true
        case .requested, .queued, .active, .transferred: false
        }
    }

    /// The protocol name (`handover.state`).
    public var name: String {
        switch self {
        case .requested: "requested"
        case .queued: "queued"
        case .active: "active"
        case .transferred: "transferred"
        case .ended: "ended"
        case .cancelled: "cancelled"
        case .failed: "failed"
        }
    }

    /// The state's own fields as they appear on the wire.
    public var wireFields: [String: JSONValue] {
        var fields: [String: JSONValue] = ["state": .string(name)]
        switch self {
        case .requested(let queue): fields["queueId"] = .string(queue)
        case .queued(let queue, let name):
            fields["queueId"] = .string(queue)
            fields["queueName"] = JSONValue(name)
        case .active(let agent): fields["agentId"] = .string(agent)
        case .ended(let by): fields["by"] = .string(by.rawValue)
        case .failed(let reason): fields["reason"] = .string(reason)
        case .transferred, .cancelled: break
        }
        return fields
    }
}
