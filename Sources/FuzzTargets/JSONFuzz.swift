import RelayJSON

/// `JSONValue.parse`: any bytes give a value or a `JSONParseError` (nesting is
/// bounded), and a parsed value survives serialize → parse unchanged.
enum JSONFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        guard let value = try? JSONValue.parse(bytes: input) else { return }
        roundTrip(value, &check)
        // The String entry point (WebSocket text) agrees with the bytes one on valid UTF-8.
        if let text = String(validating: input, as: UTF8.self) {
            check.expect((try? JSONValue.parse(text)) == value, "parse(String) differs from parse(bytes)")
        }
    }

    /// parse(serialize(v)) == v, and serializing is deterministic.
    static func roundTrip(_ value: JSONValue, _ check: inout FuzzCheck) {
        let text = value.serializedBytes
        guard let again = try? JSONValue.parse(bytes: text) else {
            check.expect(false, "serialized JSON does not parse: \(String(decoding: text.prefix(200), as: UTF8.self))")
            return
        }
        check.expect(again == value, "JSON round trip changed the value")
        check.expect(again.serializedBytes == text, "serializing is not stable")
    }
}
