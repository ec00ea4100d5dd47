/// Which personal data the copilot masks in the text it shows.
public struct RedactionOptions: Sendable, Equatable {
    /// Card numbers: 13–19 digits (spaces or dashes allowed) that pass the Luhn check → "[card ••••1234]".
    public var cardNumbers = true
    /// E-mail addresses → "[email]".
    public var emails = false
    /// Phone numbers → "[phone]".
    public var phones = false

    public init(cardNumbers: Bool = true, emails: Bool = false, phones: Bool = false) {
        self.cardNumbers = cardNumbers
        self.emails = emails
        self.phones = phones
    }

    public static let none = RedactionOptions(cardNumbers: false, emails: false, phones: false)
    public static let all = RedactionOptions(cardNumbers: true, emails: true, phones: true)

    var isEnabled: Bool { cardNumbers || emails || phones }

    func applies(to kind: EntitySpan.Kind) -> Bool {
        switch kind {
        case .card: cardNumbers
        case .email: emails
        case .phone: phones
        case .orderNumber, .amount: false
        }
    }
}

public enum Redactor {
    /// `text` with the selected kinds of personal data replaced by placeholders.
    public static func redact(_ text: String, options: RedactionOptions) -> String {
        guard options.isEnabled else { return text }
        return redact(text, spans: EntityScanner.spans(in: text), options: options)
    }

    /// Redaction with spans already found (the workspace scans each message once).
    static func redact(_ text: String, spans: [EntitySpan], options: RedactionOptions) -> String {
        let selected = spans.filter { options.applies(to: $0.kind) }
        guard !selected.isEmpty else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var position = 0
        for span in selected {  // in text order, non-overlapping
            out.append(contentsOf: scalars[position..<span.range.lowerBound])
            out.append(contentsOf: placeholder(for: span).unicodeScalars)
            position = span.range.upperBound
        }
        out.append(contentsOf: scalars[position...])
        return String(out)
    }

    static func placeholder(for span: EntitySpan) -> String {
        switch span.kind {
        case .card: "[card ••••\(span.last4)]"
        case .email: "[email]"
        case .phone: "[phone]"
        case .orderNumber, .amount: span.text
        }
    }
}
