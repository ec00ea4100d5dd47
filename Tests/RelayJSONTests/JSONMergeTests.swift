import Testing
import RelayJSON

@Suite struct JSONMergeTests {
    @Test func objectsMergeKeyByKeyRecursively() {
        let base: JSONValue = ["a": 1, "nested": ["x": 1, "y": ["deep": "base"]]]
        let overlay: JSONValue = ["b": 2, "nested": ["y": ["deeper": "top"], "z": 3]]
        #expect(base.deepMerged(with: overlay) == [
            "a": 1, "b": 2,
            "nested": ["x": 1, "y": ["deep": "base", "deeper": "top"], "z": 3],
        ])
    }

    @Test func arraysAppend() {
        let base: JSONValue = ["list": [1, 2], "props": [["key": "copilotUrl", "value": "u"]]]
        let overlay: JSONValue = ["list": [3], "props": [["key": "crm", "value": "42"]]]
        #expect(base.deepMerged(with: overlay) == [
            "list": [1, 2, 3],
            "props": [["key": "copilotUrl", "value": "u"], ["key": "crm", "value": "42"]],
        ])
        #expect(JSONValue.array([1]).deepMerged(with: []) == [1])
        #expect(JSONValue.array([]).deepMerged(with: [1]) == [1])
    }

    @Test(arguments: [
        (JSONValue.number(1), JSONValue.number(2)),
        ("old", "new"),
        (true, false),
        (1, "string"),
        (["a": 1], 5),                  // object replaced by a scalar
        (5, ["a": 1]),                  // scalar replaced by an object
        ([1, 2], ["a": 1]),             // array replaced by an object
        (["a": 1], [1]),                // object replaced by an array
        ("x", nil),                     // null replaces too
        (nil, "x"),
    ] as [(JSONValue, JSONValue)])
    func scalarsAndMismatchedTypesAreReplaced(base: JSONValue, overlay: JSONValue) {
        #expect(base.deepMerged(with: overlay) == overlay)
        #expect((["k": base] as JSONValue).deepMerged(with: ["k": overlay]) == ["k": overlay])
    }

    @Test func emptyOverlayChangesNothing() {
        let base: JSONValue = ["a": [1], "b": ["c": "d"]]
        #expect(base.deepMerged(with: [:]) == base)
    }

    @Test func mergeDoesNotTouchUnrelatedKeys() {
        let base: JSONValue = ["channelId": "c", "user": ["name": "Guest", "additionalProperties": [["key": "k1", "value": "v1"]]]]
        let overlay: JSONValue = ["user": ["additionalProperties": [["key": "k2", "value": "v2"]], "company": "ACME"]]
        #expect(base.deepMerged(with: overlay) == [
            "channelId": "c",
            "user": ["name": "Guest", "company": "ACME",
                     "additionalProperties": [["key": "k1", "value": "v1"], ["key": "k2", "value": "v2"]]],
        ])
    }
}
