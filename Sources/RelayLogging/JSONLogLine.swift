import Logging
import RelayJSON

/// Builds one JSON log line: `{"ts":…,"level":…,"msg":…,"logger":…, <metadata>}`.
/// Pure (no clock, no I/O) so escaping and flattening are tested directly.
///
/// Metadata is flattened into the top-level object, keys sorted so lines
/// diff and grep well; nested dictionaries and arrays stay JSON objects and
/// arrays. A metadata key that collides with a fixed field is prefixed with
/// `meta.` rather than silently overwriting it.
public enum JSONLogLine {
    public static let fixedKeys: Set<String> = ["ts", "level", "msg", "logger"]

    public static func make(timestampMs: Int64, level: Logger.Level, message: String, label: String,
                            metadata: Logger.Metadata) -> String {
        var out = "{\"ts\":\""
        out += Timestamp.iso8601(epochMs: timestampMs)
        out += "\",\"level\":"
        appendString(level.rawValue, to: &out)
        out += ",\"msg\":"
        appendString(message, to: &out)
        out += ",\"logger\":"
        appendString(label, to: &out)
        for key in metadata.keys.sorted() {
            out += ","
            appendString(fixedKeys.contains(key) ? "meta." + key : key, to: &out)
            out += ":"
            appendValue(metadata[key]!, to: &out)
        }
        out += "}"
        return out
    }

    static func appendValue(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let s):
            appendString(s, to: &out)
        case .stringConvertible(let c):
            appendString(c.description, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                appendValue(item, to: &out)
            }
            out += "]"
        case .dictionary(let dict):
            out += "{"
            for (i, key) in dict.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                appendValue(dict[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal, escaped by RelayJSON: control characters as
    /// `\uXXXX` or short escapes (a newline in a message must not split the
    /// line), and U+2028/2029, which some log shippers take for line ends.
    static func appendString(_ s: String, to out: inout String) {
        out += JSONValue.quoted(s)
    }
}
