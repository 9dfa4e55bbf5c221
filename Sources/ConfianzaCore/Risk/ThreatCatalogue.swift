import Foundation

/// Threats a risk register starts from (`Resources/Risk/threats.json`, in every platform language), each
/// tied to the CSF 2.0 categories whose outcomes reduce it. A site extends it with a file of its own:
/// its threats are added, and one with a bundled id replaces the bundled one.
public struct ThreatCatalogue: Sendable, Equatable {
    public struct Threat: Sendable, Equatable, Identifiable {
        public var id: String
        public var title: LocalizedText
        /// CSF 2.0 category ids (`PR.AA`, …).
        public var csf: [String]
    }

    public var threats: [Threat]

    public func threat(_ id: String) -> Threat? { self.threats.first { $0.id == id } }

    public static func bundled(csf: CSFCatalogue) throws(DataFileError) -> ThreatCatalogue {
        guard let url = Bundle.module.url(forResource: "threats", withExtension: "json", subdirectory: "Risk"),
            let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
        else { throw .invalid(file: "threats.json", path: "$", reason: Refusal("data.error.missing_file", english: "the bundled file is missing")) }
        return try Self.load(text, file: "threats.json", csf: csf)
    }

    /// Reads a catalogue; every CSF reference must be a category of `csf`.
    public static func load(_ text: String, file: String, csf: CSFCatalogue) throws(DataFileError) -> ThreatCatalogue {
        let reader = DataFileReader(file: file)
        let fields = try reader.object(try reader.parse(text), "$")
        var threats: [Threat] = []
        var ids: Set<String> = []
        for (index, item) in try reader.array(fields["threats"], "$.threats").enumerated() {
            let path = "$.threats[\(index)]"
            let threat = try reader.object(item, path)
            let id = try reader.string(threat["id"], path + ".id")
            guard ids.insert(id).inserted else { throw reader.fail(path + ".id", "duplicate", "identifier \"\(id)\" is already used", ["id": id]) }
            var categories: [String] = []
            for (n, value) in try reader.array(threat["csf"], path + ".csf").enumerated() {
                let category = try reader.string(value, "\(path).csf[\(n)]")
                guard csf.category(category) != nil else {
                    throw reader.fail("\(path).csf[\(n)]", "csf_unknown", "\"\(category)\" is not a CSF 2.0 identifier", ["id": category])
                }
                categories.append(category)
            }
            threats.append(Threat(id: id, title: try reader.text(threat["title"], path + ".title", required: true), csf: categories))
        }
        return ThreatCatalogue(threats: threats)
    }

    /// This catalogue with `other`'s threats laid over it (same id: replaced; new id: added at the end).
    public func adding(_ other: ThreatCatalogue) -> ThreatCatalogue {
        var threats = self.threats
        for threat in other.threats {
            if let index = threats.firstIndex(where: { $0.id == threat.id }) { threats[index] = threat } else { threats.append(threat) }
        }
        return ThreatCatalogue(threats: threats)
    }
}
