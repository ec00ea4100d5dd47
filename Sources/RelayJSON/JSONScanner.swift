/// Finds where a JSON value ends in serialized bytes, without building it:
/// for splicing a stored value into another document (a logged event into a
/// stream envelope) instead of parsing and printing it again.
public enum JSONScanner {
    /// The index just past the JSON value that starts at `start` (no leading
    /// whitespace), or nil when the bytes there are not one well-nested value.
    /// Strings are skipped with their escapes; nothing else is validated.
    public static func valueEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        var depth = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                guard let end = stringEnd(bytes, from: i) else { return nil }
                i = end
                if depth == 0 { return i }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i == start ? nil : i }  // a scalar ends before a closing bracket
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return i == start ? nil : i }  // a scalar ends before a comma
            default:
                break
            }
            i += 1
        }
        return depth == 0 && i > start ? i : nil  // a scalar running to the end
    }

    /// The index just past the closing quote of the string opening at `start`.
    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }
}
