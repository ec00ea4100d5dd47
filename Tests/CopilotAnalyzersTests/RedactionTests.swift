import Testing
@testable import CopilotAnalyzers

@Suite struct RedactionTests {
    @Test(arguments: ["4111111111111111", "5555555555554444", "378282246310005", "4012888888881881", "6011000990139424"])
    func luhnValidNumbers(number: String) {
        #expect(EntityScanner.luhn(number.utf8.map { $0 - 48 }))
    }

    @Test(arguments: ["4111111111111112", "1234567890123456", "5555555555554445"])
    func luhnInvalidNumbers(number: String) {
        #expect(!EntityScanner.luhn(number.utf8.map { $0 - 48 }))
    }

    @Test func luhnValidCardsAreRedactedByDefault() {
        let defaults = RedactionOptions()
        #expect(defaults == RedactionOptions(cardNumbers: true, emails: false, phones: false))
        #expect(Redactor.redact("my card is 4111 1111 1111 1111, ok?", options: defaults) == "my card is [card ••••1111], ok?")
        #expect(Redactor.redact("4111-1111-1111-1111", options: defaults) == "[card ••••1111]")
        #expect(Redactor.redact("5555555555554444", options: defaults) == "[card ••••4444]")
        #expect(Redactor.redact("amex 3782 822463 10005.", options: defaults) == "amex [card ••••0005].")
    }

    @Test func numbersThatFailLuhnAreLeftAlone() {
        let options = RedactionOptions()
        for text in ["my card is 4111 1111 1111 1112", "ref 1234567890123456", "tracking 5555555555554445"] {
            #expect(Redactor.redact(text, options: options) == text)
        }
    }

    @Test func tooShortOrTooLongRunsAreNotCards() {
        let options = RedactionOptions()
        #expect(Redactor.redact("411111111111", options: options) == "411111111111")  // 12 digits
        let glued = "order 41111111111111110"  // 17 digits glued into one run, failing Luhn as a whole
        #expect(Redactor.redact(glued, options: options) == glued)
    }

    @Test func aCardAmongOtherNumbers() {
        #expect(Redactor.redact("order 123456: card 4111 1111 1111 1111 2 times", options: RedactionOptions())
            == "order 123456: card [card ••••1111] 2 times")
    }

    @Test func emailsAndPhonesOnlyWhenEnabled() {
        let text = "mail anna@example.com or call +44 20 7946 0958"
        #expect(Redactor.redact(text, options: RedactionOptions()) == text)
        #expect(Redactor.redact(text, options: RedactionOptions(emails: true)) == "mail [email] or call +44 20 7946 0958")
        #expect(Redactor.redact(text, options: RedactionOptions(phones: true)) == "mail anna@example.com or call [phone]")
        #expect(Redactor.redact(text, options: .all) == "mail [email] or call [phone]")
    }

    @Test func nothingEnabledChangesNothing() {
        let text = "4111 1111 1111 1111 anna@example.com +44 20 7946 0958"
        #expect(Redactor.redact(text, options: .none) == text)
    }

    @Test func orderNumbersAndAmountsAreNotRedacted() {
        let text = "order 1234567890 cost $45.99"
        #expect(Redactor.redact(text, options: .all) == text)
    }

    @Test func textAroundIsKeptExactly() {
        #expect(Redactor.redact("🙂 café 4111111111111111 ✓", options: .all) == "🙂 café [card ••••1111] ✓")
    }
}
