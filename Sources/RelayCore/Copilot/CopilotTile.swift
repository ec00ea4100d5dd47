import RelayJSON

/// Where a tile sits on the workspace grid, in grid units.
public struct TilePosition: Equatable, Sendable {
    public var x, y, w, h: Int
    public init(x: Int, y: Int, w: Int, h: Int) {
        self.x = x
        self.y = y
        self.w = w
        self.h = h
    }

    var json: JSONValue { ["x": JSONValue(x), "y": JSONValue(y), "w": JSONValue(w), "h": JSONValue(h)] }
}

/// One card of the copilot workspace: a built-in analysis or an integrator's tile.
public struct CopilotTile: Equatable, Sendable {
    public enum Source: String, Sendable { case builtin, integrator }

    public var id: String
    public var kind: String
    public var title: String
    public var position: TilePosition?
    public var data: JSONValue
    public var updatedAt: Int64
    public var source: Source

    public init(id: String, kind: String, title: String, position: TilePosition? = nil, data: JSONValue, updatedAt: Int64,
                source: Source) {
        self.id = id
        self.kind = kind
        self.title = title
        self.position = position
        self.data = data
        self.updatedAt = updatedAt
        self.source = source
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "kind": .string(kind), "title": .string(title), "data": data,
            "updatedAt": JSONValue(updatedAt), "source": .string(source.rawValue),
        ]
        fields["position"] = position?.json ?? .null
        return .object(fields)
    }

    /// The built-in tiles: id (= kind) and title.
    public static let builtins: [(id: String, title: String)] = [
        ("identity", "Customer"), ("summary", "Summary"), ("sentiment", "Sentiment"),
        ("transcript", "Transcript"), ("knowledge", "Knowledge"), ("next-best-action", "Next best action"),
    ]

    public static let builtinIDs = Set(builtins.map(\.id))
}

/// The grid the copilot page lays tiles out on.
public struct CopilotLayout: Equatable, Sendable {
    public var columns: Int
    public var rowHeight: Int
    /// Placement of tiles by id; a tile's own position wins.
    public var tiles: [String: TilePosition]

    public init(columns: Int, rowHeight: Int, tiles: [String: TilePosition]) {
        self.columns = columns
        self.rowHeight = rowHeight
        self.tiles = tiles
    }

    /// Six rows, so the whole workspace fits a 1366×768 laptop browser; the
    /// transcript is the tall middle column the agent reads most.
    public static let `default` = CopilotLayout(columns: 12, rowHeight: 110, tiles: [
        "identity": TilePosition(x: 0, y: 0, w: 3, h: 3),
        "summary": TilePosition(x: 0, y: 3, w: 3, h: 3),
        "transcript": TilePosition(x: 3, y: 0, w: 5, h: 6),
        "sentiment": TilePosition(x: 8, y: 0, w: 4, h: 2),
        "knowledge": TilePosition(x: 8, y: 2, w: 4, h: 2),
        "next-best-action": TilePosition(x: 8, y: 4, w: 4, h: 2),
    ])

    public var json: JSONValue {
        .object([
            "columns": JSONValue(columns), "rowHeight": JSONValue(rowHeight),
            "tiles": .object(tiles.mapValues(\.json)),
        ])
    }

    /// Parses `copilot.layout` from the config file.
    static func parse(_ json: JSONValue, path: String) throws(ConfigError) -> CopilotLayout {
        let r = ConfigReader(json: json, path: path)
        try r.reject(unknownKeysBesides: ["columns", "rowHeight", "tiles"])
        var layout = CopilotLayout.default
        layout.columns = try r.int("columns", in: 1...48) ?? layout.columns
        layout.rowHeight = try r.int("rowHeight", in: 20...1000) ?? layout.rowHeight
        for (id, value) in try r.object("tiles") ?? [:] {
            layout.tiles[id] = try position(value, path: "\(path)tiles.\(id)", columns: layout.columns)
        }
        // Fewer columns than the defaults assume must come with placements that fit.
        for (id, p) in layout.tiles.sorted(by: { $0.key < $1.key }) where p.x + p.w > layout.columns {
            throw ConfigError(key: "\(path)tiles.\(id)",
                              problem: "does not fit \(layout.columns) columns (x \(p.x) + w \(p.w)); place it within the grid")
        }
        return layout
    }

    static func position(_ json: JSONValue, path: String, columns: Int) throws(ConfigError) -> TilePosition {
        let r = ConfigReader(json: json, path: path + ".")
        try r.reject(unknownKeysBesides: ["x", "y", "w", "h"])
        guard let x = try r.int("x", in: 0...(columns - 1)), let y = try r.int("y", in: 0...1000),
              let w = try r.int("w", in: 1...columns), let h = try r.int("h", in: 1...100)
        else { throw ConfigError(key: path, problem: "needs integer x, y, w and h") }
        guard x + w <= columns else { throw ConfigError(key: path, problem: "x + w must not exceed \(columns) columns") }
        return TilePosition(x: x, y: y, w: w, h: h)
    }
}
