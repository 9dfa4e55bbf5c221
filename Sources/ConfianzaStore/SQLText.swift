import ConfianzaCore
import Foundation
import NIOCore
import SQLKit
import SQLiteNIO

/// SQL text with its bound values, written once for both dialects (`?` for SQLite, `$n` for PostgreSQL).
struct SQLText {
    private(set) var pieces: [String] = [""]
    private(set) var binds: [EventColumn] = []

    init(_ start: String) { self.pieces = [start] }

    mutating func add(_ text: String) { self.pieces[self.pieces.count - 1] += text }

    mutating func bind(_ value: EventColumn) {
        self.binds.append(value)
        self.pieces.append("")
    }

    /// ` AND column IN (…)`; an empty list matches nothing.
    mutating func `in`(_ column: String, _ values: [String]) {
        self.add(" AND \(column) IN ")
        self.list(values.map { .text($0) })
    }

    /// `(…)` of bound values; an empty list is `(NULL)`, which `IN` matches with nothing.
    mutating func list(_ values: [EventColumn]) {
        self.add("(")
        for (index, value) in values.enumerated() {
            if index > 0 { self.add(",") }
            self.bind(value)
        }
        if values.isEmpty { self.add("NULL") }
        self.add(")")
    }

    var sqlite: String { self.pieces.joined(separator: "?") }

    var postgres: SQLQueryString {
        var query = SQLQueryString(self.pieces[0])
        for (index, value) in self.binds.enumerated() {
            switch value {
            case .text(let text): query.appendInterpolation(bind: text)
            case .integer(let number): query.appendInterpolation(bind: number)
            case .optionalText(let text): query.appendInterpolation(bind: text)
            case .optionalInteger(let number): query.appendInterpolation(bind: number)
            case .blob(let bytes): query.appendInterpolation(bind: Data(bytes))
            case .optionalBlob(let bytes): query.appendInterpolation(bind: bytes.map { Data($0) })
            }
            query.appendLiteral(self.pieces[index + 1])
        }
        return query
    }
}

extension EventColumn {
    var sqliteData: SQLiteData {
        switch self {
        case .text(let text): .text(text)
        case .integer(let number): .integer(SQLiteInt64(number))
        case .optionalText(let text): text.map { .text($0) } ?? .null
        case .optionalInteger(let number): number.map { .integer(SQLiteInt64($0)) } ?? .null
        case .blob(let bytes): .blob(ByteBuffer(bytes: bytes))
        case .optionalBlob(let bytes): bytes.map { .blob(ByteBuffer(bytes: $0)) } ?? .null
        }
    }
}
