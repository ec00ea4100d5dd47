import CHiredis
import RelayStore
#if canImport(Glibc)
import Glibc   // struct timeval
#else
import Darwin
#endif

// All unsafe code of RedisStore lives in this file: the hiredis context (owned by exactly
// one RedisConnection, freed exactly once), the argv buffers handed to redisCommandArgv,
// and the reply trees hiredis allocates (copied into Swift values, then freed at once).

/// One argument of a command. Redis arguments are byte strings; these are the shapes we send.
enum RedisArg: ExpressibleByStringLiteral {
    case text(String)
    case bytes([UInt8])
    case int(Int64)

    init(stringLiteral value: String) { self = .text(value) }

    var bytes: [UInt8] {
        switch self {
        case .text(let s): Array(s.utf8)
        case .bytes(let b): b
        case .int(let n): Array(String(n).utf8)
        }
    }
}

/// A reply, copied out of hiredis' reply tree. `.error` is a reply like any other (the
/// server refused the command, the connection is fine); I/O failures are thrown instead.
enum RedisReply: Equatable {
    case string([UInt8])
    case integer(Int64)
    case array([RedisReply])
    case null
    case status(String)
    case error(String)

    var text: String? {
        switch self {
        case .string(let b): String(decoding: b, as: UTF8.self)
        case .status(let s): s
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a number (GET of a counter).
    var int: Int64? {
        switch self {
        case .integer(let n): n
        case .string(let b): Int64(String(decoding: b, as: UTF8.self))
        default: nil
        }
    }

    var elements: [RedisReply] {
        if case .array(let items) = self { return items }
        return []
    }
}

/// A synchronous connection to one Redis server through hiredis. Not thread-safe; used
/// only from the thread that owns its store.
///
/// **Reconnect policy.** An I/O error (connection reset, timeout) leaves a hiredis context
/// unusable, so it is freed and the command throws `.backend`. The *next* command connects
/// again (once; if that fails it throws too). A failed command is never retried here: a
/// write may have been applied before the connection broke, and only the caller knows
/// whether repeating it is safe (re-appending the same (session, seq) is refused as a
/// duplicate, so the relay's retried commit cannot write an event twice).
///
/// **SIGPIPE.** hiredis writes with write(2), so writing to a connection the server closed
/// raises SIGPIPE; the process must ignore it (the relay does, at start-up).
final class RedisConnection {
    struct Options {
        var connectTimeoutMs: Int
        var commandTimeoutMs: Int
    }

    let url: RedisURL
    private let options: Options
    /// nil when disconnected (not yet, after an I/O error, or closed).
    private var context: UnsafeMutablePointer<redisContext>?
    private var closed = false

    init(url: RedisURL, options: Options) throws(StoreError) {
        self.url = url
        self.options = options
        try connect()
    }

    deinit { close() }

    /// Disconnects for good; later commands throw `.closed`. Idempotent.
    func close() {
        disconnect()
        closed = true
    }

    private func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    private static func interval(ms: Int) -> timeval {
        let ms = max(1, ms)
        return timeval(tv_sec: ms / 1000, tv_usec: .init((ms % 1000) * 1000))
    }

    /// The context's error text. errstr is a fixed char[128] inside the struct, NUL-terminated.
    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: &context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private func connect() throws(StoreError) {
        guard let made = redisConnectWithTimeout(url.host, Int32(url.port), Self.interval(ms: options.connectTimeoutMs)) else {
            throw StoreError(.backend, "cannot connect to Redis at \(url.address): out of memory")
        }
        guard made.pointee.err == 0 else {
            let message = Self.errorText(made)
            redisFree(made)
            throw StoreError(.backend, "cannot connect to Redis at \(url.address): \(message)")
        }
        context = made
        // Bounds every later command: a hung server turns into an error, not a hung relay.
        redisSetTimeout(made, Self.interval(ms: options.commandTimeoutMs))
        do throws(StoreError) {
            if let password = url.password {
                let args: [RedisArg] = url.username.map { ["AUTH", .text($0), .text(password)] } ?? ["AUTH", .text(password)]
                // The server's message (e.g. WRONGPASS) never contains the password.
                if case .error(let message) = try send(args) {
                    throw StoreError(.backend, "Redis at \(url.address) refused the credentials: \(message)")
                }
            }
            if url.db != 0, case .error(let message) = try send(["SELECT", .int(Int64(url.db))]) {
                throw StoreError(.backend, "Redis at \(url.address) refused database \(url.db): \(message)")
            }
        } catch {
            disconnect()
            throw error
        }
    }

    /// Runs one command; reconnects first if the previous one broke the connection.
    func command(_ args: [RedisArg]) throws(StoreError) -> RedisReply {
        guard !closed else { throw StoreError(.closed, "the Redis store is closed") }
        if context == nil { try connect() }
        return try send(args)
    }

    private func send(_ args: [RedisArg]) throws(StoreError) -> RedisReply {
        guard let context else { throw StoreError(.backend, "not connected to Redis at \(url.address)") }
        // All arguments in one buffer plus (pointer, length) pairs into it: binary-safe,
        // since hiredis takes the lengths from argvlen instead of looking for NULs.
        var blob: [UInt8] = []
        var lengths: [Int] = []
        for arg in args {
            let bytes = arg.bytes
            blob += bytes
            lengths.append(bytes.count)
        }
        blob.append(0)   // never empty, so baseAddress is never nil
        let raw: UnsafeMutableRawPointer? = blob.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                var argv: [UnsafePointer<CChar>?] = []
                argv.reserveCapacity(lengths.count)
                var offset = 0
                for length in lengths {
                    argv.append(chars.baseAddress! + offset)
                    offset += length
                }
                // hiredis copies the arguments into its output buffer and sends them before
                // returning, so the pointers need to live only for this call.
                return argv.withUnsafeMutableBufferPointer { argvBuffer in
                    lengths.withUnsafeBufferPointer { lengthBuffer in
                        redisCommandArgv(context, Int32(argvBuffer.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
                    }
                }
            }
        }
        guard let raw else {
            // NULL means an I/O or protocol error; the context must not be used again.
            let message = Self.errorText(context)
            disconnect()
            throw StoreError(.backend, "Redis at \(url.address): \(message.isEmpty ? "connection lost" : message)")
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }   // frees the whole tree, after it was copied
        return Self.copy(reply)
    }

    /// Copies a hiredis reply (and its children) into Swift values.
    private static func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case chiredis_reply_string():
            return .string(bytes(r.str, r.len))
        case chiredis_reply_integer():
            return .integer(r.integer)
        case chiredis_reply_array():
            var items: [RedisReply] = []
            items.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                if let child = r.element[i] { items.append(copy(child)) } else { items.append(.null) }
            }
            return .array(items)
        case chiredis_reply_status():
            return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case chiredis_reply_error():
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        default:
            return .null
        }
    }

    /// `len` bytes at `str` (which is NULL for empty strings in some hiredis paths).
    private static func bytes(_ str: UnsafeMutablePointer<CChar>?, _ len: Int) -> [UInt8] {
        guard let str, len > 0 else { return [] }
        return str.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
    }
}
