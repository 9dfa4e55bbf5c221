import Foundation

/// The NIST Cybersecurity Framework 2.0 core: 6 functions, 22 categories, 106 subcategories, read from
/// the bundled data file (`Resources/Risk/csf-2.0.json`, titles in every platform language) and checked
/// at load against NIST's list of identifiers: a duplicate, a missing or an unknown identifier stops the load.
public struct CSFCatalogue: Sendable, Equatable {
    public struct Subcategory: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
    }

    public struct Category: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
        public var subcategories: [Subcategory]
    }

    public struct Function: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
        public var categories: [Category]
    }

    public var version: String
    public var functions: [Function]

    /// The six functions of CSF 2.0, in NIST's order.
    public static let functionOrder = ["GV", "ID", "PR", "DE", "RS", "RC"]

    public func function(_ id: String) -> Function? { self.functions.first { $0.id == id } }

    public var categories: [Category] { self.functions.flatMap(\.categories) }
    public var subcategories: [Subcategory] { self.categories.flatMap(\.subcategories) }

    public func category(_ id: String) -> Category? { self.categories.first { $0.id == id } }
    public func subcategory(_ id: String) -> Subcategory? { self.subcategories.first { $0.id == id } }

    /// NIST's identifiers of CSF 2.0, category by category (withdrawn 1.1 outcomes are not in it: ID.AM-06,
    /// PR.DS-03…09, DE.CM-04/05/07/08, …). The data file must have exactly these.
    static let identifiers: [(function: String, category: String, numbers: [Int])] = [
        ("GV", "GV.OC", Array(1...5)), ("GV", "GV.RM", Array(1...7)), ("GV", "GV.RR", Array(1...4)), ("GV", "GV.PO", [1, 2]),
        ("GV", "GV.OV", Array(1...3)), ("GV", "GV.SC", Array(1...10)),
        ("ID", "ID.AM", [1, 2, 3, 4, 5, 7, 8]), ("ID", "ID.RA", Array(1...10)), ("ID", "ID.IM", Array(1...4)),
        ("PR", "PR.AA", Array(1...6)), ("PR", "PR.AT", [1, 2]), ("PR", "PR.DS", [1, 2, 10, 11]), ("PR", "PR.PS", Array(1...6)),
        ("PR", "PR.IR", Array(1...4)),
        ("DE", "DE.CM", [1, 2, 3, 6, 9]), ("DE", "DE.AE", [2, 3, 4, 6, 7, 8]),
        ("RS", "RS.MA", Array(1...5)), ("RS", "RS.AN", [3, 6, 7, 8]), ("RS", "RS.CO", [2, 3]), ("RS", "RS.MI", [1, 2]),
        ("RC", "RC.RP", Array(1...6)), ("RC", "RC.CO", [3, 4]),
    ]

    /// Every subcategory identifier of CSF 2.0, in NIST's order.
    public static var allSubcategoryIDs: [String] {
        Self.identifiers.flatMap { entry in entry.numbers.map { String(format: "%@-%02d", entry.category, $0) } }
    }

    /// Where the bundled catalogue file is.
    public static var bundledURL: URL? { Bundle.module.url(forResource: "csf-2.0", withExtension: "json", subdirectory: "Risk") }

    /// The bundled catalogue.
    public static func bundled() throws(DataFileError) -> CSFCatalogue {
        guard let url = Self.bundledURL,
            let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
        else { throw .invalid(file: "csf-2.0.json", path: "$", reason: Refusal("data.error.missing_file", english: "the bundled file is missing")) }
        return try Self.load(text, file: "csf-2.0.json")
    }

    /// Reads and checks a catalogue file.
    public static func load(_ text: String, file: String) throws(DataFileError) -> CSFCatalogue {
        var reader = DataFileReader(file: file)
        let root = try reader.parse(text)
        let fields = try reader.object(root, "$")
        let version = try reader.string(fields["version"], "$.version")
        var seen: [String: String] = [:]
        func unique(_ id: String, _ path: String) throws(DataFileError) {
            if let first = seen[id] {
                throw reader.fail(path, "duplicate", "identifier \"\(id)\" is already used at \(first)", ["id": id, "first": first])
            }
            seen[id] = path
        }
        var functions: [Function] = []
        for (f, item) in try reader.array(fields["functions"], "$.functions").enumerated() {
            let fPath = "$.functions[\(f)]"
            let ff = try reader.object(item, fPath)
            let fid = try reader.string(ff["id"], fPath + ".id")
            try unique(fid, fPath + ".id")
            var categories: [Category] = []
            for (c, item) in try reader.array(ff["categories"], fPath + ".categories").enumerated() {
                let cPath = "\(fPath).categories[\(c)]"
                let cf = try reader.object(item, cPath)
                let cid = try reader.string(cf["id"], cPath + ".id")
                try unique(cid, cPath + ".id")
                guard cid.hasPrefix(fid + ".") else {
                    throw reader.fail(cPath + ".id", "csf_parent", "\"\(cid)\" does not belong to function \(fid)", ["id": cid, "parent": fid])
                }
                var subcategories: [Subcategory] = []
                for (s, item) in try reader.array(cf["subcategories"], cPath + ".subcategories").enumerated() {
                    let sPath = "\(cPath).subcategories[\(s)]"
                    let sf = try reader.object(item, sPath)
                    let sid = try reader.string(sf["id"], sPath + ".id")
                    try unique(sid, sPath + ".id")
                    guard sid.hasPrefix(cid + "-") else {
                        throw reader.fail(sPath + ".id", "csf_parent", "\"\(sid)\" does not belong to category \(cid)", ["id": sid, "parent": cid])
                    }
                    subcategories.append(.init(id: sid, title: try reader.text(sf["title"], sPath + ".title", required: true)))
                }
                categories.append(.init(id: cid, title: try reader.text(cf["title"], cPath + ".title", required: true), subcategories: subcategories))
            }
            functions.append(.init(id: fid, title: try reader.text(ff["title"], fPath + ".title", required: true), categories: categories))
        }
        // Exactly NIST's identifiers: none unknown, none missing.
        let known = Set(Self.allSubcategoryIDs).union(Self.identifiers.map(\.category)).union(Self.identifiers.map(\.function))
        if let unknown = seen.keys.sorted().first(where: { !known.contains($0) }) {
            throw reader.fail(seen[unknown] ?? "$", "csf_unknown", "\"\(unknown)\" is not a CSF 2.0 identifier", ["id": unknown])
        }
        if let missing = (Self.identifiers.map(\.function) + Self.identifiers.map(\.category) + Self.allSubcategoryIDs).first(where: { seen[$0] == nil }) {
            throw reader.fail("$.functions", "csf_missing", "CSF 2.0 identifier \"\(missing)\" is missing", ["id": missing])
        }
        return CSFCatalogue(version: version, functions: functions)
    }
}
