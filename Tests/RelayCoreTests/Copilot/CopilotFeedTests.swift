import RelayJSON
import Testing
@testable import RelayCore

@Suite struct CopilotFeedTests {
    private func tile(_ id: String, _ data: JSONValue = "v1", at updatedAt: Int64 = 1, source: CopilotTile.Source = .integrator) -> CopilotTile {
        CopilotTile(id: id, kind: "json", title: id, data: data, updatedAt: updatedAt, source: source)
    }

    /// The `pos` of a frame the feed produced.
    private func pos(_ frame: String?) -> Int? { frame.flatMap { json($0)["pos"]?.intValue } }

    @Test func startsEmpty() {
        let feed = CopilotFeed()
        #expect(feed.pos == 0)
        #expect(feed.tiles.isEmpty)
        #expect(feed.watchers.isEmpty)
        #expect(feed.orderedTiles.isEmpty)
        #expect(feed.frames(after: 0) == [])
    }

    @Test func everyChangeTakesTheNextPosWithoutGaps() {
        var feed = CopilotFeed()
        var frames: [String] = []
        frames.append(feed.transcript(["seq": 1, "from": "bot", "text": "Hi", "ts": 1]))
        frames.append(feed.handover(SessionEvent(seq: 2, ts: 2, kind: .handover(.requested(queueID: "q")))))
        frames.append(feed.upsert(tile("a"))!)
        #expect(feed.upsert(tile("a", at: 99)) == nil)  // unchanged: no frame, no pos
        #expect(feed.remove("nope") == nil)               // unknown: no frame, no pos
        frames.append(feed.remove("a")!)
        frames.append(feed.transcript(["seq": 2, "from": "user", "text": "Hello", "ts": 2]))
        #expect(frames.map(pos) == [1, 2, 3, 4, 5])
        #expect(feed.pos == 5)
        #expect(frames.map { json($0)["type"]?.stringValue } == ["transcript", "handover", "tile", "tile_removed", "transcript"])
    }

    @Test func framesAreTheWireFrames() {
        var feed = CopilotFeed()
        let message: JSONValue = ["seq": 1, "from": "user", "text": "Hi", "ts": 1]
        #expect(feed.transcript(message) == CopilotFrame.transcript(pos: 1, message: message))
        let active = SessionEvent(seq: 2, ts: 3, kind: .handover(.active(agentID: "ag1")))
        #expect(feed.handover(active) == CopilotFrame.handover(pos: 2, active))
        #expect(feed.upsert(tile("crm")) == CopilotFrame.tile(pos: 3, tile("crm")))
        #expect(feed.remove("crm") == CopilotFrame.tileRemoved(pos: 4, id: "crm"))
    }

    @Test func upsertStoresNewTiles() {
        var feed = CopilotFeed()
        let frame = feed.upsert(tile("crm"))
        #expect(frame != nil)
        #expect(feed.tiles == ["crm": tile("crm")])
    }

    @Test func upsertIgnoresATileThatOnlyChangedItsTimestamp() {
        var feed = CopilotFeed()
        _ = feed.upsert(tile("crm", at: 1))
        #expect(feed.upsert(tile("crm", at: 2)) == nil)
        #expect(feed.pos == 1)
        #expect(feed.tiles["crm"]?.updatedAt == 1)  // the stored tile is left alone
        #expect(feed.frames(after: 1) == [])
    }

    @Test(arguments: [
        CopilotTile(id: "crm", kind: "json", title: "crm", data: "v2", updatedAt: 2, source: .integrator),
        CopilotTile(id: "crm", kind: "markdown", title: "crm", data: "v1", updatedAt: 2, source: .integrator),
        CopilotTile(id: "crm", kind: "json", title: "CRM", data: "v1", updatedAt: 2, source: .integrator),
        CopilotTile(id: "crm", kind: "json", title: "crm", position: TilePosition(x: 0, y: 0, w: 1, h: 1), data: "v1", updatedAt: 2,
                    source: .integrator),
        CopilotTile(id: "crm", kind: "json", title: "crm", data: "v1", updatedAt: 2, source: .builtin),
    ])
    func upsertReplacesATileThatChanged(changed: CopilotTile) {
        var feed = CopilotFeed()
        _ = feed.upsert(tile("crm", at: 1))
        #expect(feed.upsert(changed) == CopilotFrame.tile(pos: 2, changed))
        #expect(feed.tiles["crm"] == changed)
        #expect(feed.pos == 2)
    }

    @Test func remove() {
        var feed = CopilotFeed()
        _ = feed.upsert(tile("a"))
        _ = feed.upsert(tile("b"))
        #expect(feed.remove("a") == CopilotFrame.tileRemoved(pos: 3, id: "a"))
        #expect(Array(feed.tiles.keys) == ["b"])
        #expect(feed.remove("a") == nil)
        #expect(feed.pos == 3)
        // Removed, a tile can come back.
        #expect(feed.upsert(tile("a")) == CopilotFrame.tile(pos: 4, tile("a")))
    }

    @Test func orderedTilesPutsBuiltinsFirstInLayoutOrderThenTheRestById() {
        var feed = CopilotFeed()
        for id in ["zeta", "next-best-action", "Alpha", "identity", "knowledge", "alpha", "sentiment", "transcript", "summary", "1st"] {
            _ = feed.upsert(tile(id, source: CopilotTile.builtinIDs.contains(id) ? .builtin : .integrator))
        }
        #expect(feed.orderedTiles.map(\.id) == [
            "identity", "summary", "sentiment", "transcript", "knowledge", "next-best-action", "1st", "Alpha", "alpha", "zeta",
        ])
    }

    @Test func orderedTilesWithSomeBuiltinsMissing() {
        var feed = CopilotFeed()
        for id in ["crm", "knowledge", "identity"] { _ = feed.upsert(tile(id)) }
        #expect(feed.orderedTiles.map(\.id) == ["identity", "knowledge", "crm"])
    }

    // MARK: frames(after:)

    @Test func framesAfterTheCurrentPosAreNone() {
        var feed = CopilotFeed()
        for i in 1...5 { _ = feed.transcript(["seq": JSONValue(i)]) }
        #expect(feed.frames(after: 5) == [])
    }

    @Test func framesInsideTheWindowAreTheMissedOnesInOrder() {
        var feed = CopilotFeed()
        var frames: [String] = []
        for i in 1...10 { frames.append(feed.transcript(["seq": JSONValue(i)])) }
        #expect(feed.frames(after: 7) == Array(frames[7...]))
        #expect(feed.frames(after: 9) == [frames[9]])
        #expect(feed.frames(after: 0) == frames)
        #expect(feed.frames(after: 3)?.map(pos) == [4, 5, 6, 7, 8, 9, 10])
    }

    @Test(arguments: [6, 7, 100])
    func framesFromTheFutureAreNil(lastPos: Int) {
        var feed = CopilotFeed()
        for i in 1...5 { _ = feed.transcript(["seq": JSONValue(i)]) }
        #expect(feed.frames(after: lastPos) == nil)
    }

    @Test func anEmptyFeedHasNoFuture() {
        #expect(CopilotFeed().frames(after: 1) == nil)
    }

    @Test func framesOlderThanTheWindowAreNil() throws {
        var feed = CopilotFeed()
        var frames: [String] = []
        let total = CopilotFeed.resumeWindow * 3 + 7
        for i in 1...total { frames.append(feed.transcript(["seq": JSONValue(i)])) }
        #expect(feed.pos == total)
        #expect(feed.frames(after: 0) == nil)
        #expect(feed.frames(after: 1) == nil)
        #expect(feed.frames(after: total - CopilotFeed.resumeWindow * 2 - 1) == nil)
        // At least the last `resumeWindow` frames can always be resumed, exactly.
        let lastPos = total - CopilotFeed.resumeWindow
        let missed = try #require(feed.frames(after: lastPos))
        #expect(missed == Array(frames[lastPos...]))
        #expect(missed.count == CopilotFeed.resumeWindow)
        #expect(feed.frames(after: total - 1) == [frames[total - 1]])
        #expect(feed.frames(after: total) == [])
    }

    @Test func theWindowNeverReturnsAPartialList() {
        var feed = CopilotFeed()
        var frames: [String] = []
        for i in 1...(CopilotFeed.resumeWindow * 2 + 1) { frames.append(feed.transcript(["seq": JSONValue(i)])) }
        // Whatever is still held, a resume either gets every missed frame or nil.
        for lastPos in Array(stride(from: 0, through: feed.pos, by: 9)) + Array(feed.pos - CopilotFeed.resumeWindow - 3...feed.pos) {
            if let missed = feed.frames(after: lastPos) {
                #expect(missed == Array(frames[lastPos...]), "lastPos \(lastPos)")
            }
        }
        #expect(feed.frames(after: 0) == nil)
    }

    @Test func equalityIgnoresTheResumeBuffer() {
        var a = CopilotFeed(), b = CopilotFeed()
        _ = a.upsert(tile("crm"))
        _ = b.handover(SessionEvent(seq: 1, ts: 1, kind: .handover(.cancelled)))
        #expect(a != b)  // different tiles
        var c = CopilotFeed()
        _ = c.upsert(tile("crm"))
        #expect(a == c)
        c.watch(ConnectionID(1))
        #expect(a != c)
    }

    // MARK: recording only while it can matter

    @Test func aNeverWatchedFeedDoesNotRecord() {
        #expect(!CopilotFeed().isRecording)
    }

    @Test func aWatchedFeedRecordsAndKeepsRecordingForOneResumeWindowAfterTheLastWatcherLeft() {
        var feed = CopilotFeed()
        feed.watch(ConnectionID(1))
        feed.watch(ConnectionID(2))
        feed.unwatch(ConnectionID(1))
        #expect(feed.isRecording)
        feed.unwatch(ConnectionID(2))
        let left = feed.pos
        for seq in 1..<CopilotFeed.resumeWindow {
            _ = feed.transcript(["seq": JSONValue(seq), "from": "user", "text": "x", "ts": 1])
            #expect(feed.isRecording)
        }
        _ = feed.transcript(["seq": JSONValue(CopilotFeed.resumeWindow), "from": "user", "text": "x", "ts": 1])
        #expect(!feed.isRecording)
        // Everything after the departure can still be resumed.
        #expect(feed.frames(after: left)?.count == CopilotFeed.resumeWindow)
    }

    @Test func aNewWatcherRestartsTheWindow() {
        var feed = CopilotFeed()
        feed.watch(ConnectionID(1))
        feed.unwatch(ConnectionID(1))
        for seq in 1...CopilotFeed.resumeWindow { _ = feed.transcript(["seq": JSONValue(seq), "from": "user", "text": "x", "ts": 1]) }
        #expect(!feed.isRecording)
        feed.watch(ConnectionID(2))
        feed.unwatch(ConnectionID(2))
        #expect(feed.isRecording)
    }

    @Test func aSkippedEventEndsEveryResumeUpToNow() {
        var feed = CopilotFeed()
        feed.watch(ConnectionID(1))
        _ = feed.upsert(tile("a"))
        _ = feed.upsert(tile("b"))
        feed.unwatch(ConnectionID(1))
        #expect(feed.frames(after: 1)?.count == 1)
        feed.skipUnrecorded()
        feed.skipUnrecorded()  // a second skip changes nothing more
        #expect(feed.frames(after: 1) == nil)
        #expect(feed.frames(after: feed.pos) == nil)  // not even "nothing new": events went by
        #expect(feed.pos == 2)
        // Frames recorded afterwards resume from the first of them on.
        feed.watch(ConnectionID(2))
        _ = feed.upsert(tile("c"))
        #expect(feed.frames(after: 3) == [])
    }
}
