import Foundation

/// A file sent in a `multipart/form-data` form.
public struct UploadedFile: Sendable, Equatable {
    /// The form field's name.
    public var field: String
    /// The file name the browser gave (only its last path part is kept by those who store it).
    public var filename: String
    public var contentType: String
    public var data: Data
}

/// Reads `multipart/form-data` bodies (RFC 7578): text fields and files, refusing what is malformed.
enum MultipartForm {
    static let maxParts = 32
    static let maxHeaderBytes = 8 * 1024

    /// The boundary of a `multipart/form-data` content type, or `nil` when there is none.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    /// The fields and files of `body`.
    static func parse(_ body: [UInt8], boundary: String) throws(AppError) -> (fields: [String: String], files: [UploadedFile]) {
        let delimiter = Array(("--" + boundary).utf8)
        let bad = AppError.badRequest("the form's multipart body is malformed", field: nil)
        guard var position = Self.find(delimiter, in: body, from: 0) else { throw bad }
        var fields: [String: String] = [:]
        var files: [UploadedFile] = []
        var count = 0
        while true {
            position += delimiter.count
            // The closing delimiter ends the body.
            if body.count >= position + 2, body[position] == UInt8(ascii: "-"), body[position + 1] == UInt8(ascii: "-") { break }
            guard body.count >= position + 2, body[position] == 13, body[position + 1] == 10 else { throw bad }
            position += 2
            count += 1
            guard count <= Self.maxParts else { throw AppError.badRequest("the form has too many parts", field: nil) }
            guard let headerEnd = Self.find([13, 10, 13, 10], in: body, from: position), headerEnd - position <= Self.maxHeaderBytes else { throw bad }
            guard let headerText = String(bytes: body[position..<headerEnd], encoding: .utf8) else { throw bad }
            let contentStart = headerEnd + 4
            guard let next = Self.find([13, 10] + delimiter, in: body, from: contentStart) else { throw bad }
            let content = Data(body[contentStart..<next])
            var name: String?
            var filename: String?
            var type = "application/octet-stream"
            for line in headerText.components(separatedBy: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "content-disposition":
                    let parameters = Self.parameters(pair[1])
                    name = parameters["name"]
                    filename = parameters["filename"]
                case "content-type": type = pair[1]
                default: break
                }
            }
            guard let name, !name.isEmpty else { throw bad }
            if let filename {
                files.append(UploadedFile(field: name, filename: filename, contentType: type, data: content))
            } else {
                guard let text = String(data: content, encoding: .utf8) else {
                    throw AppError.badRequest("field '\(name)' is not valid UTF-8", field: name)
                }
                guard fields[name] == nil else { throw AppError.badRequest("field '\(name)' is given twice", field: name) }
                fields[name] = text
            }
            position = next + 2
        }
        return (fields, files)
    }

    /// `form-data; name="a"; filename="b.pdf"` → ["name": "a", "filename": "b.pdf"].
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(value)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...]
            let trimmed = rest.drop(while: { $0 == " " })
            guard let equals = trimmed.firstIndex(of: "=") else { break }
            let key = trimmed[..<equals].lowercased()
            var after = trimmed[trimmed.index(after: equals)...]
            var parsed = ""
            if after.first == "\"" {
                after = after.dropFirst()
                var escaped = false
                var end = after.endIndex
                for index in after.indices {
                    let character = after[index]
                    if escaped {
                        parsed.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        end = index
                        break
                    } else {
                        parsed.append(character)
                    }
                }
                rest = end < after.endIndex ? after[after.index(after: end)...] : ""
            } else {
                let end = after.firstIndex(of: ";") ?? after.endIndex
                parsed = after[..<end].trimmingCharacters(in: .whitespaces)
                rest = after[end...]
            }
            result[key] = parsed
        }
        return result
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}
