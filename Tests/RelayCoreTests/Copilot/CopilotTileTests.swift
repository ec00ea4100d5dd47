import RelayJSON
import Testing
@testable import RelayCore

@Suite struct TilePositionTests {
    @Test func json() {
        #expect(TilePosition(x: 1, y: 2, w: 3, h: 4).json.serialized == #"{"h":4,"w":3,"x":1,"y":2}"#)
    }
}

@Suite struct CopilotTileTests {
    @Test func jsonWithPosition() {
        let tile = CopilotTile(id: "crm", kind: "markdown", title: "CRM", position: TilePosition(x: 0, y: 6, w: 6, h: 2),
                               data: ["markdown": "**Gold customer** since 2019"], updatedAt: 1_700_000_000_000, source: .integrator)
        #expect(tile.json.serialized == #"{"data":{"markdown":"**Gold customer** since 2019"},"id":"crm","kind":"markdown","position":{"h":2,"w":6,"x":0,"y":6},"source":"integrator","title":"CRM","updatedAt":1700000000000}"#)
    }

    @Test func jsonWithoutPositionHasNullPosition() {
        let tile = CopilotTile(id: "summary", kind: "summary", title: "Summary", data: .null, updatedAt: 5, source: .builtin)
        #expect(tile.position == nil)
        #expect(tile.json.serialized == #"{"data":null,"id":"summary","kind":"summary","position":null,"source":"builtin","title":"Summary","updatedAt":5}"#)
    }

    @Test func sourceRawValues() {
        #expect(CopilotTile.Source.builtin.rawValue == "builtin")
        #expect(CopilotTile.Source.integrator.rawValue == "integrator")
    }

    @Test func builtinsAreTheSixDocumentedTilesInLayoutOrder() {
        #expect(CopilotTile.builtins.map(\.id) == ["identity", "summary", "sentiment", "transcript", "knowledge", "next-best-action"])
        #expect(CopilotTile.builtins.map(\.title) == ["Customer", "Summary", "Sentiment", "Transcript", "Knowledge", "Next best action"])
        #expect(CopilotTile.builtinIDs == Set(CopilotTile.builtins.map(\.id)))
        #expect(CopilotTile.builtinIDs.count == 6)
    }
}

@Suite struct CopilotLayoutTests {
    private func parse(_ json: JSONValue) throws(ConfigError) -> CopilotLayout {
        try CopilotLayout.parse(json, path: "copilot.layout.")
    }

    private func parseError(_ json: JSONValue) -> ConfigError? {
        do { _ = try parse(json); return nil } catch { return error }
    }

    @Test func defaultIsTwelveColumnsWithEveryBuiltinPlaced() {
        let layout = CopilotLayout.default
        #expect(layout.columns == 12)
        #expect(layout.rowHeight == 110)
        #expect(Set(layout.tiles.keys) == CopilotTile.builtinIDs)
        for (id, p) in layout.tiles {
            #expect(p.x >= 0 && p.w >= 1 && p.x + p.w <= layout.columns, "\(id) is outside the grid")
        }
        #expect(layout.tiles["identity"] == TilePosition(x: 0, y: 0, w: 3, h: 3))
        #expect(layout.tiles["transcript"] == TilePosition(x: 3, y: 0, w: 5, h: 6))
        #expect(layout.tiles["next-best-action"] == TilePosition(x: 8, y: 4, w: 4, h: 2))
        // Six rows: the whole workspace fits one laptop screen.
        #expect(layout.tiles.values.map { $0.y + $0.h }.max() == 6)
    }

    @Test func json() {
        let layout = CopilotLayout(columns: 6, rowHeight: 80, tiles: ["crm": TilePosition(x: 0, y: 1, w: 6, h: 2)])
        #expect(layout.json.serialized == #"{"columns":6,"rowHeight":80,"tiles":{"crm":{"h":2,"w":6,"x":0,"y":1}}}"#)
        #expect(CopilotLayout(columns: 12, rowHeight: 110, tiles: [:]).json.serialized == #"{"columns":12,"rowHeight":110,"tiles":{}}"#)
    }

    @Test func defaultJSONListsEveryBuiltin() throws {
        let json = CopilotLayout.default.json
        #expect(json["columns"] == 12)
        #expect(json["rowHeight"] == 110)
        let tiles = try #require(json["tiles"]?.objectValue)
        #expect(Set(tiles.keys) == CopilotTile.builtinIDs)
        #expect(tiles["summary"] == ["x": 0, "y": 3, "w": 3, "h": 3])
    }

    @Test func emptyObjectIsTheDefault() throws {
        #expect(try parse([:]) == .default)
        #expect(try parse(["columns": nil, "rowHeight": nil, "tiles": nil]) == .default)
    }

    @Test func parsesEveryKey() throws {
        let layout = try parse([
            "columns": 24, "rowHeight": 90,
            "tiles": ["summary": ["x": 12, "y": 0, "w": 12, "h": 4], "crm": ["x": 0, "y": 8, "w": 24, "h": 1]],
        ])
        #expect(layout.columns == 24)
        #expect(layout.rowHeight == 90)
        #expect(layout.tiles["summary"] == TilePosition(x: 12, y: 0, w: 12, h: 4))
        #expect(layout.tiles["crm"] == TilePosition(x: 0, y: 8, w: 24, h: 1))
        // Tiles not mentioned keep their default placement.
        #expect(layout.tiles["identity"] == CopilotLayout.default.tiles["identity"])
        #expect(layout.tiles.count == 7)
    }

    @Test(arguments: [
        (1, 20), (48, 1000),
    ])
    func boundsAreAccepted(columns: Int, rowHeight: Int) throws {
        // Every built-in tile re-placed into column 0 so it fits even a one-column grid.
        let stacked = JSONValue.object(Dictionary(uniqueKeysWithValues: CopilotTile.builtins.enumerated().map { i, tile in
            (tile.id, ["x": 0, "y": JSONValue(i), "w": 1, "h": 1] as JSONValue)
        }))
        let layout = try parse(["columns": JSONValue(columns), "rowHeight": JSONValue(rowHeight), "tiles": stacked])
        #expect(layout.columns == columns)
        #expect(layout.rowHeight == rowHeight)
    }

    @Test func tileMayEndExactlyAtTheLastColumn() throws {
        let layout = try parse(["tiles": ["crm": ["x": 8, "y": 1000, "w": 4, "h": 100]]])
        #expect(layout.tiles["crm"] == TilePosition(x: 8, y: 1000, w: 4, h: 100))
    }

    @Test func tilePositionsAreCheckedAgainstTheConfiguredColumns() throws {
        #expect(try parse(["columns": 24, "tiles": ["crm": ["x": 20, "y": 0, "w": 4, "h": 1]]]).tiles["crm"]
                == TilePosition(x: 20, y: 0, w: 4, h: 1))
        #expect(parseError(["columns": 6, "tiles": ["crm": ["x": 4, "y": 0, "w": 3, "h": 1]]])
                == ConfigError(key: "copilot.layout.tiles.crm", problem: "x + w must not exceed 6 columns"))
    }

    @Test func fewerColumnsNeedPlacementsForTheDefaultTiles() {
        // The default layout uses 12 columns; at 6 the right-hand tiles fall outside unless re-placed.
        #expect(parseError(["columns": 6])
                == ConfigError(key: "copilot.layout.tiles.knowledge", problem: "does not fit 6 columns (x 8 + w 4); place it within the grid"))
    }

    @Test(arguments: [
        (JSONValue.object(["cols": 12]), "copilot.layout.cols", "is not a known setting (known: columns, rowHeight, tiles)"),
        (["columns": 0], "copilot.layout.columns", "must be between 1 and 48, got 0"),
        (["columns": 49], "copilot.layout.columns", "must be between 1 and 48, got 49"),
        (["columns": "12"], "copilot.layout.columns", "must be an integer, got string"),
        (["columns": 1.5], "copilot.layout.columns", "must be an integer, got number"),
        (["rowHeight": 19], "copilot.layout.rowHeight", "must be between 20 and 1000, got 19"),
        (["rowHeight": 1001], "copilot.layout.rowHeight", "must be between 20 and 1000, got 1001"),
        (["tiles": []], "copilot.layout.tiles", "must be an object, got array"),
        (["tiles": ["crm": ["x": 0, "y": 0, "w": 4]]], "copilot.layout.tiles.crm", "needs integer x, y, w and h"),
        (["tiles": ["crm": "top"]], "copilot.layout.tiles.crm", "needs integer x, y, w and h"),
        (["tiles": ["crm": ["x": 0, "y": 0, "w": 4, "h": 1, "z": 1]]], "copilot.layout.tiles.crm.z",
         "is not a known setting (known: h, w, x, y)"),
        (["tiles": ["crm": ["x": 12, "y": 0, "w": 1, "h": 1]]], "copilot.layout.tiles.crm.x", "must be between 0 and 11, got 12"),
        (["tiles": ["crm": ["x": -1, "y": 0, "w": 1, "h": 1]]], "copilot.layout.tiles.crm.x", "must be between 0 and 11, got -1"),
        (["tiles": ["crm": ["x": 0, "y": -1, "w": 1, "h": 1]]], "copilot.layout.tiles.crm.y", "must be between 0 and 1000, got -1"),
        (["tiles": ["crm": ["x": 0, "y": 0, "w": 0, "h": 1]]], "copilot.layout.tiles.crm.w", "must be between 1 and 12, got 0"),
        (["tiles": ["crm": ["x": 0, "y": 0, "w": 13, "h": 1]]], "copilot.layout.tiles.crm.w", "must be between 1 and 12, got 13"),
        (["tiles": ["crm": ["x": 0, "y": 0, "w": 1, "h": 101]]], "copilot.layout.tiles.crm.h", "must be between 1 and 100, got 101"),
        (["tiles": ["crm": ["x": "0", "y": 0, "w": 1, "h": 1]]], "copilot.layout.tiles.crm.x", "must be an integer, got string"),
        (["tiles": ["summary": ["x": 8, "y": 0, "w": 6, "h": 1]]], "copilot.layout.tiles.summary", "x + w must not exceed 12 columns"),
        (["tiles": ["crm": ["x": 11, "y": 0, "w": 2, "h": 1]]], "copilot.layout.tiles.crm", "x + w must not exceed 12 columns"),
    ] as [(JSONValue, String, String)])
    func errorsNameTheKey(json: JSONValue, key: String, problem: String) {
        #expect(parseError(json) == ConfigError(key: key, problem: problem))
    }

    @Test func positionReaderOnItsOwn() throws {
        #expect(try CopilotLayout.position(["x": 0, "y": 0, "w": 3, "h": 1], path: "p", columns: 3) == TilePosition(x: 0, y: 0, w: 3, h: 1))
        #expect(throws: ConfigError(key: "p", problem: "x + w must not exceed 3 columns")) {
            try CopilotLayout.position(["x": 1, "y": 0, "w": 3, "h": 1], path: "p", columns: 3)
        }
        #expect(throws: ConfigError(key: "p.x", problem: "must be between 0 and 2, got 3")) {
            try CopilotLayout.position(["x": 3, "y": 0, "w": 1, "h": 1], path: "p", columns: 3)
        }
    }
}
