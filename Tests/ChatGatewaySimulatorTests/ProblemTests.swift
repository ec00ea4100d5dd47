import HTTPModel
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct ProblemTests {
    @Test func rendersProblemJSONWithErrorsList() throws {
        let response = Problem(404, code: "X", message: "gone").response
        #expect(response.status == 404)
        #expect(response.contentType == "application/problem+json")
        let body = try #require(response.jsonBody)
        #expect(body["message"] == "gone")
        #expect(body["errors"] == [["code": "X", "message": "gone"]])
    }

    @Test func invalidJoinsAllDetails() {
        let problem = Problem.invalid([ProblemDetail(code: "A", message: "a bad"), ProblemDetail(code: "B", message: "b bad")])
        #expect(problem.status == 400)
        #expect(problem.message == "a bad; b bad")
        #expect(problem.errors.count == 2)
    }

    @Test func validatorRecordsTypeAndRequiredErrors() {
        var v = Validator()
        let object: [String: JSONValue] = ["s": "x", "n": 1, "a": [1], "o": [:]]
        #expect(v.string(object, "s", path: "s") == "x")
        #expect(v.string(object, "n", path: "n") == nil)
        #expect(v.string(object, "missing", path: "missing", required: true) == nil)
        #expect(v.array(object, "a", path: "a") == [1])
        #expect(v.array(object, "s", path: "s") == nil)
        #expect(v.object(object, "o", path: "o") == [:])
        #expect(v.object(object, "a", path: "a") == nil)
        #expect(v.details.map(\.code) == ["INVALID_TYPE", "REQUIRED", "INVALID_TYPE", "INVALID_TYPE"])
        #expect(throws: Problem.self) { try v.check() }
    }

    @Test func jsonObjectBodyMapsFailures() throws {
        #expect(try jsonObjectBody(Array("{\"a\":1}".utf8)) == ["a": 1])
        #expect(try jsonObjectBody([], allowEmpty: true) == [:])
        #expect(try jsonObjectBody(Array(" \n".utf8), allowEmpty: true) == [:])
        do {
            _ = try jsonObjectBody(Array("{nope".utf8))
            Issue.record("expected a problem")
        } catch {
            #expect(error.status == 400 && error.code == "MALFORMED_JSON")
        }
        #expect(throws: Problem.notAnObject) { try jsonObjectBody(Array("[1]".utf8)) }
        #expect(throws: Problem.self) { try jsonObjectBody([]) }
    }
}
