#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A swift-log handler writing one JSON object per line (see ``JSONLogLine``),
/// for log collectors that parse structured lines (journald, Loki, Elasticsearch).
///
/// - Important: each line is handed to the sink in one call; the default
///   sink writes it to file descriptor 2 with one `write(2)` (retried only
///   for the rest of a partial write), so lines from different threads do
///   not interleave and nothing sits in a stdio buffer when the process dies.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: @Sendable (String) -> Void
    private let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - sink: receives each line, without the trailing newline.
    ///   - clock: milliseconds since the epoch (injected by tests).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                sink: @escaping @Sendable (String) -> Void, clock: @escaping @Sendable () -> Int64 = JSONLogHandler.wallClockMs) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
        self.clock = clock
    }

    /// Lines to stderr (stdout stays for what a command prints on purpose, e.g. `token`).
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: metadataProvider, sink: { line in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { return }
                }
            }
        })
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Later sources win: handler metadata, then the provider's, then the call's.
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        sink(JSONLogLine.make(timestampMs: clock(), level: event.level, message: event.message.description, label: label,
                              metadata: merged))
    }

    @Sendable public static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
