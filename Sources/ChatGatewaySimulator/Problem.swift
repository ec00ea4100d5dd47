import HTTPModel
import RelayJSON

/// One entry of a problem document's `errors` list.
///
/// 8x8 reports every validation failure of a request at once, each with a
/// machine-readable code, so the simulator collects them instead of stopping
/// at the first.
struct ProblemDetail: Sendable, Equatable {
    var code: String
    var message: String

    var json: JSONValue { ["code": .string(code), "message": .string(message)] }
}

/// An error answer, rendered as `application/problem+json` the way 8x8 does:
/// `{"status","code","message","errors":[{"code","message"}]}`.
///
/// Handlers throw or return it; one type keeps every error path in the same
/// shape so relay code that parses 8x8 errors is exercised for real.
struct Problem: Error, Sendable, Equatable {
    var status: Int
    var code: String
    var message: String
    var errors: [ProblemDetail]

    init(_ status: Int, code: String, message: String, errors: [ProblemDetail]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors ?? [ProblemDetail(code: code, message: message)]
    }

    var response: HTTPResponse {
        .json(status, [
            "status": JSONValue(status),
            "code": .string(code),
            "message": .string(message),
            "errors": .array(errors.map(\.json)),
        ], contentType: "application/problem+json")
    }

    /// 400 listing every validation failure; the top message joins them for log readability.
    static func invalid(_ details: [ProblemDetail]) -> Problem {
        Problem(400, code: "VALIDATION_FAILED", message: details.map(\.message).joined(separator: "; "), errors: details)
    }

    static func badJSON(_ reason: String) -> Problem {
        Problem(400, code: "MALFORMED_JSON", message: "request body is not valid JSON: \(reason)")
    }

    static let notAnObject = Problem(400, code: "MALFORMED_JSON", message: "request body must be a JSON object")

    static func conversationNotFound(_ id: String) -> Problem {
        Problem(404, code: "CONVERSATION_NOT_FOUND", message: "no conversation with id '\(id)'")
    }

    static func noRoute(_ method: String, _ path: String) -> Problem {
        Problem(404, code: "NOT_FOUND", message: "no route for \(method) \(path)")
    }

    static func methodNotAllowed(_ method: String, _ path: String) -> Problem {
        Problem(405, code: "METHOD_NOT_ALLOWED", message: "\(method) is not supported on \(path)")
    }

    static func conflict(_ message: String) -> Problem {
        Problem(409, code: "INVALID_STATE", message: message)
    }
}

/// Collects validation failures while reading a JSON request body.
///
/// Small helpers keep the validation code declarative ("this must be a string
/// if present") and guarantee that no shape of input can trap.
struct Validator: Sendable {
    var details: [ProblemDetail] = []

    mutating func fail(_ code: String, _ message: String) { details.append(ProblemDetail(code: code, message: message)) }

    /// The string at `field`, recording an error when it is present with another type (or missing and required).
    mutating func string(_ object: [String: JSONValue], _ field: String, path: String, required: Bool = false) -> String? {
        switch object[field] {
        case nil, .null?:
            if required { fail("REQUIRED", "\(path) is required") }
            return nil
        case .string(let text)?:
            return text
        case let other?:
            fail("INVALID_TYPE", "\(path) must be a string, got \(other.typeName)")
            return nil
        }
    }

    /// The array at `field` (nil when absent), recording an error for other types.
    mutating func array(_ object: [String: JSONValue], _ field: String, path: String) -> [JSONValue]? {
        switch object[field] {
        case nil, .null?: return nil
        case .array(let items)?: return items
        case let other?:
            fail("INVALID_TYPE", "\(path) must be an array, got \(other.typeName)")
            return nil
        }
    }

    /// The object at `field` (nil when absent), recording an error for other types.
    mutating func object(_ object: [String: JSONValue], _ field: String, path: String, required: Bool = false) -> [String: JSONValue]? {
        switch object[field] {
        case nil, .null?:
            if required { fail("REQUIRED", "\(path) is required") }
            return nil
        case .object(let members)?: return members
        case let other?:
            fail("INVALID_TYPE", "\(path) must be an object, got \(other.typeName)")
            return nil
        }
    }

    /// Throws the collected failures as one 400 problem, if there are any.
    func check() throws(Problem) {
        if !details.isEmpty { throw Problem.invalid(details) }
    }
}

/// Reads a request body as a JSON object, mapping failures to 400 problems.
///
/// `allowEmpty` lets bodiless POSTs (e.g. accept without an agent id) mean `{}`.
func jsonObjectBody(_ body: [UInt8], allowEmpty: Bool = false) throws(Problem) -> [String: JSONValue] {
    if allowEmpty, body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
    let value: JSONValue
    do {
        value = try JSONValue.parse(bytes: body)
    } catch {
        throw Problem.badJSON(error.description)
    }
    guard case .object(let members) = value else { throw Problem.notAnObject }
    return members
}
