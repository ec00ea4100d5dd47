import RelayJSON
import Testing
@testable import RelayCore

/// `store.backend: redis` and `store.redis.*`, from the file and from flags/environment.
@Suite struct RelaySettingsRedisTests {
    func redisFile(_ redis: JSONValue, backend: JSONValue = "redis") -> JSONValue {
        ["store": ["backend": backend, "redis": redis]]
    }

    // MARK: loading

    @Test func theDefaultsAreSQLiteWithAnUnsetURL() throws {
        let s = try loadSettings(nil)
        #expect(s.store.backend == .sqlite)
        #expect(s.store.redis == RedisSettings())
        #expect(s.store.redis.url == nil)
        #expect(s.store.redis.prefix == "relay")
        #expect(s.store.redis.nodeTimeoutMs == 5_000)
    }

    @Test func redisFromTheConfigFile() throws {
        let s = try loadSettings(redisFile(["url": "redis://:pw@10.0.0.5:6380/2", "prefix": "eu-1_a.b", "nodeTimeoutMs": 8_000]))
        #expect(s.store.backend == .redis)
        #expect(s.store.redis.url == "redis://:pw@10.0.0.5:6380/2")
        #expect(s.store.redis.prefix == "eu-1_a.b")
        #expect(s.store.redis.nodeTimeoutMs == 8_000)
    }

    @Test func redisFromFlags() throws {
        let s = try loadSettings(nil, ["store": "redis", "redis-url": "redis://127.0.0.1:6379", "redis-prefix": "blue"])
        #expect(s.store.backend == .redis)
        #expect(s.store.redis.url == "redis://127.0.0.1:6379")
        #expect(s.store.redis.prefix == "blue")
        #expect(s.store.redis.nodeTimeoutMs == 5_000)
    }

    @Test func flagsWinOverTheFile() throws {
        let s = try loadSettings(redisFile(["url": "redis://file:6379", "prefix": "file"], backend: "sqlite"),
                                 ["store": "redis", "redis-url": "redis://flag:6379", "redis-prefix": "flag"])
        #expect(s.store.backend == .redis)
        #expect(s.store.redis.url == "redis://flag:6379")
        #expect(s.store.redis.prefix == "flag")
        // The file's URL with the backend from --store.
        let mixed = try loadSettings(["store": ["redis": ["url": "redis://file:6379"]]], ["store": "redis"])
        #expect(mixed.store.backend == .redis)
        #expect(mixed.store.redis.url == "redis://file:6379")
    }

    @Test func aURLWithoutTheRedisBackendIsKeptButUnused() throws {
        let s = try loadSettings(["store": ["redis": ["url": "redis://h:6379"]]])
        #expect(s.store.backend == .sqlite)
        #expect(s.store.redis.url == "redis://h:6379")
    }

    // MARK: errors

    @Test func theRedisBackendNeedsAURL() {
        for error in [settingsError(["store": ["backend": "redis"]]), settingsError(nil, ["store": "redis"]),
                      settingsError(redisFile(["prefix": "p"]))] {
            #expect(error?.key == "store.redis.url")
            #expect(error?.problem == "is required with store.backend \"redis\" (or --redis-url / RELAY_REDIS_URL)")
        }
    }

    @Test func anUnknownBackendListsRedis() {
        let file = settingsError(["store": ["backend": "postgres"]])
        #expect(file == ConfigError(key: "store.backend", problem: "must be \"sqlite\", \"memory\" or \"redis\", got \"postgres\""))
        let flag = settingsError(nil, ["store": "mongo"])
        #expect(flag == ConfigError(key: "store", problem: "must be \"sqlite\", \"memory\" or \"redis\", got \"mongo\""))
    }

    @Test func tlsToRedisIsRefusedWithTheTunnelHint() {
        let url = "rediss://:t0p-s3cret@redis.example.com:6380/0"
        for (error, key) in [(settingsError(redisFile(["url": .string(url)])), "store.redis.url"),
                             (settingsError(nil, ["store": "redis", "redis-url": url]), "redis-url")] {
            #expect(error?.key == key)
            let problem = error?.problem ?? ""
            #expect(problem.contains("rediss://"))
            #expect(problem.contains("stunnel"))
            #expect(problem.contains("redis://127.0.0.1:<port>"))
            let description = error?.description ?? ""
            #expect(!description.contains("t0p-s3cret"))
        }
    }

    @Test(arguments: ["http://127.0.0.1:6379", "redis://", "redis:/host", "redis", "", "REDIS://host", "unix:///tmp/redis.sock", " redis://host"])
    func aURLThatIsNotRedisIsRefused(_ url: String) {
        let expected = "must be redis://[[user]:password@]host[:port][/db]"
        #expect(settingsError(redisFile(["url": .string(url)])) == ConfigError(key: "store.redis.url", problem: expected))
        #expect(settingsError(nil, ["redis-url": url]) == ConfigError(key: "redis-url", problem: expected))
    }

    @Test func aBadURLErrorNeverShowsThePassword() {
        let error = settingsError(redisFile(["url": "http://:hunter2@h:6379"]))
        #expect(error?.key == "store.redis.url")
        let description = error?.description ?? ""
        #expect(!description.isEmpty)
        #expect(!description.contains("hunter2"))
    }

    @Test(arguments: ["", "a b", "a:b", "{relay}", "relay*", "é", "a/b", String(repeating: "p", count: 65)])
    func aBadPrefixIsRefused(_ prefix: String) {
        let expected = "must be 1–64 letters, digits, '-', '_' or '.'"
        #expect(settingsError(redisFile(["url": "redis://h", "prefix": .string(prefix)])) == ConfigError(key: "store.redis.prefix", problem: expected))
        #expect(settingsError(nil, ["redis-prefix": prefix]) == ConfigError(key: "redis-prefix", problem: expected))
    }

    @Test(arguments: ["a", "relay", "eu-west-1", "A.b_C-9", String(repeating: "p", count: 64)])
    func aGoodPrefixIsKept(_ prefix: String) throws {
        #expect(try loadSettings(redisFile(["url": "redis://h", "prefix": .string(prefix)])).store.redis.prefix == prefix)
    }

    @Test func nodeTimeoutIsBetweenTwoSecondsAndTwoMinutes() throws {
        for ms in [2_000, 120_000] {
            #expect(try loadSettings(redisFile(["url": "redis://h", "nodeTimeoutMs": JSONValue(ms)])).store.redis.nodeTimeoutMs == ms)
        }
        for ms in [1_999, 120_001, 0, -5] {
            #expect(settingsError(redisFile(["url": "redis://h", "nodeTimeoutMs": JSONValue(ms)]))
                == ConfigError(key: "store.redis.nodeTimeoutMs", problem: "must be between 2000 and 120000, got \(ms)"))
        }
        #expect(settingsError(redisFile(["url": "redis://h", "nodeTimeoutMs": "5s"]))
            == ConfigError(key: "store.redis.nodeTimeoutMs", problem: "must be an integer, got string"))
    }

    @Test func theRedisObjectIsChecked() {
        #expect(settingsError(redisFile(["url": "redis://h", "host": "h"]))?.key == "store.redis.host")
        #expect(settingsError(redisFile(["url": "redis://h", "host": "h"]))?.problem == "is not a known setting (known: nodeTimeoutMs, prefix, url)")
        #expect(settingsError(["store": ["redis": "redis://h"]]) == ConfigError(key: "store.redis", problem: "must be an object, got string"))
        #expect(settingsError(redisFile(["url": 6379])) == ConfigError(key: "store.redis.url", problem: "must be a string, got number"))
        #expect(settingsError(["store": ["cluster": true]])?.key == "store.cluster")
    }

    // MARK: never showing the password

    @Test(arguments: [
        ("redis://:s3cret@h:6379/0", "redis://***@h:6379/0"),
        ("redis://user:s3cret@h", "redis://***@h"),
        ("redis://user:p@ss@h:1/2", "redis://***@h:1/2"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("redis://h", "redis://h"),
    ])
    func redactedURLHidesTheUserInfo(_ url: String, _ redacted: String) {
        var settings = RedisSettings()
        settings.url = url
        #expect(settings.redactedURL == redacted)
        let shown = settings.redactedURL ?? ""
        #expect(!shown.contains("s3cret"))
    }

    @Test func redactedURLOfNoURLIsNil() {
        #expect(RedisSettings().redactedURL == nil)
    }

    @Test func theSummaryShowsTheRedactedURLAndPrefixButNeverThePassword() throws {
        let s = try loadSettings(redisFile(["url": "redis://admin:s3cret-pw@redis.internal:6380/3", "prefix": "eu-1"]))
        let lines = s.summary(simulator: true, tokenSecret: "x")
        let store = try #require(lines.first { $0.hasPrefix("store:") })
        #expect(store == "store:           redis redis://***@redis.internal:6380/3 prefix eu-1")
        let text = lines.joined(separator: "\n")
        #expect(!text.contains("s3cret-pw"))
        #expect(!text.contains("admin"))
    }

    @Test func theSummaryOfOtherBackendsHasNoRedis() throws {
        let s = try loadSettings(["store": ["backend": "sqlite", "redis": ["url": "redis://:pw@h"]]])
        let store = try #require(s.summary(simulator: true, tokenSecret: "x").first { $0.hasPrefix("store:") })
        #expect(store == "store:           sqlite (synchronous normal)")
        let memory = try loadSettings(nil, ["store": "memory"])
        #expect(memory.summary(simulator: true, tokenSecret: "x").contains("store:           memory"))
    }

    @Test func theConfigFileHoldsASecretOnlyWhenTheURLHasCredentials() {
        #expect(ConfigFileSecrets.keys(in: redisFile(["url": "redis://:pw@h:6379"])) == ["store.redis.url"])
        #expect(ConfigFileSecrets.keys(in: redisFile(["url": "redis://user:pw@h"])) == ["store.redis.url"])
        #expect(ConfigFileSecrets.keys(in: redisFile(["url": "redis://h:6379/0"])).isEmpty)
        #expect(ConfigFileSecrets.keys(in: redisFile(["prefix": "p"])).isEmpty)
        #expect(ConfigFileSecrets.keys(in: ["store": ["backend": "sqlite"]]).isEmpty)
        let both: JSONValue = ["metrics": ["token": "t"], "store": ["redis": ["url": "redis://:pw@h"]]]
        #expect(ConfigFileSecrets.keys(in: both) == ["metrics.token", "store.redis.url"])
    }
}
