import CopilotAnalyzers
import Foundation  // the benchmark (not the analyzers) reads files and the clock

// MARK: knowledge base: the demo articles, replicated with varied words up to 500 documents

let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()  // bench/CopilotBench
    .deletingLastPathComponent().deletingLastPathComponent()                                // repository
let kbFolder = root.appendingPathComponent("docs/examples/kb")
let names = try FileManager.default.contentsOfDirectory(atPath: kbFolder.path).filter { $0.hasSuffix(".md") }.sorted()
let demo = try names.map { name in
    KnowledgeBase.document(path: "docs/examples/kb/\(name)", markdown: try String(contentsOf: kbFolder.appendingPathComponent(name), encoding: .utf8))
}

/// SplitMix64: a deterministic generator, so every run benchmarks the same data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
var random = SplitMix64(state: 42)

// Vocabulary to vary with: every word of the demo KB plus synthetic product words.
let demoWords = Array(Set(demo.flatMap { $0.body.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() } })).sorted()
let synthetic = (0..<2000).map { i in "prod" + String(i, radix: 36) + ["ware", "line", "kit", "max", "lite"][i % 5] }
let documentCount = 500
var documents: [KnowledgeDocument] = []
for n in 0..<documentCount {
    let base = demo[n % demo.count]
    let copy = n / demo.count
    var body = ""
    for line in base.body.split(separator: "\n") {
        var words = line.split(separator: " ").map(String.init)
        for i in words.indices where copy > 0 && Int.random(in: 0..<100, using: &random) < 15 {
            // Replace ~15 % of the words with other KB words or synthetic product names.
            words[i] = Bool.random(using: &random) ? demoWords.randomElement(using: &random)! : synthetic.randomElement(using: &random)!
        }
        body += words.joined(separator: " ") + "\n"
    }
    let title = copy == 0 ? base.title : base.title + " — " + synthetic[(n * 7) % synthetic.count]
    documents.append(KnowledgeDocument(id: "\(base.id)-\(copy)", title: title, body: body, source: base.source))
}

let clock = ContinuousClock()
func microseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

let kbStart = clock.now
let knowledgeBase = KnowledgeBase(documents: documents)
let kbTime = clock.now - kbStart

// MARK: a 200-message conversation

let userLines = [
    "Hi", "My parcel is late, order #A12345 was supposed to arrive on Monday.", "Where is it? The tracking hasn't changed in a week!!",
    "This is ridiculous, I'm really disappointed.", "I want my money back.", "I paid $45.99 with my card 4111 1111 1111 1111.",
    "Can you call me on +44 20 7946 0958 or mail anna@example.com?", "I was charged twice for the same order.",
    "Not bad, but the delivery was awful.", "ok", "Thanks, that helps :)", "Can I change the delivery address to my office?",
    "The lamp arrived broken, the glass is cracked.", "I forgot my password and can't log in.", "Is the blender still under warranty?",
]
let botLines = [
    "You can track your order from the link in your confirmation email. If it hasn't moved in 3 days, say \"agent\".",
    "Standard delivery takes 2–4 working days; express delivery arrives the next working day.",
    "I'm not sure I understood. I can help with orders, delivery, returns and opening hours.",
]
let agentLines = [
    "Let me check that for you.", "I'm sorry about the delay. I have opened an investigation with the carrier.",
    "I have refunded the order; you'll see it in 3–5 business days.", "Is there anything else I can help with?",
]
func line(_ seq: Int) -> CopilotMessage {
    let ts = 1_700_000_000_000 + Int64(seq) * 15_000
    switch seq % 4 {
    case 1: return CopilotMessage(seq: seq, from: seq < 40 ? "bot" : "agent",
                                  text: seq < 40 ? botLines[seq % botLines.count] : agentLines[seq % agentLines.count], ts: ts)
    default: return CopilotMessage(seq: seq, from: "user", text: userLines[(seq * 7) % userLines.count], ts: ts)
    }
}

var settings = CopilotAnalyzerSettings()
settings.redaction = RedactionOptions(cardNumbers: true, emails: true, phones: true)
var base = CopilotWorkspace(settings: settings, knowledgeBase: knowledgeBase, rules: .default)
let buildStart = clock.now
for seq in 1...200 { base.append(line(seq)) }
let buildTime = clock.now - buildStart

// MARK: timing one new message

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
}

@MainActor func measure(_ label: String, _ message: CopilotMessage, iterations: Int = 1000) {
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    var sink = 0
    for _ in 0..<(iterations / 10) {  // warm-up
        var w = base
        w.append(message)
        sink &+= w.tileData().count
    }
    for _ in 0..<iterations {
        var w = base  // a fresh copy of the 200-message workspace
        let start = clock.now
        w.append(message)
        let tiles = w.tileData()
        let elapsed = clock.now - start
        sink &+= tiles.count
        samples.append(microseconds(elapsed))
    }
    samples.sort()
    let mean = samples.reduce(0, +) / Double(samples.count)
    print("\(label.padding(toLength: 44, withPad: " ", startingAt: 0)) median \(format(percentile(samples, 50))) µs   p90 \(format(percentile(samples, 90))) µs   p99 \(format(percentile(samples, 99))) µs   mean \(format(mean)) µs\(sink == 0 ? " " : "")")
}

func format(_ x: Double) -> String { String(format: "%7.1f", x) }

print("CopilotBench: \(knowledgeBase.count) documents (\(documents.reduce(0) { $0 + $1.body.split(separator: " ").count }) words), built in \(format(microseconds(kbTime) / 1000)) ms")
print("conversation: \(base.messageCount) messages, appended in \(format(microseconds(buildTime) / 1000)) ms; 1000 iterations each, fresh copy every time")
let userMessage = CopilotMessage(seq: 201, from: "user", text: "I still haven't got my refund and the parcel never arrived, this is unacceptable!",
                                 ts: 1_700_003_015_000)
let agentMessage = CopilotMessage(seq: 201, from: "agent", text: "I have refunded the order; you'll see it in 3–5 business days.",
                                  ts: 1_700_003_015_000)
measure("append(user) + tileData()", userMessage)
measure("append(agent) + tileData()", agentMessage)

// Where the time goes (same setup, timing one part).
@MainActor func measurePart(_ label: String, iterations: Int = 1000, _ body: (inout CopilotWorkspace) -> Int) {
    var samples: [Double] = []
    var sink = 0
    for i in 0..<(iterations + iterations / 10) {
        var w = base
        let start = clock.now
        sink &+= body(&w)
        let elapsed = clock.now - start
        if i >= iterations / 10 { samples.append(microseconds(elapsed)) }
    }
    samples.sort()
    print("\(label.padding(toLength: 44, withPad: " ", startingAt: 0)) median \(format(percentile(samples, 50))) µs   p90 \(format(percentile(samples, 90))) µs\(sink == 0 ? " " : "")")
}
measurePart("  of which append(user)") { w in w.append(userMessage); return w.messageCount }
var afterUser = base
afterUser.append(userMessage)
measurePart("  of which tileData() after it") { _ in afterUser.tileData().count }
measurePart("  of which the knowledge search alone") { _ in knowledgeBase.search(userMessage.text, limit: 3).count }
