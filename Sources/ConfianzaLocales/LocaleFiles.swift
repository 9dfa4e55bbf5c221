import ConfianzaCore
import Foundation

/// Reads the locale files: one folder per language, named by its ISO 639 code, holding
///
/// - `*.json`: the page texts, errors and short mail texts, as `{"key": "text" or ["texts", …]}`, one file
///   per module (`common.json`, `incidents.json`, …; a key belongs to one file only);
/// - `mail/<name>.txt`: mail templates (`notice`, `digest`), read as the text `mail.<name>`; each starts
///   with a `Subject:` line, then a blank line and the body, with `{name}` placeholders.
///
/// The bundled folders come first; a site's folder (`--locales DIR`) is laid over them: a new language
/// folder adds a language, a folder of a bundled language replaces the keys it has. Nothing needs a release.
public enum LocaleFiles {
    /// Where the bundled locale folders are.
    public static var bundled: URL? { Bundle.module.resourceURL?.appendingPathComponent("Locales") }

    /// The bundled texts with `overlay`'s laid over them.
    public static func load(overlay: URL? = nil) throws(LocaleError) -> TextCatalogue {
        guard let bundled = Self.bundled else { throw .badFile("(resources)", "the bundled locale files are missing") }
        return try Self.load(directories: [bundled] + (overlay.map { [$0] } ?? []))
    }

    /// Each directory's languages, later ones over earlier ones.
    public static func load(directories: [URL]) throws(LocaleError) -> TextCatalogue {
        var tables: [Language: [String: TextCatalogue.Entry]] = [:]
        for directory in directories { try Self.read(directory, into: &tables) }
        return try TextCatalogue(tables: tables)
    }

    static func read(_ directory: URL, into tables: inout [Language: [String: TextCatalogue.Entry]]) throws(LocaleError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .badFile(directory.path, "is not a folder of locale files")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw .badFile(directory.path, "cannot be read")
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let folder = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            guard let language = Language(rawValue: name), language.rawValue == name else {
                throw .badFile(folder.path, "a language folder is named by its ISO 639 code in lowercase (en, es, fr, ar, …)")
            }
            var table = tables[language] ?? [:]
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            var seen: [String: String] = [:]
            for file in files {
                let url = folder.appendingPathComponent(file)
                for (key, entry) in try Self.texts(url) {
                    if let other = seen[key] { throw .badFile(url.path, "key '\(key)' is also in \(other): a key belongs to one file") }
                    seen[key] = file
                    table[key] = entry
                }
            }
            let mail = folder.appendingPathComponent("mail")
            if let templates = try? FileManager.default.contentsOfDirectory(atPath: mail.path) {
                for file in templates.sorted() where file.hasSuffix(".txt") {
                    let url = mail.appendingPathComponent(file)
                    guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                        throw .badFile(url.path, "cannot be read as UTF-8 text")
                    }
                    let normalised = text.replacingOccurrences(of: "\r\n", with: "\n")
                    guard normalised.hasPrefix("Subject:") else { throw .badFile(url.path, "a mail template starts with a 'Subject:' line") }
                    table["mail.\(file.dropLast(4))"] = .text(normalised)
                }
            }
            guard !table.isEmpty else { throw .badFile(folder.path, "holds neither texts (*.json) nor mail templates (mail/*.txt)") }
            tables[language] = table
        }
    }

    static func texts(_ file: URL) throws(LocaleError) -> [String: TextCatalogue.Entry] {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw .badFile(file.path, "cannot be read") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .badFile(file.path, "is not a JSON object of texts ({\"key\": \"text\"})")
        }
        var table: [String: TextCatalogue.Entry] = [:]
        for (key, value) in object {
            if let text = value as? String {
                table[key] = .text(text)
            } else if let list = value as? [String] {
                table[key] = .list(list)
            } else {
                throw .badFile(file.path, "key '\(key)' is neither a text nor a list of texts")
            }
        }
        return table
    }
}
