import Logging

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
        out += iso8601(epochMs: timestampMs)
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

    /// A JSON string literal. Control characters are escaped (a newline in a
    /// message must not split the line); other characters pass as UTF-8.
    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"  // line separators: some log shippers split on them
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u00"
                    let hex = Array("0123456789abcdef")
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `2026-11-25T23:08:28.123Z`: UTC, millisecond precision, computed
    /// without Foundation formatters (civil-from-days, Howard Hinnant's algorithm).
    public static func iso8601(epochMs: Int64) -> String {
        let ms = Int(((epochMs % 1000) + 1000) % 1000)
        let seconds = (epochMs - Int64(ms)) / 1000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(ms, 3))Z"
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
