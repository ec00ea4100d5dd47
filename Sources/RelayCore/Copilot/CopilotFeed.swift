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
    public var watchers: Set<ConnectionID> = []
    /// The smallest `lastPos` a resume can start from: the transcript before
    /// the feed started recording is only in snapshots.
    public private(set) var resumeFloor = 0

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

    private mutating func record(_ make: (Int) -> String) -> String {
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
