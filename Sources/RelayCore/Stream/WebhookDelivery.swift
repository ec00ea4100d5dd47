import HTTPModel
import RelayCrypto
import RelayJSON
import RelayStore

/// Builds the POSTs of integrators' webhook subscriptions. Pure; the shell
/// reads the log, sends, and moves the subscription's cursor on a 2xx.
///
/// Body `{"subscription","epoch","events":[…stream event envelopes…]}`.
/// `X-Relay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
/// — the timestamp is signed too, so a receiver can refuse old replays.
/// `X-Relay-Delivery: <name>:<first offset>-<last offset>` is the same for
/// every retry of a batch: receivers dedupe on it (delivery is at least once).
public enum WebhookDelivery {
    public static func request(_ subscription: WebhookSubscriptionSettings, events: [StoredEvent], epoch: String, nowSeconds: Int64) -> OutboundRequest {
        let body = JSONValue.object([
            "subscription": .string(subscription.name), "epoch": .string(epoch),
            "events": .array(events.map(StreamFrame.envelope)),
        ]).serializedBytes
        let first = events.first?.offset ?? 0, last = events.last?.offset ?? 0
        return OutboundRequest(method: "POST", url: subscription.url, headers: [
            "content-type": "application/json",
            "x-relay-signature": signature(body: body, secret: subscription.secret, timestamp: nowSeconds),
            "x-relay-delivery": "\(subscription.name):\(first)-\(last)",
        ], body: body, timeoutMs: subscription.timeoutMs)
    }

    public static func signature(body: [UInt8], secret: [UInt8], timestamp: Int64) -> String {
        let mac = Crypto.hmacSHA256(key: secret, message: Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=" + hex(mac)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Which events of `page` (read after the cursor) go in the next POST, and
    /// where the cursor stands once it is accepted: past the last event sent,
    /// or past the whole page when none of it matched.
    public static func nextBatch(_ page: [StoredEvent], filter: StreamFilter, batchSize: Int) -> (events: [StoredEvent], cursor: Int64?) {
        var batch: [StoredEvent] = []
        for event in page {
            if filter.matches(event) {
                batch.append(event)
                if batch.count == batchSize { return (batch, event.offset) }
            }
        }
        return (batch, page.last?.offset)
    }
}
