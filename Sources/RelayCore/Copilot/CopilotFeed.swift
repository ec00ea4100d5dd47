import RelayJSON

/// One session's copilot feed: the current tiles, a numbered stream of
/// changes (`pos`) and a bounded buffer of recent frames for resumes. Pure
/// state; the engine decides what changed and who receives it.
public struct CopilotFeed: Equatable, Sendable {
    /// Frames kept for resuming; an older `lastPos` gets a fresh snapshot instead.
    public static let resumeWindow = 512

    public private(set) var pos = 0
    public private(set) var tiles: [String: CopilotTile] = [:]
    private var recent: [(pos: Int, frame: String)] = []
    public private(set) var watchers: Set<ConnectionID> = []
    /// The smallest `lastPos` a resume can start from: the transcript before
    /// the feed started recording is only in snapshots.
    public private(set) var resumeFloor = 0
    /// Frames recorded since the last watcher left. A never-watched feed starts
    /// "full": there is nobody who could resume.
    private var unwatchedFrames = CopilotFeed.resumeWindow

    public init() {}

    public static func == (a: CopilotFeed, b: CopilotFeed) -> Bool {
        a.pos == b.pos && a.tiles == b.tiles && a.watchers == b.watchers
    }

    /// Tiles in a stable order: built-ins first, in layout order, then the rest by id.
    public var orderedTiles: [CopilotTile] {
        let builtinOrder = CopilotTile.builtins.map(\.id)
        let builtins = builtinOrder.compactMap { tiles[$0] }
        let custom = tiles.values.filter { !CopilotTile.builtinIDs.contains($0.id) }.sorted { $0.id < $1.id }
        return builtins + custom
    }

    /// Stores a tile if it differs from the current one (ignoring `updatedAt`);
    /// returns the frame to send, or nil when nothing changed.
    mutating func upsert(_ tile: CopilotTile) -> String? {
        if var current = tiles[tile.id] {
            current.updatedAt = tile.updatedAt
            if current == tile { return nil }
        }
        tiles[tile.id] = tile
        return record { CopilotFrame.tile(pos: $0, tile) }
    }

    mutating func remove(_ id: String) -> String? {
        guard tiles.removeValue(forKey: id) != nil else { return nil }
        return record { CopilotFrame.tileRemoved(pos: $0, id: id) }
    }

    mutating func transcript(_ message: JSONValue) -> String {
        record { CopilotFrame.transcript(pos: $0, message: message) }
    }

    mutating func handover(_ event: SessionEvent) -> String {
        record { CopilotFrame.handover(pos: $0, event) }
    }

    /// Whether the session's events should still be analysed and recorded:
    /// while someone watches, and afterwards for one resume window, so an agent
    /// page that lost its connection resumes without a snapshot. Past that a
    /// resume gets a snapshot anyway, so recording would be work for nobody —
    /// the analyzers were 13–28 % of the relay's CPU in the handover benchmark,
    /// where no page watches.
    public var isRecording: Bool { !watchers.isEmpty || unwatchedFrames < Self.resumeWindow }

    /// An event went by unrecorded: no `lastPos` up to now can be resumed any more
    /// (a later subscriber gets a snapshot, which carries everything).
    mutating func skipUnrecorded() {
        guard resumeFloor <= pos else { return }
        resumeFloor = pos + 1
        recent.removeAll()
    }

    mutating func watch(_ connection: ConnectionID) {
        watchers.insert(connection)
        unwatchedFrames = 0
    }

    mutating func unwatch(_ connection: ConnectionID) {
        watchers.remove(connection)
    }

    private mutating func record(_ make: (Int) -> String) -> String {
        if watchers.isEmpty { unwatchedFrames += 1 }
        pos += 1
        let frame = make(pos)
        recent.append((pos, frame))
        if recent.count > Self.resumeWindow * 2 { recent.removeFirst(recent.count - Self.resumeWindow) }
        return frame
    }

    /// The frames after `lastPos`, or nil when they are no longer all held
    /// (or `lastPos` is from the future, e.g. another relay run).
    /// Starts recording after content (earlier messages) that only a snapshot carries.
    mutating func startAfterExistingContent() { resumeFloor = pos + 1 }

    public func frames(after lastPos: Int) -> [String]? {
        guard lastPos <= pos, lastPos >= resumeFloor else { return nil }
        if lastPos == pos { return [] }
        guard let first = recent.first, first.pos <= lastPos + 1 else { return nil }
        return recent.filter { $0.pos > lastPos }.map(\.frame)
    }
}
