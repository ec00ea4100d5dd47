import Testing
@testable import RelayShell

@Suite struct BoundedCacheTests {
    @Test func remembersUntilFullThenStartsOver() {
        var cache = BoundedCache<String, Int>(capacity: 2)
        cache["a"] = 1
        cache["b"] = 2
        cache["a"] = 10  // replacing an entry never empties the cache
        #expect(cache["a"] == 10 && cache["b"] == 2)
        cache["c"] = 3   // a third key: everything else is forgotten
        #expect(cache["a"] == nil && cache["b"] == nil && cache["c"] == 3)
    }

    @Test func removesByValue() {
        var cache = BoundedCache<String, String>(capacity: 10)
        cache["s1"] = "node-a"
        cache["s2"] = "node-b"
        cache["s3"] = "node-a"
        cache.removeAll { $0 == "node-a" }
        #expect(cache["s1"] == nil && cache["s3"] == nil && cache["s2"] == "node-b")
        cache["s2"] = nil
        #expect(cache["s2"] == nil)
    }
}
