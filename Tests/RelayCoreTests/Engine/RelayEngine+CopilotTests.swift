import CopilotAnalyzers
import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

/// The copilot feed (`handover.copilot.v1`) driven through the engine, without sockets.
@Suite struct RelayEngineCopilotTests {
    let question = "Can I return my jacket and get a refund?"
    let returnsAnswer = script.faqs[2].answer

    /// A session with a handover requested (events 1–6, see `requestAgentWithLink`) and its copilot link token.
    private func started() throws -> (EngineHarness, ConnectionID, String) {
        var h = EngineHarness(config: copilotTestConfig())
        let c1 = h.connect(1)
        let token = try h.requestAgentWithToken(c1)
        return (h, c1, token)
    }

    private func pos(_ text: String) -> Int? { json(text)["pos"]?.intValue }
    private func type(_ text: String) -> String? { json(text)["type"]?.stringValue }

    // MARK: the link

    @Test func theCreateRequestCarriesASignedLinkForTheSession() throws {
        var h = EngineHarness(config: copilotTestConfig())
        let url = try h.requestAgentWithLink(h.connect(1))
        #expect(url.hasPrefix("http://localhost:8080/copilot/?"))
        let query = linkQuery(url)
        #expect(query["sessionId"] == "s1")
        #expect(query["userId"] == "s1")
        let token = try #require(query["URLToken"])
        try CopilotToken.verify(token, sessionID: SessionID("s1"), role: "agent", nowSeconds: t0 / 1000, secret: devSecret)
    }

    // MARK: snapshot

    @Test func subscribeSendsTheWholeWorkspace() throws {
        var (h, _, token) = try started()
        // Until someone watches, the feed records nothing and no tile is computed.
        #expect(h.s1.copilot.pos == 0)
        #expect(h.s1.copilot.tiles.isEmpty)
        #expect(h.engine.workspaces[h.s1.id] == nil)

        let (w, effects) = h.watch(101, token: token)
        try #require(effects.count == 1)
        let texts = effects.texts(to: w)
        try #require(texts.count == 1)
        let snapshot = json(texts[0])
        #expect(snapshot["type"] == "snapshot")
        #expect(snapshot["pos"] == 6)  // the 6 built-in tiles, computed on subscribe
        #expect(h.s1.copilot.pos == 6)
        #expect(h.s1.copilot.watchers == [w])
        #expect(snapshot["session"] == ["id": "s1", "user": ["name": "Ada"]])
        #expect(snapshot["layout"] == CopilotLayout.default.json)
        // The latest handover event, with its seq and ts.
        #expect(snapshot["handover"] == ["state": "requested", "queueId": "q", "seq": 6, "ts": JSONValue(t0)])

        // The bot part of the conversation is in the transcript.
        #expect(snapshot["transcript"] == [
            ["seq": 1, "from": "bot", "text": .string(greetingForAda), "ts": JSONValue(t0)],
            ["seq": 2, "from": "user", "text": .string(question), "ts": JSONValue(t0)],
            ["seq": 3, "from": "bot", "text": .string(returnsAnswer), "ts": JSONValue(t0)],
            ["seq": 4, "from": "user", "text": "I want an agent", "ts": JSONValue(t0)],
            ["seq": 5, "from": "bot", "text": .string(script.handoverReply), "ts": JSONValue(t0)],
        ])

        let tiles = try #require(snapshot["tiles"]?.arrayValue)
        #expect(tiles.map { $0["id"]?.stringValue } == ["identity", "summary", "sentiment", "transcript", "knowledge", "next-best-action"])
        for tile in tiles {
            let id = try #require(tile["id"]?.stringValue)
            #expect(tile["kind"] == .string(id))
            #expect(tile["source"] == "builtin")
            #expect(tile["updatedAt"] == JSONValue(t0))
            #expect(tile["position"] == CopilotLayout.default.tiles[id]?.json)
            #expect(tile["title"] == .string(CopilotTile.builtins.first { $0.id == id }!.title))
        }
        let byID = Dictionary(uniqueKeysWithValues: tiles.map { ($0["id"]!.stringValue!, $0["data"]!) })
        #expect(byID["identity"] == [
            "user": ["name": "Ada"],
            "properties": [["key": "relaySessionId", "value": "s1"]],
            "handover": ["state": "requested", "queueId": "q", "conversationId": nil, "channelId": "c"],
        ])
        #expect(byID["transcript"] == ["count": 5])
        #expect(byID["knowledge"]?["suggestions"]?.arrayValue?.first?["id"] == "returns")
        #expect(byID["knowledge"]?["suggestions"]?.arrayValue?.first?["source"] == "kb/returns.md")
        #expect(byID["sentiment"]?["messages"]?.arrayValue?.map { $0["seq"] } == [2, 4])
        #expect(byID["summary"]?["intent"] != nil)
        #expect(byID["summary"]?["entities"] != nil)
        #expect(byID["next-best-action"]?["actions"]?.arrayValue != nil)

        // The stored tiles are what the snapshot showed.
        #expect(h.s1.copilot.orderedTiles.map(\.json) == tiles)
    }

    @Test func snapshotBeforeAnyHandoverHasNullHandover() throws {
        var h = EngineHarness(config: copilotTestConfig())
        _ = h.hello(h.connect(1))
        let token = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 60, secret: devSecret)
        let (w, effects) = h.watch(101, token: token)
        let snapshot = json(try #require(effects.texts(to: w).first))
        #expect(snapshot["handover"] == .null)
        #expect(snapshot["pos"] == 6)  // the 6 tiles; the greeting is only in the snapshot's transcript
        #expect(snapshot["transcript"]?.arrayValue?.count == 1)
        #expect(snapshot["tiles"]?.arrayValue?.first?["data"]?["handover"] == [:])
        #expect(snapshot["tiles"]?.arrayValue?.first?["data"]?["properties"] == [])
    }

    @Test func lastPosZeroGetsASnapshotWhenTheFeedStartedAfterTheBotPart() throws {
        // The messages before the first handover were never feed frames: only a snapshot carries them.
        var (h, _, token) = try started()
        let (w, effects) = h.watch(101, token: token, lastPos: 0)
        let texts = effects.texts(to: w)
        #expect(texts.map(type) == ["snapshot"])
        #expect(json(texts[0])["transcript"]?.arrayValue?.count == 5)
        #expect(h.s1.copilot.resumeFloor == 1)
    }

    @Test func lastPosOneResumesWithEveryLaterFrame() throws {
        var (h, _, token) = try started()
        let (first, _) = h.watch(101, token: token)  // records the 6 tiles
        h.engine.copilotDisconnected(first)
        let (w, effects) = h.watch(102, token: token, lastPos: 1)
        let texts = effects.texts(to: w)
        #expect(texts.first == CopilotFrame.resumed(pos: 6))
        #expect(texts.dropFirst().map(pos) == Array(2...6))
        #expect(texts.dropFirst().map(type) == Array(repeating: "tile", count: 5))
    }

    // MARK: live frames

    @Test func laterEventsReachEveryWatcherWithConsecutivePositions() throws {
        var (h, c1, token) = try started()
        let (a, _) = h.watch(101, token: token)
        let (b, subscribeB) = h.watch(102, token: token)
        #expect(subscribeB.texts(to: a) == [])  // tiles were current: nothing new for A
        #expect(subscribeB.texts(to: b).map(type) == ["snapshot"])
        #expect(h.s1.copilot.watchers == [a, b])
        let start = h.s1.copilot.pos

        var effects = h.complete(CallID(1), status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        #expect(effects.texts(to: a) == [])  // no session event, no frame

        // QUEUED: a handover frame, then the identity tile that shows it.
        effects = h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"]).1
        var toA = effects.texts(to: a)
        #expect(toA.first == CopilotFrame.handover(pos: start + 1, SessionEvent(seq: 7, ts: t0, kind: .handover(.queued(queueID: "q", queueName: "Support")))))
        // The chat event's own fields, seq and ts included.
        var chatFields = json(try #require(effects.texts(to: c1).first)).objectValue!
        chatFields["type"] = nil
        #expect(json(try #require(toA.first))["handover"] == .object(chatFields))
        let identity = try #require(toA.map(json).first { $0["type"] == "tile" && $0["tile"]?["id"] == "identity" })
        #expect(identity["tile"]?["data"]?["handover"] == ["state": "queued", "queueId": "q", "queueName": "Support", "conversationId": "X", "channelId": "c"])
        var all = effects

        // The agent joins, the user writes, the agent answers, the agent leaves.
        all += h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"]).1
        effects = h.say(c1, "m3", "The zip on my jacket broke after two days")
        let userFrames = effects.texts(to: a)
        #expect(userFrames.first.map(type) == "transcript")
        #expect(json(userFrames[0])["message"] == ["seq": 9, "from": "user", "text": "The zip on my jacket broke after two days", "ts": JSONValue(t0)])
        #expect(userFrames.dropFirst().allSatisfy { type($0) == "tile" })
        #expect(userFrames.contains { json($0)["tile"]?["id"] == "transcript" && json($0)["tile"]?["data"] == ["count": 6] })
        all += effects
        effects = h.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "Sorry! I'll send a replacement."]).1
        #expect(json(effects.texts(to: a)[0])["message"]
                == ["seq": 10, "from": "agent", "text": "Sorry! I'll send a replacement.", "ts": JSONValue(t0), "agentId": "ag1"])
        all += effects
        all += h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"]).1

        toA = all.texts(to: a)
        let toB = all.texts(to: b)
        #expect(toA == toB)
        #expect(toA.map(pos) == Array((start + 1)...h.s1.copilot.pos))
        #expect(Set(toA.compactMap(type)) == ["handover", "transcript", "tile"])
        #expect(toA.map(json).filter { $0["type"] == "handover" }.map { $0["handover"]?["state"] } == ["queued", "active", "ended"])
        // Each frame goes to A, then B, before the next frame.
        let copilotSends = all.compactMap { effect -> ConnectionID? in
            if case .send(let c, _) = effect, c == a || c == b { return c } else { return nil }
        }
        #expect(copilotSends == Array(repeating: [a, b], count: toA.count).flatMap { $0 })
        // The chat connection gets chat frames only.
        #expect(all.texts(to: c1).allSatisfy { json($0)["pos"] == nil })
    }

    // MARK: resume

    @Test func resumeInsideTheWindowSendsExactlyTheMissedFrames() throws {
        var (h, c1, token) = try started()
        let (a, _) = h.watch(101, token: token)
        let (b, _) = h.watch(102, token: token)
        let lastPos = h.s1.copilot.pos
        h.engine.copilotDisconnected(a)

        h.agentJoins()
        var missed = [RelayEffect]()
        missed += h.say(c1, "m3", "Still waiting for my refund")
        missed += h.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "Let me check."]).1
        let seenByB = missed.texts(to: b)
        #expect(!seenByB.isEmpty)

        // A reconnects (a new connection) and resumes.
        let (a2, effects) = h.watch(103, token: token, lastPos: lastPos)
        #expect(effects.texts(to: b) == [])
        let texts = effects.texts(to: a2)
        #expect(texts.first == CopilotFrame.resumed(pos: h.s1.copilot.pos))
        let replay = Array(texts.dropFirst())
        #expect(replay.map(pos) == Array((lastPos + 1)...h.s1.copilot.pos))
        // B, which stayed connected, saw these frames too, from after the agent joined.
        #expect(replay.suffix(seenByB.count) == ArraySlice(seenByB))
        #expect(h.s1.copilot.watchers == [b, a2])
    }

    @Test func resumeAtTheNewestPositionSendsOnlyResumed() throws {
        var (h, _, token) = try started()
        let (a, _) = h.watch(101, token: token)
        let lastPos = h.s1.copilot.pos
        h.engine.copilotDisconnected(a)
        let (a2, effects) = h.watch(102, token: token, lastPos: lastPos)
        #expect(effects == [.send(a2, CopilotFrame.resumed(pos: lastPos))])
    }

    @Test func resumeAfterNobodyWatchedBringsTheTilesUpToDateAfterTheMissedFrames() throws {
        var (h, c1, token) = try started()
        let (a, _) = h.watch(101, token: token)
        let lastPos = h.s1.copilot.pos
        h.engine.copilotDisconnected(a)
        h.agentJoins()
        _ = h.say(c1, "m3", "Hello?")
        // Nobody watched: one frame per event (queued, active, message), the tiles are stale.
        #expect(h.s1.copilot.pos == lastPos + 3)
        #expect(h.s1.copilot.tiles["transcript"]?.data == ["count": 5])

        let (a2, effects) = h.watch(102, token: token, lastPos: lastPos)
        let texts = effects.texts(to: a2)
        #expect(texts.first == CopilotFrame.resumed(pos: h.s1.copilot.pos))
        #expect(texts.dropFirst().map(pos) == Array((lastPos + 1)...h.s1.copilot.pos))
        #expect(texts.dropFirst().prefix(3).map(type) == ["handover", "handover", "transcript"])
        #expect(texts.dropFirst(4).allSatisfy { type($0) == "tile" })
        #expect(texts.contains { json($0)["tile"]?["id"] == "transcript" && json($0)["tile"]?["data"] == ["count": 6] })
        #expect(h.s1.copilot.tiles["transcript"]?.data == ["count": 6])
    }

    @Test func lastPosFromTheFutureGetsASnapshot() throws {
        var (h, _, token) = try started()
        let (w, effects) = h.watch(101, token: token, lastPos: 1_000)
        #expect(effects.texts(to: w).map(type) == ["snapshot"])
        #expect(json(effects.texts(to: w)[0])["pos"] == 6)
    }

    @Test func lastPosOfTheFramesMadeForThisSubscribeGetsASnapshot() throws {
        // E.g. a page from before a restart: the new feed has not recorded anything yet, and
        // the subscribe's own tile frames bring it to exactly the page's old position.
        var (h, _, token) = try started()
        let (w, effects) = h.watch(101, token: token, lastPos: 6)
        #expect(h.s1.copilot.pos == 6)
        #expect(effects.texts(to: w).map(type) == ["snapshot"])
    }

    @Test func lastPosOlderThanTheWindowGetsASnapshot() throws {
        var (h, c1, token) = try started()
        let (first, _) = h.watch(100, token: token)
        h.engine.copilotDisconnected(first)
        h.agentJoins()
        // Nobody watches: each event is one feed frame for one resume window, then none.
        for i in 0...(CopilotFeed.resumeWindow * 2) { _ = h.say(c1, "x\(i)", "message \(i)") }
        let pos = h.s1.copilot.pos
        #expect(pos == 6 + CopilotFeed.resumeWindow)
        #expect(!h.s1.copilot.isRecording)

        let (w, effects) = h.watch(101, token: token, lastPos: 3)
        let texts = effects.texts(to: w)
        try #require(texts.count == 1)
        let snapshot = json(texts[0])
        #expect(snapshot["type"] == "snapshot")
        #expect(snapshot["pos"] == JSONValue(h.s1.copilot.pos))
        #expect(snapshot["transcript"]?.arrayValue?.count == h.s1.log.messages.count)

        // A resume near the head still works.
        let (w2, more) = h.watch(102, token: token, lastPos: h.s1.copilot.pos - 1)
        #expect(more.texts(to: w2).count == 2)
        #expect(more.texts(to: w2).first == CopilotFrame.resumed(pos: h.s1.copilot.pos))
    }

    // MARK: refusals

    /// A second session ("s3", chat connection 2) exists in every refusal case.
    @Test(arguments: [
        ("forged", "this copilot link is not valid"),
        ("garbage", "this copilot link is not valid"),
        ("empty", "this copilot link is not valid"),
        ("expired", "this copilot link has expired; open the conversation's link again"),
        ("other session", "this copilot link is for another conversation"),
        ("viewer role", "this token cannot open a copilot page"),
        ("integrator token", "this copilot link is for another conversation"),
    ])
    func badTokenIsRefusedWithNothingAboutTheSession(kind: String, message: String) throws {
        var (h, c1, validToken) = try started()
        _ = h.hello(h.connect(2), name: "Bea")
        let s1 = SessionID("s1")
        let token: String
        switch kind {
        case "forged": token = CopilotToken.sign(sessionID: s1, role: "agent", expiresAt: t0 / 1000 + 60, secret: Array("not-the-secret".utf8))
        case "garbage": token = "garbage"
        case "empty": token = ""
        case "expired": token = CopilotToken.sign(sessionID: s1, role: "agent", expiresAt: t0 / 1000, secret: devSecret)
        case "other session": token = CopilotToken.sign(sessionID: SessionID("s3"), role: "agent", expiresAt: t0 / 1000 + 60, secret: devSecret)
        case "viewer role": token = CopilotToken.sign(sessionID: s1, role: "viewer", expiresAt: t0 / 1000 + 60, secret: devSecret)
        default: token = IntegratorToken(subject: "s1", scopes: ["copilot:tiles"], sessions: ["s1"], expiresAt: t0 / 1000 + 60).sign(secret: devSecret)
        }
        #expect(token != validToken)
        let before = h.s1.copilot

        let (w, effects) = h.watch(101, session: "s1", token: token)
        #expect(effects == [
            .send(w, CopilotFrame.error(code: "bad_token", message: message)),
            .close(w, code: 4401, reason: "bad_token"),
        ])
        for text in effects.texts(to: w) {
            for secret in ["Ada", "s1", "jacket", "refund", "requested"] {
                #expect(!text.contains(secret))
            }
        }
        // Not a watcher; the feed is untouched; later events do not reach it.
        #expect(h.s1.copilot == before)
        #expect(h.s1.copilot.watchers.isEmpty)
        #expect(h.say(c1, "m3", "hello?").texts(to: w) == [])
    }

    @Test func aLinkForOneSessionDoesNotOpenAnother() throws {
        var (h, _, s1Token) = try started()
        _ = h.hello(h.connect(2), name: "Bea")  // session s3
        let (w, effects) = h.watch(101, session: "s3", token: s1Token)
        #expect(effects == [
            .send(w, CopilotFrame.error(code: "bad_token", message: "this copilot link is for another conversation")),
            .close(w, code: 4401, reason: "bad_token"),
        ])
        #expect(h.engine.session(SessionID("s3"))?.copilot.watchers.isEmpty == true)
    }

    @Test func unknownSessionWithAValidTokenForIt() throws {
        var (h, _, _) = try started()
        let token = CopilotToken.sign(sessionID: SessionID("gone"), role: "agent", expiresAt: t0 / 1000 + 60, secret: devSecret)
        let (w, effects) = h.watch(101, session: "gone", token: token)
        #expect(effects == [
            .send(w, CopilotFrame.error(code: "unknown_session", message: "no such session (it may have expired)")),
            .close(w, code: 4404, reason: "unknown_session"),
        ])
    }

    /// The token is checked first: without a valid one, nobody learns whether a session id exists.
    @Test func unknownSessionWithoutAValidTokenIsABadToken() throws {
        var (h, _, s1Token) = try started()
        for token in [s1Token, "garbage", ""] {
            let (w, effects) = h.watch(101, session: "gone", token: token)
            #expect(effects.closes.map(\.1) == [4401])
            #expect(json(try #require(effects.texts(to: w).first))["code"] == "bad_token")
            h.engine.copilotDisconnected(w)
        }
    }

    @Test(arguments: [#"{"type":"subscribe","sessionId":"s1"}"#, #"{"type":"subscribe","sessionId":"s1","token":null}"#,
                      #"{"type":"subscribe","sessionId":"gone"}"#])
    func missingTokenIsABadToken(text: String) throws {
        var (h, _, _) = try started()
        let w = ConnectionID(101)
        h.engine.copilotConnected(w)
        #expect(h.engine.copilotFrame(w, text: text, now: h.now) == [
            .send(w, CopilotFrame.error(code: "bad_token", message: "this copilot link is not valid")),
            .close(w, code: 4401, reason: "bad_token"),
        ])
    }

    @Test func aSessionForgottenWhileWatchedClosesItsWatchers() throws {
        var h = EngineHarness(config: copilotTestConfig())
        let c1 = h.connect(1)
        _ = h.hello(c1)
        h.engine.chatDisconnected(c1)
        let token = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 3600, secret: devSecret)
        let (a, _) = h.watch(101, token: token)
        let (b, _) = h.watch(102, token: token)
        let effects = h.engine.sweepIdleSessions(now: h.now + Int64(h.engine.config.sessionIdleTTLSeconds) * 1000 + 1)
        let gone = CopilotFrame.error(code: "unknown_session", message: "the session has expired")
        #expect(effects.withoutLogs == [
            .send(a, gone), .close(a, code: 4404, reason: "unknown_session"),
            .send(b, gone), .close(b, code: 4404, reason: "unknown_session"),
        ])
        #expect(h.engine.session(SessionID("s1")) == nil)
        // The closed connections are forgotten too: a late frame or disconnect does nothing.
        #expect(h.subscribe(a, token: token) == [])
        h.engine.copilotDisconnected(b)
    }

    @Test(arguments: [
        "",
        "not json",
        "[]",
        #"{"type":"hello"}"#,
        #"{"type":"subscribe"}"#,
        #"{"type":"subscribe","sessionId":"s1","token":7}"#,
        #"{"type":"subscribe","sessionId":"","token":"t"}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":-1}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":"1"}"#,
    ])
    func malformedSubscribe(text: String) throws {
        var (h, _, _) = try started()
        let w = ConnectionID(101)
        h.engine.copilotConnected(w)
        let effects = h.engine.copilotFrame(w, text: text, now: h.now)
        #expect(effects == [
            .send(w, CopilotFrame.error(code: "bad_frame", message: #"expected {"type":"subscribe","sessionId":…,"token":…,"lastPos"?:n}"#)),
            .close(w, code: 4400, reason: "bad_frame"),
        ])
        #expect(h.s1.copilot.watchers.isEmpty)
    }

    @Test func aSecondFrameIsAnErrorWithoutClose() throws {
        var (h, c1, token) = try started()
        let (w, _) = h.watch(101, token: token)
        let already = CopilotFrame.error(code: "bad_frame", message: "already subscribed; this connection takes no further frames")
        #expect(h.subscribe(w, token: token) == [.send(w, already)])
        #expect(h.engine.copilotFrame(w, text: "junk", now: h.now) == [.send(w, already)])
        // Still subscribed.
        #expect(h.s1.copilot.watchers == [w])
        #expect(h.say(c1, "m3", "hello?").texts(to: w).first.map(type) == "transcript")
    }

    @Test func framesFromAConnectionThatWasNeverOpenedAreIgnored() throws {
        var (h, _, token) = try started()
        #expect(h.subscribe(ConnectionID(101), token: token) == [])
        #expect(h.s1.copilot.watchers.isEmpty)
    }

    // MARK: watchers

    @Test func disconnectRemovesTheWatcherAndStopsTileUpdates() throws {
        var (h, c1, token) = try started()
        let (w, _) = h.watch(101, token: token)
        h.engine.copilotDisconnected(w)
        #expect(h.s1.copilot.watchers.isEmpty)
        let pos = h.s1.copilot.pos
        let effects = h.say(c1, "m3", "anyone there?")
        #expect(effects.texts(to: w) == [])
        #expect(h.s1.copilot.pos == pos + 1)                             // the transcript frame, kept for resumes
        #expect(h.s1.copilot.tiles["transcript"]?.data == ["count": 5])  // not recomputed
        // A second disconnect, or one of a never-subscribed connection, is harmless.
        h.engine.copilotDisconnected(w)
        h.engine.copilotConnected(ConnectionID(102))
        h.engine.copilotDisconnected(ConnectionID(102))
        #expect(h.s1.copilot.watchers.isEmpty)
    }

    @Test func tilesAreComputedOnlyWhileSomeoneWatchesAndCaughtUpOnSubscribe() throws {
        var (h, c1, token) = try started()
        #expect(h.s1.copilot.tiles.isEmpty)
        h.agentJoins()
        _ = h.say(c1, "m3", "My parcel never arrived")
        #expect(h.s1.copilot.tiles.isEmpty)
        #expect(h.s1.copilot.pos == 0)  // never watched: nothing recorded, nothing analysed
        #expect(h.engine.workspaces[h.s1.id] == nil)

        let (w, effects) = h.watch(101, token: token)
        #expect(h.s1.copilot.pos == 6)
        #expect(h.engine.workspaces[h.s1.id]?.messageCount == 6)  // caught up from the log
        let snapshot = json(try #require(effects.texts(to: w).first))
        #expect(snapshot["pos"] == 6)
        let tiles = try #require(snapshot["tiles"]?.arrayValue)
        let transcript = try #require(tiles.first { $0["id"] == "transcript" })
        #expect(transcript["data"] == ["count": 6])
        let identity = try #require(tiles.first { $0["id"] == "identity" })
        #expect(identity["data"]?["handover"]?["state"] == "active")
        #expect(identity["data"]?["handover"]?["agentId"] == "ag1")
        #expect(identity["data"]?["handover"]?["conversationId"] == "X")
        #expect(snapshot["handover"] == ["state": "active", "agentId": "ag1", "seq": 8, "ts": JSONValue(t0)])
    }

    // MARK: what the copilot never shows

    @Test func theLinkAndItsTokenNeverReachTheCopilot() throws {
        var (h, c1, token) = try started()
        let (a, subscribe) = h.watch(101, token: token)
        var all = subscribe
        h.agentJoins()
        all += h.say(c1, "m3", "hi")
        let (_, b) = h.watch(102, token: token)
        all += b
        let texts = all.texts(to: a) + all.texts(to: ConnectionID(102))
        #expect(texts.count > 3)
        for text in texts {
            #expect(!text.contains(token))
            #expect(!text.contains("copilotUrl"))
            #expect(!text.contains("URLToken"))
        }
        let identity = try #require(h.s1.copilot.tiles["identity"])
        #expect(identity.data["properties"] == [["key": "relaySessionId", "value": "s1"]])
        #expect(!identity.json.serialized.contains("copilot"))
    }

    @Test func configuredPropertiesAppearButNotTheLink() throws {
        var config = copilotTestConfig()
        config.handovers["default"]!.properties = ["user": ["additionalProperties": [["key": "tier", "value": "gold"]]]]
        var h = EngineHarness(config: config)
        let token = try h.requestAgentWithToken(h.connect(1))
        let (w, effects) = h.watch(101, token: token)
        let identity = json(try #require(effects.texts(to: w).first))["tiles"]?.arrayValue?.first
        #expect(identity?["data"]?["properties"] == [["key": "relaySessionId", "value": "s1"], ["key": "tier", "value": "gold"]])
    }

    @Test func cardNumbersAreRedactedInTheCopilotButNotInTheChat() throws {
        var h = EngineHarness(config: copilotTestConfig())
        let c1 = h.connect(1)
        let card = "4111 1111 1111 1111"
        let token = try #require(linkQuery(try h.requestAgentWithLink(c1, question: "I paid with \(card) and want a refund"))["URLToken"])
        let (w, subscribe) = h.watch(101, token: token)
        let snapshot = try #require(subscribe.texts(to: w).first)
        #expect(!snapshot.contains(card))
        #expect(!snapshot.contains("4111111111111111"))
        #expect(json(snapshot)["transcript"]?.arrayValue?[1]["text"] == "I paid with [card ••••1111] and want a refund")

        h.agentJoins()
        let effects = h.say(c1, "m3", "It is card \(card), charged twice")
        // The chat stream keeps the user's own words.
        #expect(effects.texts(to: c1).contains(messageFrame(9, .user, "It is card \(card), charged twice", id: "m3")))
        // The copilot sees the redacted text, in the transcript and every tile.
        let copilot = effects.texts(to: w)
        #expect(json(copilot[0])["message"]?["text"] == "It is card [card ••••1111], charged twice")
        for text in copilot { #expect(!text.contains(card)) }
        #expect(!h.s1.copilot.orderedTiles.map(\.json.serialized).joined().contains(card))
    }

    @Test func redactionFollowsTheConfiguration() throws {
        var h = EngineHarness(config: copilotTestConfig(redaction: .all))
        let c1 = h.connect(1)
        let token = try #require(linkQuery(try h.requestAgentWithLink(c1, question: "Mail ada@example.com or call +44 20 7946 0958"))["URLToken"])
        let (w, effects) = h.watch(101, token: token)
        let transcript = json(try #require(effects.texts(to: w).first))["transcript"]?.arrayValue
        #expect(transcript?[1]["text"] == "Mail [email] or call [phone]")

        var plain = EngineHarness(config: copilotTestConfig(redaction: .none))
        let c2 = plain.connect(1)
        let card = "4111 1111 1111 1111"
        let plainToken = try #require(linkQuery(try plain.requestAgentWithLink(c2, question: "card \(card)"))["URLToken"])
        let (w2, plainEffects) = plain.watch(101, token: plainToken)
        #expect(json(try #require(plainEffects.texts(to: w2).first))["transcript"]?.arrayValue?[1]["text"] == .string("card \(card)"))
    }

    // MARK: the page guard

    @Test func pageWithAValidLinkIsServed() throws {
        var h = EngineHarness(config: copilotTestConfig())
        let query = linkQuery(try h.requestAgentWithLink(h.connect(1)))
        #expect(h.engine.copilotPageRefusal(query: query, now: h.now) == nil)
        // Until it expires (8 h by default).
        #expect(h.engine.copilotPageRefusal(query: query, now: h.now + 8 * 3_600_000 - 1000) == nil)
        #expect(h.engine.copilotPageRefusal(query: query, now: h.now + 8 * 3_600_000)?.status == 401)
    }

    @Test(arguments: [
        ("no sessionId", "This copilot link is incomplete (it needs sessionId and URLToken)"),
        ("no URLToken", "This copilot link is incomplete (it needs sessionId and URLToken)"),
        ("nothing", "This copilot link is incomplete (it needs sessionId and URLToken)"),
        ("garbage", "This copilot link is not valid"),
        ("forged", "This copilot link is not valid"),
        ("expired", "This copilot link has expired; open the conversation&#39;s link again"),
        ("other session", "This copilot link is for another conversation"),
    ])
    func pageRefusal(kind: String, why: String) throws {
        var h = EngineHarness(config: copilotTestConfig())
        let c1 = h.connect(1)
        var query = linkQuery(try h.requestAgentWithLink(c1))
        let token = try #require(query["URLToken"])
        _ = h.hello(h.connect(2), name: "Bea")  // s3
        switch kind {
        case "no sessionId": query["sessionId"] = nil
        case "no URLToken": query["URLToken"] = nil
        case "nothing": query = [:]
        case "garbage": query["URLToken"] = "<script>alert(1)</script>"
        case "forged": query["URLToken"] = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 60, secret: Array("nope".utf8))
        case "expired": query["URLToken"] = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 - 1, secret: devSecret)
        default: query["sessionId"] = "s3"
        }
        let response = try #require(h.engine.copilotPageRefusal(query: query, now: h.now))
        #expect(response.status == 401)
        #expect(response.contentType == "text/html; charset=utf-8")
        let html = String(decoding: response.body, as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("<h1>Copilot link not valid</h1>"))
        #expect(html.contains("<p>\(why).</p>"))
        for secret in ["Ada", "Bea", "s1", "s3", "jacket", token, "<script>"] {
            #expect(!html.contains(secret), "the page mentions \(secret)")
        }
    }

    @Test func htmlEscaping() {
        #expect(#"<a href="x" title='y'>Tom & Jerry</a>"#.htmlEscaped == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;")
        #expect("plain text ü".htmlEscaped == "plain text ü")
    }
}
