import Foundation

/// The OpenAPI 3.1 document, kept one room per module: `OpenAPI/openapi.json` holds what is shared (info,
/// tags, security schemes, the problem schema), and every other file there holds one module's paths and
/// schemas (`incidents.api.json`, `incidents.pages.json`, …, a long one continued in `….2.json`). They
/// are merged at load; a path or schema described twice is refused, naming both files.
enum OpenAPIDocument {
    static func load(_ directory: URL) throws(ViewError) -> Data {
        let rootFile = directory.appendingPathComponent("openapi.json")
        var root = try Self.object(rootFile)
        var paths = root["paths"] as? [String: Any] ?? [:]
        var components = root["components"] as? [String: Any] ?? [:]
        var owner: [String: String] = [:]
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") && $0 != "openapi.json" }.sorted()
        for file in files {
            let url = directory.appendingPathComponent(file)
            let part = try Self.object(url)
            for key in part.keys where key != "paths" && key != "components" {
                throw ViewError.badResource(url.path, "may hold only paths and components (found '\(key)')")
            }
            for (path, item) in part["paths"] as? [String: Any] ?? [:] {
                if let other = owner["path \(path)"] { throw ViewError.badResource(url.path, "describes \(path), which \(other) describes too") }
                owner["path \(path)"] = file
                paths[path] = item
            }
            for (kind, entries) in part["components"] as? [String: Any] ?? [:] {
                guard let entries = entries as? [String: Any] else { throw ViewError.badResource(url.path, "components.\(kind) is not an object") }
                var merged = components[kind] as? [String: Any] ?? [:]
                for (name, value) in entries {
                    if merged[name] != nil {
                        throw ViewError.badResource(url.path, "defines components.\(kind).\(name), which \(owner["\(kind) \(name)"] ?? "openapi.json") defines too")
                    }
                    owner["\(kind) \(name)"] = file
                    merged[name] = value
                }
                components[kind] = merged
            }
        }
        root["paths"] = paths
        root["components"] = components
        do { return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]) } catch {
            throw ViewError.badResource(directory.path, "cannot be written as one document")
        }
    }

    private static func object(_ url: URL) throws(ViewError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ViewError.badResource(url.path, "cannot be read") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ViewError.badResource(url.path, "cannot be read as a JSON object")
        }
        return object
    }
}
