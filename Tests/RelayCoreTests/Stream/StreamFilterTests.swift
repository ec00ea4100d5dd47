import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// Which logged events a stream subscriber may see, and how a token's scope narrows a request.
@Suite struct StreamFilterTests {
    /// s1: a bot-only message (no provider); s2: a handover event on provider "acme", queue "vip".
    let botMessage = StoredEvent(offset: 1, messageEntry("s1", seq: 1))
    let acmeHandover = StoredEvent(offset: 2, handoverEntry("s2", seq: 1, provider: "acme", queue: "vip"))
    let defaultMessage = StoredEvent(offset: 3, messageEntry("s3", seq: 1, provider: "default", queue: "q"))

    @Test func anEmptyFilterLetsEverythingThrough() {
        let filter = StreamFilter()
        #expect(filter.matches(botMessage))
        #expect(filter.matches(acmeHandover))
        #expect(filter.matches(defaultMessage))
    }

    @Test func sessionsIsAnAllowList() {
        let filter = StreamFilter(sessions: ["s1", "s3"])
        #expect(filter.matches(botMessage))
        #expect(!filter.matches(acmeHandover))
        #expect(filter.matches(defaultMessage))
    }

    @Test func typesSelectByTheLoggedKind() {
        #expect(StreamFilter(types: ["handover"]).matches(acmeHandover))
        #expect(!StreamFilter(types: ["handover"]).matches(botMessage))
        #expect(StreamFilter(types: ["message"]).matches(botMessage))
        #expect(!StreamFilter(types: ["message"]).matches(acmeHandover))
        #expect(!StreamFilter(types: []).matches(botMessage), "an empty allow-list lets nothing through")
    }

    @Test func providersSelectByTheSessionsHandoverAndExcludeBotOnlyEvents() {
        let filter = StreamFilter(providers: ["acme"])
        #expect(filter.matches(acmeHandover))
        #expect(!filter.matches(defaultMessage))
        #expect(!filter.matches(botMessage), "an event without a provider is outside every provider list")
    }

    @Test func queuesSelectByTheHandoversQueue() {
        let filter = StreamFilter(queues: ["vip"])
        #expect(filter.matches(acmeHandover))
        #expect(!filter.matches(defaultMessage))
        #expect(!filter.matches(botMessage))
    }

    @Test func allListsMustMatch() {
        let filter = StreamFilter(sessions: ["s2", "s3"], types: ["handover"], providers: ["acme", "default"], queues: ["vip", "q"])
        #expect(filter.matches(acmeHandover))
        #expect(!filter.matches(defaultMessage), "right session, provider and queue, wrong type")
        #expect(!StreamFilter(sessions: ["s2"], providers: ["default"]).matches(acmeHandover))
    }

    // MARK: token scope

    @Test func theScopeOfAnUnrestrictedTokenIsEverything() {
        let token = IntegratorToken(subject: "a", scopes: [IntegratorToken.streamScope], expiresAt: 1)
        #expect(StreamFilter(scopeOf: token) == StreamFilter())
    }

    @Test func theScopeOfARestrictedTokenCarriesItsLists() {
        let token = IntegratorToken(subject: "a", scopes: [IntegratorToken.streamScope], sessions: ["s1", "s2", "s1"],
                                    providers: ["acme"], types: ["message"], expiresAt: 1)
        #expect(StreamFilter(scopeOf: token) == StreamFilter(sessions: ["s1", "s2"], types: ["message"], providers: ["acme"], queues: nil))
    }

    @Test func withinAnUnrestrictedScopeTheRequestStands() {
        let asked = StreamFilter(sessions: ["s1"], types: ["handover"], providers: ["p"], queues: ["q"])
        #expect(asked.within(StreamFilter()) == .success(asked))
        #expect(StreamFilter().within(StreamFilter()) == .success(StreamFilter()))
    }

    @Test func omittedFieldsAreNarrowedToTheScope() {
        let scope = StreamFilter(sessions: ["s1", "s2"], types: ["message"], providers: ["acme"])
        #expect(StreamFilter().within(scope) == .success(scope))
        // Asked fields stay as asked; the others take the scope's.
        let asked = StreamFilter(sessions: ["s2"], queues: ["vip"])
        #expect(asked.within(scope) == .success(StreamFilter(sessions: ["s2"], types: ["message"], providers: ["acme"], queues: ["vip"])))
    }

    @Test func aSubsetOfTheScopeIsAllowed() {
        let scope = StreamFilter(sessions: ["s1", "s2"], types: ["message", "handover"], providers: ["acme", "beta"])
        let asked = StreamFilter(sessions: ["s1"], types: ["handover"], providers: ["beta"])
        #expect(asked.within(scope) == .success(asked))
        #expect(scope.within(scope) == .success(scope))
    }

    @Test func askingOutsideTheScopeIsRefusedNamingTheFieldAndValues() {
        let scope = StreamFilter(sessions: ["s1"], types: ["message"], providers: ["acme"])
        #expect(StreamFilter(sessions: ["s1", "s9", "s4"]).within(scope) == .failure(.init(field: "sessions", values: ["s4", "s9"])))
        #expect(StreamFilter(types: ["handover"]).within(scope) == .failure(.init(field: "types", values: ["handover"])))
        #expect(StreamFilter(providers: ["acme", "evil"]).within(scope) == .failure(.init(field: "providers", values: ["evil"])))
        let queueScope = StreamFilter(queues: ["q"])
        #expect(StreamFilter(queues: ["vip"]).within(queueScope) == .failure(.init(field: "queues", values: ["vip"])))
        // The first field out of scope is the one named.
        #expect(StreamFilter(sessions: ["s9"], types: ["handover"]).within(scope) == .failure(.init(field: "sessions", values: ["s9"])))
    }

    @Test func theRefusalMessageNamesAtMostFiveShortenedValues() {
        let forbidden = StreamFilter.Forbidden(field: "sessions", values: ["a", "b", "c", "d", "e", "f"])
        #expect(forbidden.message == "the token does not allow sessions 'a', 'b', 'c', 'd', 'e'")
        let long = StreamFilter.Forbidden(field: "providers", values: [String(repeating: "x", count: 100)])
        #expect(long.message == "the token does not allow providers '\(String(repeating: "x", count: 64))'")
    }
}

