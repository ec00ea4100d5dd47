import Foundation  // the benchmark (not the store) makes temporary directories
import RelayJSON
import RelayStore
import SQLiteStore

// Usage: StoreBench [directory]   (default: the system temporary directory)
let base = CommandLine.arguments.count > 1 ? URL(fileURLWithPath: CommandLine.arguments[1]) : FileManager.default.temporaryDirectory
let directory = base.appendingPathComponent("storebench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let sessionCount = 1000

/// A typical chat message event (~130 bytes of JSON).
func payload(_ n: Int) -> JSONValue {
    ["from": "user", "text": .string("Hello, I would like to talk to a human about my order number \(n), please."),
     "clientId": .string("c-\(n)")]
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

struct Row {
    let label: String
    let events: Int
    let seconds: Double
    var rate: Double { Double(events) / seconds }
}

/// Appends until `maxEvents` or `budget` seconds, in batches of `batch`, into a new database.
func appendRun(batch: Int, synchronous: SQLiteStore.Options.Synchronous, maxEvents: Int, budget: Double) throws -> (Row, String) {
    let path = directory.appendingPathComponent("append-\(batch)-\(synchronous.rawValue).sqlite3").path
    let store = try SQLiteStore(path: path, options: .init(synchronous: synchronous))
    defer { store.close() }
    // The events are made before the clock starts: only the store (serializing included) is measured.
    var seqs = [Int](repeating: 0, count: sessionCount)
    let all = (0..<maxEvents).map { n in
        let s = n % sessionCount
        seqs[s] += 1
        return NewEvent(sessionID: "session-\(s)", seq: seqs[s], ts: Int64(n), kind: "message", payload: payload(n))
    }
    var written = 0
    let clock = ContinuousClock()
    let start = clock.now
    while written < maxEvents {
        try store.append(Array(all[written..<min(written + batch, maxEvents)]))
        written += batch
        if written % 1000 < batch, seconds(clock.now - start) > budget { break }
    }
    let elapsed = seconds(clock.now - start)
    return (Row(label: "append, batch \(batch), synchronous=\(synchronous.rawValue)", events: written, seconds: elapsed), path)
}

var rows: [Row] = []
var readPath = ""
for batch in [1, 10, 100] {
    let (row, path) = try appendRun(batch: batch, synchronous: .normal, maxEvents: 200_000, budget: 10)
    rows.append(row)
    readPath = path
}
for batch in [1, 100] {
    rows.append(try appendRun(batch: batch, synchronous: .full, maxEvents: 200_000, budget: 5).0)
}

// Reads: 100k events of the last NORMAL database, paged by offset, then one session's transcript.
do {
    let store = try SQLiteStore(path: readPath)
    defer { store.close() }
    let clock = ContinuousClock()
    var start = clock.now
    var position: Int64 = 0
    var read = 0
    while read < 100_000 {
        let page = try store.events(after: position, limit: 1000)
        guard let last = page.last else { break }
        read += page.count
        position = last.offset
    }
    rows.append(Row(label: "read by offset, pages of 1000", events: read, seconds: seconds(clock.now - start)))

    start = clock.now
    var sessionReads = 0
    for s in 0..<sessionCount {
        sessionReads += try store.events(session: "session-\(s)", afterSeq: 0, limit: 10_000).count
    }
    rows.append(Row(label: "read per session (\(sessionCount) transcripts)", events: sessionReads, seconds: seconds(clock.now - start)))
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}
print(pad("operation", 44) + pad("events", 10, right: true) + pad("seconds", 10, right: true) + pad("events/s", 12, right: true))
for row in rows {
    print(pad(row.label, 44) + pad("\(row.events)", 10, right: true)
          + pad(String(format: "%.3f", row.seconds), 10, right: true) + pad("\(Int(row.rate))", 12, right: true))
}
