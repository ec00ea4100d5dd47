import Testing
@testable import CopilotAnalyzers

@Suite struct MarkdownTests {
    @Test func titleIsTheFirstLevelOneHeading() {
        let text = Markdown.plainText("""
            Intro line
            # Returns and **refunds**

            ## How to return
            Text here.
            # Second title
            """)
        #expect(text.title == "Returns and refunds")
        #expect(text.body == "Intro line\nHow to return\nText here.\nSecond title")
    }

    @Test func noHeadingNoTitle() {
        #expect(Markdown.plainText("Just text.").title == nil)
    }

    @Test func paragraphsJoinAndListsSplit() {
        let text = Markdown.plainText("""
            A paragraph
            that wraps.

            - first item
            * second item
              continued
            1. numbered
            2) also numbered
            - [x] done
            > quoted *text*
            ---
            """)
        #expect(text.body == """
            A paragraph that wraps.
            first item
            second item continued
            numbered
            also numbered
            done
            quoted text
            """)
    }

    @Test func inlineMarkupIsStripped() {
        #expect(Markdown.inline("See [Returns](returns.md) and ![a photo](x.png), **bold**, _em_, `code`, ~~old~~")
            == "See Returns and a photo, bold, em, code, old")
        #expect(Markdown.inline("snake_case stays, <b>tags</b> go, <https://example.com> stays") == "snake_case stays, tags go, https://example.com stays")
        #expect(Markdown.inline("a \\*literal\\* star and 3 < 4") == "a *literal* star and 3 < 4")
        #expect(Markdown.inline("  spaced    out  ") == "spaced out")
    }

    @Test func tablesBecomeRows() {
        let text = Markdown.plainText("""
            | Option | Time |
            |---|:---:|
            | Express | next **day** |
            """)
        #expect(text.body == "Option; Time\nExpress; next day")
    }

    @Test func codeFencesKeepTheirText() {
        let text = Markdown.plainText("""
            ```json
            {"a": 1}
            ```
            after
            """)
        #expect(text.body == "{\"a\": 1}\nafter")
    }
}
