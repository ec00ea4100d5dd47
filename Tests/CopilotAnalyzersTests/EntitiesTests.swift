import Testing
@testable import CopilotAnalyzers

@Suite struct EntitiesTests {
    func extract(_ text: String) -> ConversationEntities { ConversationEntities.extract(from: text) }

    @Test(arguments: [
        ("Order #A12345 never came", ["#A12345"]),
        ("my order 123456 is late", ["123456"]),
        ("order no. 98765432", ["98765432"]),
        ("order number: 55512", ["55512"]),
        ("Order#77881 please", ["77881"]),
        ("it's ORD-2024-001, and INV-88231", ["ORD-2024-001", "INV-88231"]),
        ("orders #A12345 and #B-99881", ["#A12345", "#B-99881"]),
        ("#A12345 again #A12345", ["#A12345"]),
    ])
    func orderNumbers(text: String, expected: [String]) {
        #expect(extract(text).orderNumbers == expected)
    }

    @Test(arguments: ["I'm #1 fan", "order 12 pizzas", "my order is late", "the order ABC-DEF", "Covid-19 delays"])
    func notOrderNumbers(text: String) {
        #expect(extract(text).orderNumbers.isEmpty)
    }

    @Test func emails() {
        #expect(extract("mail john.doe+shop@example.co.uk or ANNA@Example.com.").emails == ["john.doe+shop@example.co.uk", "ANNA@Example.com"])
        #expect(extract("at @ home, a@b, x@y.z, @handle, user@localhost").emails.isEmpty)
    }

    @Test(arguments: [
        ("call +44 20 7946 0958 please", "+44 20 7946 0958"),
        ("(555) 123-4567", "(555) 123-4567"),
        ("my number is 555-123-4567.", "555-123-4567"),
        ("ring 0612345678", "0612345678"),
        ("+31 20 123 4567", "+31 20 123 4567"),
        ("tel. 030.123.4567", "030.123.4567"),
    ])
    func phones(text: String, expected: String) {
        #expect(extract(text).phones == [expected])
    }

    @Test(arguments: [
        "order 1234567", "on 2024-05-01", "on 12/05/2024", "ORD-2024-001", "it was $45.99", "card 4111 1111 1111 1111",
        "at 14:00", "123456", "a1234567890",
    ])
    func notPhones(text: String) {
        #expect(extract(text).phones.isEmpty, "\(text): \(extract(text).phones)")
    }

    @Test(arguments: [
        ("it cost $45.99", ["$45.99"]),
        ("€20 and £ 5", ["€20", "£ 5"]),
        ("20 EUR or 45.99 usd", ["20 EUR", "45.99 usd"]),
        ("about 30 euros, 1,299.00 dollars", ["30 euros", "1,299.00 dollars"]),
        ("EUR 20 and 15€", ["EUR 20", "15€"]),
    ])
    func amounts(text: String, expected: [String]) {
        #expect(extract(text).amounts == expected)
    }

    @Test func notAmounts() {
        #expect(extract("3 items in 2 days, euro-pallet, 20 eurosport").amounts.isEmpty)
    }

    @Test func everythingAtOnceInTextOrder() {
        let entities = extract("Order #A12345 (ORD-2024-001): I paid $45.99 twice! Mail anna@example.com or call +44 20 7946 0958.")
        #expect(entities == ConversationEntities(orderNumbers: ["#A12345", "ORD-2024-001"], emails: ["anna@example.com"],
                                                 phones: ["+44 20 7946 0958"], amounts: ["$45.99"]))
    }

    @Test func cardNumbersAreNeverEntities() {
        #expect(extract("card 4111 1111 1111 1111").isEmpty)
    }

    @Test func mergeKeepsFirstSeenOrderWithoutDuplicates() {
        var a = ConversationEntities(orderNumbers: ["#A1"], amounts: ["$5"])
        a.merge(ConversationEntities(orderNumbers: ["#B2", "#A1"], emails: ["x@y.io"], amounts: ["$5"]))
        #expect(a == ConversationEntities(orderNumbers: ["#A1", "#B2"], emails: ["x@y.io"], amounts: ["$5"]))
    }
}
