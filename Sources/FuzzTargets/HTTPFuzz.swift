import HTTPModel

/// `QueryString.parse` (every query string the relay reads): any text gives a
/// dictionary, and re-encoding it with `percentEncode` parses back to the same.
enum QueryFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        let query = input.lenientText
        let parsed = QueryString.parse(query[...])
        let encoded = parsed.keys.sorted().map { QueryString.percentEncode($0) + "=" + QueryString.percentEncode(parsed[$0]!) }
        let again = QueryString.parse(encoded.joined(separator: "&")[...])
        check.expect(again == parsed, "query string round trip changed it")
        for (key, value) in parsed {
            check.expect(QueryString.percentDecode(QueryString.percentEncode(key)[...]) == key, "percent round trip changed a key")
            check.expect(QueryString.percentDecode(QueryString.percentEncode(value)[...]) == value, "percent round trip changed a value")
        }
    }
}

/// `HTTPURL(_:)` (base URLs from config, webhook subscription URLs): nil or a
/// URL whose text form parses back to the same URL.
enum URLFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        guard let url = HTTPURL(input.lenientText) else { return }
        check.expect((1...65535).contains(url.port), "port \(url.port) out of range")
        check.expect(!url.host.isEmpty, "empty host accepted")
        check.expect(HTTPURL(url.description) == url, "URL round trip changed it: \(url.description)")
    }
}
