import Foundation
import Mustache
import Testing

@testable import ConfianzaServer

/// Page data made into dictionaries once (``TemplateData``) renders exactly as the structs it came
/// from did through the template engine's own reflection: fields, nested rows, optionals present and
/// absent (an absent one is looked up further out, as before), enums, dates and numbers as text.
@Suite struct TemplateDataTests {
    enum Mood: String { case calm, loud }

    struct Cell {
        var text: String
        var note: String?
        var flag: Bool
    }

    struct Row {
        var name: String
        var count: Int
        var ratio: Double
        var mood: Mood
        var label: String?
        var cells: [Cell]
        var nested: Cell?
        var when: Date
        var id: UUID
    }

    struct Page {
        var title: String
        var label: String
        var rows: [Row]
        var empty: [Row]
        var nothing: String?
        var twice: String??
    }

    static let template = """
        {{#page}}<h1>{{title}}</h1>{{#rows}}<p>{{name}} {{count}} {{ratio}} {{mood}} [{{label}}] {{when}} {{id}}
        {{#cells}}<i>{{text}}|{{note}}|{{#flag}}on{{/flag}}{{^flag}}off{{/flag}}|{{title}}</i>{{/cells}}
        {{#nested}}<b>{{text}} {{note}}</b>{{/nested}}{{^nested}}none{{/nested}}</p>{{/rows}}
        {{^empty}}no rows{{/empty}}{{#nothing}}x{{/nothing}}{{^nothing}}nothing{{/nothing}}{{#twice}}{{.}}{{/twice}}{{/page}}{{t.word}}
        """

    @Test func dictionariesRenderAsTheStructsDid() throws {
        let when = Date(timeIntervalSince1970: 1_780_000_000)
        let page = Page(
            title: "Queue", label: "page label",
            rows: [
                Row(
                    name: "a & b", count: 3, ratio: 0.5, mood: .loud, label: nil, cells: [Cell(text: "x", note: nil, flag: true), Cell(text: "y", note: "n", flag: false)],
                    nested: Cell(text: "in", note: nil, flag: true), when: when, id: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!),
                Row(name: "<c>", count: 0, ratio: 2, mood: .calm, label: "own", cells: [], nested: nil, when: when, id: UUID()),
            ],
            empty: [], nothing: nil, twice: .some("both"))
        let template = try MustacheTemplate(string: Self.template)
        let t: [String: Any] = ["word": "palabra"]
        let before = template.render(["page": page, "t": t] as [String: Any])
        let after = template.render(["page": TemplateData.prepared(page), "t": t] as [String: Any])
        #expect(after == before)
        #expect(before.contains("[page label]"), "a nil field is looked up further out, before and after")
        #expect(before.contains("a &amp; b 3 0.5 loud"))
    }
}
