import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct ReadinessTests {
    @Test func readyWhenRestoredAndTheStoreCommits() throws {
        let readiness = Readiness(restored: true, commitFailure: nil)
        #expect(readiness.isReady)
        let response = readiness.response
        #expect(response.status == 200)
        let body = try #require(response.jsonBody)
        #expect(body["status"] == "ready")
        #expect(body["checks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["restore", "store"])
        #expect(body["checks"]?.arrayValue?.allSatisfy { $0["ok"] == true } == true)
    }

    @Test func aFailedCommitIsNotReadyAndSaysWhy() throws {
        let response = Readiness(restored: true, commitFailure: "disk I/O error").response
        #expect(response.status == 503)
        #expect(response.contentType == "application/problem+json")
        let body = try #require(response.jsonBody)
        #expect(body["code"] == "not_ready")
        #expect(body["message"] == "not ready: store")
        let store = body["checks"]?.arrayValue?.first { $0["name"] == "store" }
        #expect(store?["ok"] == false)
        #expect(store?["detail"]?.stringValue?.contains("disk I/O error") == true)
    }

    @Test func notReadyBeforeTheRestore() throws {
        let readiness = Readiness(restored: false, commitFailure: "x")
        #expect(!readiness.isReady)
        #expect(readiness.response.jsonBody?["message"] == "not ready: restore, store")
    }
}
