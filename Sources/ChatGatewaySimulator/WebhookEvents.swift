import HTTPModel
import RelayJSON

/// The webhook payloads 8x8's Chat Gateway sends, built from conversation state.
///
/// Kept in one place so the exact event shapes (which the relay's parser is
/// tested against) are easy to compare with the 8x8 notes.
enum WebhookPayload {
    /// The envelope every event shares: `{eventType, conversationId, timestamp (ms), data}`.
    static func envelope(_ eventType: String, conversationId: String, timestampMs: Int64, data: JSONValue) -> JSONValue {
        [
            "eventType": .string(eventType),
            "conversationId": .string(conversationId),
            "timestamp": JSONValue(timestampMs),
            "data": data,
        ]
    }

    /// `CONVERSATION_UPDATE`: the state, the current assignment, the user and the channel.
    static func conversationUpdate(_ conversation: SimulatedConversation) -> JSONValue {
        [
            "state": .string(conversation.gatewayState),
            "assignment": conversation.assignmentJSON,
            "user": .object(conversation.user),
            "channel": conversation.channelJSON,
        ]
    }

    /// `QUEUED`: which queue the conversation now waits in.
    static func queued(_ conversation: SimulatedConversation) -> JSONValue {
        ["queueId": .string(conversation.queueId), "queueName": .string(conversation.queueName)]
    }

    /// `MEMBERS_CHANGED` for an agent joining or leaving.
    static func agentMembership(_ change: String, agentId: String) -> JSONValue {
        ["memberType": "agent", "change": .string(change), "id": .string(agentId)]
    }

    /// `MEMBERS_CHANGED` for the end user leaving (the integration removed them).
    static let userLeft: JSONValue = ["memberType": "user", "change": "left"]

    /// `MESSAGE`: `isEcho` marks messages the integration posted itself.
    static func message(_ message: SimulatedConversation.Message, isEcho: Bool) -> JSONValue {
        [
            "messageId": .string(message.id),
            "isEcho": .bool(isEcho),
            "sender": ["id": .string(message.authorId), "type": .string(message.authorType)],
            "text": .string(message.text),
            "attachments": .array(message.attachments),
            "cards": .array(message.cards),
        ]
    }

    /// `ACTIVITY` typing: the typing agent, or an empty list when they stopped.
    static func agentTyping(agentId: String, active: Bool) -> JSONValue {
        let users: [JSONValue] = active ? [["id": .string(agentId), "type": "agent"]] : []
        return ["name": "typing", "value": ["users": .array(users)]]
    }

    /// The POST the host makes for one attempt, with 8x8's webhook
    /// authenticity headers; signed when the simulator has a signer.
    static func request(for attempt: WebhookAttempt, settings: SimulatorSettings, signer: (any WebhookSigner)?,
                        nowMs: Int64) -> OutboundRequest {
        var headers = [
            "content-type": "application/json",
            "x-8x8-tenant-id": settings.tenantId,
            "x-8x8-customer-id": settings.customerId,
            "x-8x8-event-id": attempt.event.eventId,
            "x-8x8-transmission-time": String(nowMs),
            "x-8x8-retry": String(attempt.retry),
        ]
        if let signer {
            headers["x-8x8-signature"] = WebhookSignatureHeader.make(signer: signer, body: attempt.event.body, headers: headers)
        }
        return OutboundRequest(method: "POST", url: settings.webhookURL, headers: headers, body: attempt.event.body,
                               timeoutMs: settings.webhookTimeoutMs)
    }
}

extension ChatGatewaySimulator {
    /// Queues a webhook event and starts its delivery when its conversation
    /// has nothing pending and a delivery slot is free.
    mutating func emit(_ eventType: String, conversationId: String, data: JSONValue, nowMs: Int64,
                       into effects: inout [SimulatorEffect]) {
        let body = WebhookPayload.envelope(eventType, conversationId: conversationId, timestampMs: nowMs, data: data)
        let event = WebhookEvent(eventId: ids.next(nowMs: nowMs), eventType: eventType,
                                 conversationId: conversationId, body: body.serializedBytes)
        stats.webhooksEnqueued += 1
        if let attempt = outbox.enqueue(event) { effects.append(deliver(attempt, nowMs: nowMs)) }
    }

    /// The effect for one attempt, counted in the stats.
    mutating func deliver(_ attempt: WebhookAttempt, nowMs: Int64) -> SimulatorEffect {
        stats.webhookAttempts += 1
        return .deliverWebhook(deliveryId: attempt.deliveryId,
                               WebhookPayload.request(for: attempt, settings: settings, signer: signer, nowMs: nowMs))
    }

    /// Handles the host's report on an attempt (a retry timer for its
    /// conversation, or give-up) and hands the freed slot to the next waiting event.
    mutating func completeDelivery(deliveryId: Int, result: OutboundResult, nowMs: Int64) -> [SimulatorEffect] {
        let maxAttempts = settings.webhookMaxAttempts
        let outcome = outbox.complete(deliveryId: deliveryId, success: result.isSuccess, maxAttempts: maxAttempts,
                                      retryDelayMs: { [settings] in settings.retryDelayMs(afterFailedAttempts: $0) })
        var effects: [SimulatorEffect] = []
        let next: WebhookAttempt?
        switch outcome {
        case .ignored:
            return []
        case .delivered(let started):
            stats.webhooksDelivered += 1
            next = started
        case .retryLater(let event, let afterMs, let started):
            stats.webhookFailures += 1
            pushDeliveryFailure(event, result: result, gaveUp: false, into: &effects)
            let timer = addTimer(.webhookRetry(conversationId: event.conversationId))
            effects.append(.schedule(timerId: timer, afterMs: afterMs))
            next = started
        case .gaveUp(let event, let started):
            stats.webhookFailures += 1
            stats.webhooksDropped += 1
            pushDeliveryFailure(event, result: result, gaveUp: true, into: &effects)
            next = started
        }
        if let next { effects.append(deliver(next, nowMs: nowMs)) }
        return effects
    }

    private func pushDeliveryFailure(_ event: WebhookEvent, result: OutboundResult, gaveUp: Bool,
                                     into effects: inout [SimulatorEffect]) {
        var error: JSONValue = .null
        if case .transportError(let reason) = result { error = .string(reason) }
        pushToAll(ConsoleMessage.delivery(event, status: result.status, error: error, gaveUp: gaveUp), into: &effects)
    }
}
