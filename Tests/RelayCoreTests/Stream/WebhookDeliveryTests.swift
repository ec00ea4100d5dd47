import HTTPModel
import RelayCrypto
import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// The POSTs of integrators' webhook subscriptions: body, signature, delivery id, batching.
@Suite struct WebhookDeliveryTests {
    let secret = Array("whsec-123".utf8)

    var subscription: WebhookSubscriptionSettings {
        WebhookSubscriptionSettings(name: "crm", url: HTTPURL("https://hooks.example.com/relay")!, secret: secret,
                                    filter: StreamFilter(), batchSize: 3, timeoutMs: 4_000)
    }

    /// Lower-case hex, written independently of the code under test.
    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    /// Checks a `t=…,v1=…` header the way a receiver would; returns the timestamp when it verifies.
    func verify(_ header: String, body: [UInt8], secret: [UInt8]) -> Int64? {
        let parts = header.split(separator: ",")
        guard parts.count == 2, parts[0].hasPrefix("t="), parts[1].hasPrefix("v1="), let ts = Int64(parts[0].dropFirst(2)) else { return nil }
        let expected = hex(Crypto.hmacSHA256(key: secret, message: Array("\(ts).".utf8) + body))
        return String(parts[1].dropFirst(3)) == expected ? ts : nil
    }

    func events(_ count: Int, session: String = "s1", from first: Int64 = 1) -> [StoredEvent] {
        (0..<count).map { i in StoredEvent(offset: first + Int64(i), messageEntry(session, seq: i + 1, text: "m\(i)")) }
    }

    // MARK: signature

    @Test func hexMatchesAKnownHMACVector() {
        // RFC 4231, test case 2.
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(WebhookDelivery.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(WebhookDelivery.hex([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
        #expect(WebhookDelivery.hex([]) == "")
    }

    @Test func theSignatureIsTimestampAndHMACOfTimestampDotBody() {
        let body = Array(#"{"a":1}"#.utf8)
        let header = WebhookDelivery.signature(body: body, secret: secret, timestamp: 1_700_000_000)
        let mac = Crypto.hmacSHA256(key: secret, message: Array(#"1700000000.{"a":1}"#.utf8))
        #expect(header == "t=1700000000,v1=" + hex(mac))
        #expect(header.count == "t=1700000000,v1=".count + 64)
        #expect(verify(header, body: body, secret: secret) == 1_700_000_000)
    }

    @Test func theSignatureCoversTheTimestampTheBodyAndTheSecret() {
        let body = Array(#"{"a":1}"#.utf8)
        let base = WebhookDelivery.signature(body: body, secret: secret, timestamp: 100)
        let v1 = { (header: String) in header.split(separator: ",")[1] }
        #expect(v1(WebhookDelivery.signature(body: body, secret: secret, timestamp: 101)) != v1(base))
        #expect(WebhookDelivery.signature(body: Array(#"{"a":2}"#.utf8), secret: secret, timestamp: 100) != base)
        #expect(WebhookDelivery.signature(body: body, secret: Array("other".utf8), timestamp: 100) != base)
        #expect(verify(base, body: Array(#"{"a":2}"#.utf8), secret: secret) == nil)
        #expect(verify(base, body: body, secret: Array("other".utf8)) == nil)
    }

    // MARK: the request

    @Test func theRequestCarriesTheBatchSignedWithADeliveryId() throws {
        let batch = events(3, from: 41)
        let request = WebhookDelivery.request(subscription, events: batch, epoch: "e1", nowSeconds: 1_700_000_123)
        #expect(request.method == "POST")
        #expect(request.url.description == "https://hooks.example.com/relay")
        #expect(request.timeoutMs == 4_000)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["x-relay-delivery"] == "crm:41-43")
        #expect(request.headers.count == 3)
        let signature = try #require(request.headers["x-relay-signature"])
        #expect(verify(signature, body: request.body, secret: secret) == 1_700_000_123)
        #expect(request.jsonBody == [
            "subscription": "crm", "epoch": "e1", "events": .array(batch.map(StreamFrame.envelope)),
        ])
        #expect(request.jsonBody?["events"]?.arrayValue?.map { $0["offset"] } == [41, 42, 43])
    }

    @Test func aRetryOfTheSameBatchHasTheSameDeliveryIdAndBody() {
        let batch = events(2, from: 7)
        let first = WebhookDelivery.request(subscription, events: batch, epoch: "e1", nowSeconds: 1_000)
        let retry = WebhookDelivery.request(subscription, events: batch, epoch: "e1", nowSeconds: 1_060)
        #expect(first.headers["x-relay-delivery"] == retry.headers["x-relay-delivery"])
        #expect(first.body == retry.body)
        #expect(first.headers["x-relay-signature"] != retry.headers["x-relay-signature"], "signed with the time of sending")
        #expect(verify(retry.headers["x-relay-signature"] ?? "", body: retry.body, secret: secret) == 1_060)
    }

    @Test func anEmptyBatchIsDeliveryZeroToZero() {
        let request = WebhookDelivery.request(subscription, events: [], epoch: "e9", nowSeconds: 5)
        #expect(request.headers["x-relay-delivery"] == "crm:0-0")
        #expect(request.jsonBody == ["subscription": "crm", "epoch": "e9", "events": []])
    }

    // MARK: batching

    @Test func anEmptyPageLeavesTheCursorAlone() {
        let (batch, cursor) = WebhookDelivery.nextBatch([], filter: StreamFilter(), batchSize: 3)
        #expect(batch.isEmpty)
        #expect(cursor == nil)
    }

    @Test func aPageWithNoMatchMovesTheCursorToItsEnd() {
        let page = events(5, session: "other", from: 10)
        let (batch, cursor) = WebhookDelivery.nextBatch(page, filter: StreamFilter(sessions: ["s1"]), batchSize: 3)
        #expect(batch.isEmpty)
        #expect(cursor == 14)
    }

    @Test func aFullBatchStopsTheCursorAtTheLastEventSent() {
        let page = events(8, from: 1)
        let (batch, cursor) = WebhookDelivery.nextBatch(page, filter: StreamFilter(), batchSize: 3)
        #expect(batch == Array(page.prefix(3)))
        #expect(cursor == 3)
    }

    @Test func aPartlyMatchingPageSkipsWhatDoesNotMatch() {
        // Offsets 1–6: s1, other, s1, other, other, s1.
        let sessions = ["s1", "other", "s1", "other", "other", "s1"]
        let page = sessions.enumerated().map { i, s in StoredEvent(offset: Int64(i + 1), messageEntry(s, seq: i + 1)) }
        let filter = StreamFilter(sessions: ["s1"])
        // Batch of 2: full at offset 3; the cursor stops there so offset 6 goes in the next batch.
        var (batch, cursor) = WebhookDelivery.nextBatch(page, filter: filter, batchSize: 2)
        #expect(batch.map(\.offset) == [1, 3])
        #expect(cursor == 3)
        // The rest of the page: one match, batch not full, cursor past the whole page.
        (batch, cursor) = WebhookDelivery.nextBatch(Array(page.dropFirst(3)), filter: filter, batchSize: 2)
        #expect(batch.map(\.offset) == [6])
        #expect(cursor == 6)
        // A trailing non-match after a partial batch is consumed too.
        (batch, cursor) = WebhookDelivery.nextBatch(Array(page.prefix(5)), filter: filter, batchSize: 10)
        #expect(batch.map(\.offset) == [1, 3])
        #expect(cursor == 5)
    }

    @Test func aBatchIsExactlyFullAtTheEndOfThePage() {
        let page = events(3, from: 20)
        let (batch, cursor) = WebhookDelivery.nextBatch(page, filter: StreamFilter(), batchSize: 3)
        #expect(batch == page)
        #expect(cursor == 22)
    }
}
