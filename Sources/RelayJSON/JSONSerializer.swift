extension JSONValue {
    /// Compact JSON text. Object keys are sorted so output is deterministic
    /// (tests compare strings; logs diff cleanly).
    public var serialized: String {
        String(decoding: serializedBytes, as: UTF8.self)
    }

    /// The same text as UTF-8 bytes. Written into one byte buffer: strings are
    /// copied a byte at a time with escapes only where needed, which profiles
    /// showed far cheaper than appending Unicode scalars to a `String`.
    public var serializedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += Self.nullBytes
        case .bool(let b): out += b ? Self.trueBytes : Self.falseBytes
        case .number(let n): Self.writeNumber(n, to: &out)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeNumber(_ n: Double, to out: inout [UInt8]) {
        guard n.isFinite else { out += nullBytes; return }  // JSON has no NaN/Infinity
        if n.rounded() == n, abs(n) < 9.007_199_254_740_992e15 {
            out += String(Int64(n)).utf8
        } else {
            out += "\(n)".utf8
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var utf8 = s.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            case 0xE2:
                // U+2028/2029 (E2 80 A8/A9) are legal JSON but break JavaScript string
                // literals when embedded in pages: escape them. Other E2 sequences pass.
                guard let second = utf8.next() else { out.append(byte); break }
                guard second == 0x80, let third = utf8.next() else {
                    out += [byte, second]
                    break
                }
                if third == 0xA8 || third == 0xA9 {
                    out += Array(third == 0xA8 ? "\\u2028".utf8 : "\\u2029".utf8)
                } else {
                    out += [byte, second, third]
                }
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// `s` as a JSON string literal, escaped as ``serialized`` escapes strings:
    /// for writers that lay out their own objects (e.g. a log line with fixed key order).
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
