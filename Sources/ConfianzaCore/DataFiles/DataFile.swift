import Foundation

/// Why a data file (an assessment framework or answers, the CSF catalogue, a risk matrix, a threat catalogue) was refused: the place (a JSON
/// path such as `$.levels[2].min`, or a line) and the reason.
public enum DataFileError: ExplainedError, Equatable {
    case notJSON(file: String, line: Int, reason: String)
    case invalid(file: String, path: String, reason: Refusal)

    public var description: String {
        switch self {
        case .notJSON(let file, let line, let reason): "\(file), line \(line): not valid JSON: \(reason)"
        case .invalid(let file, let path, let reason): "\(file), at \(path): \(reason.english)"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .notJSON(let file, let line, let reason): Phrase("data.error.not_json", ["file": file, "line": String(line), "reason": reason])
        case .invalid(let file, let path, let reason): reason.phrase(["file": file, "path": path])
        }
    }

    public var path: String? {
        if case .invalid(_, let path, _) = self { return path }
        return nil
    }
}

/// Reading JSON data files with the place of every fault. Refusals are said under `keyPrefix` +
/// the reason's name in the locale files (`data.error.missing`, `assessment.error.missing`, …).
struct DataFileReader {
    let file: String
    var keyPrefix = "data.error."

    func fail(_ path: String, _ key: String, _ english: String, _ arguments: [String: String] = [:]) -> DataFileError {
        .invalid(file: self.file, path: path, reason: Refusal(self.keyPrefix + key, english: english, arguments))
    }

    func parse(_ text: String) throws(DataFileError) -> JSONValue {
        // Blank: stops at the first visible character (trimming a whole file was most of reading a small one).
        guard text.unicodeScalars.contains(where: { !CharacterSet.whitespacesAndNewlines.contains($0) }) else {
            throw self.fail("$", "empty", "the file is empty")
        }
        do {
            return try JSONReader.parse(text)
        } catch {
            let line = text.utf8.prefix(error.offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            throw .notJSON(file: self.file, line: line, reason: error.reason)
        }
    }

    func object(_ value: JSONValue, _ path: String) throws(DataFileError) -> [String: JSONValue] {
        guard case .object(let fields) = value else { throw self.fail(path, "object", "expected an object") }
        return fields
    }

    func array(_ value: JSONValue?, _ path: String) throws(DataFileError) -> [JSONValue] {
        guard let value else { throw self.fail(path, "missing", "this field is required") }
        guard case .array(let items) = value else { throw self.fail(path, "array", "expected an array") }
        return items
    }

    func string(_ value: JSONValue?, _ path: String, allowEmpty: Bool = false) throws(DataFileError) -> String {
        guard let value else { throw self.fail(path, "missing", "this field is required") }
        guard case .string(let text) = value else { throw self.fail(path, "string", "expected a text") }
        guard allowEmpty || !text.isEmpty else { throw self.fail(path, "missing", "this field is required") }
        return text
    }

    func integer(_ value: JSONValue?, _ path: String) throws(DataFileError) -> Int {
        guard let value else { throw self.fail(path, "missing", "this field is required") }
        guard case .integer(let number) = value, let small = Int(exactly: number) else { throw self.fail(path, "integer", "expected a whole number") }
        return small
    }

    func text(_ value: JSONValue?, _ path: String, required: Bool = false) throws(DataFileError) -> LocalizedText {
        switch value {
        case nil, .null?:
            if required { throw self.fail(path, "missing", "this field is required") }
            return .empty
        case .string(let text)?: return LocalizedText(["en": text])
        case .object(let fields)?:
            var texts: [String: String] = [:]
            for (language, value) in fields {
                guard case .string(let text) = value else { throw self.fail("\(path).\(language)", "string", "expected a text") }
                texts[language] = text
            }
            if required && texts.isEmpty { throw self.fail(path, "missing", "this field is required") }
            return LocalizedText(texts)
        default: throw self.fail(path, "text", "expected a text, or an object of texts by language")
        }
    }
}
