import ConfianzaCore
import Foundation

/// The JSON form of the constituency.
enum JSONConstituency {
    struct Document: Codable {
        var format: String?
        var version: Int?
        var organisations: [OrganisationEntry]
        static let keys: Set<String> = ["format", "version", "organisations"]
    }

    struct OrganisationEntry: Codable {
        var name: String
        var sector: String
        var country: String
        var kind: String
        var tlpCeiling: String?
        var notes: String?
        var assets: [AssetEntry]?
        var contacts: [ContactEntry]?
        static let keys: Set<String> = ["name", "sector", "country", "kind", "tlpCeiling", "notes", "assets", "contacts"]
    }

    struct AssetEntry: Codable {
        var kind: String
        var value: String
        var note: String?
        static let keys: Set<String> = ["kind", "value", "note"]
    }

    struct ContactEntry: Codable {
        var name: String
        var email: String
        var language: String?
        var role: String?
        var pgpKey: String?
        var frequency: String?
        var minimumSeverity: String?
        var classificationTypes: [String]?
        var feeds: [String]?
        static let keys: Set<String> = [
            "name", "email", "language", "role", "pgpKey", "frequency", "minimumSeverity", "classificationTypes", "feeds",
        ]
    }

    static let formatName = "confianza-constituency"

    // MARK: reading

    static func read(_ bytes: [UInt8], existing: ConstituencyFile.Existing, now: Date) throws(ConstituencyFileError) -> ConstituencyBatch {
        let data = Data(bytes)
        guard String(data: data, encoding: .utf8) != nil else { throw ConstituencyFileError(reason: "the file is not valid UTF-8") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConstituencyFileError(line: Self.line(of: error, in: bytes), reason: "not valid JSON")
        }
        try Self.checkKeys(object)
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw ConstituencyFileError(reason: "not a constituency document")
        }
        if let format = document.format, format != Self.formatName {
            throw ConstituencyFileError(location: "format", reason: "expected '\(Self.formatName)', found '\(format)'")
        }
        if let version = document.version, version != 1 {
            throw ConstituencyFileError(location: "version", reason: "this program reads version 1, not \(version)")
        }
        guard !document.organisations.isEmpty else { throw ConstituencyFileError(location: "organisations", reason: "is empty") }

        var ledger = ImportLedger(existing: existing)
        for (i, entry) in document.organisations.enumerated() {
            let path = "organisations[\(i)]"
            let draft = OrganisationDraft(
                name: entry.name, sector: entry.sector, country: entry.country, kind: entry.kind,
                tlpCeiling: entry.tlpCeiling ?? TLP.amber.rawValue, notes: entry.notes ?? "")
            let organisation: Organisation
            do { organisation = try draft.validated(createdAt: now) } catch { throw Self.fail(path, error) }
            if let clash = ledger.add(organisation) { throw ConstituencyFileError(location: "\(path).name", reason: clash) }
            for (k, asset) in (entry.assets ?? []).enumerated() {
                let assetPath = "\(path).assets[\(k)]"
                let kind: Asset.Kind
                guard let parsedKind = Asset.Kind(rawValue: asset.kind.lowercased()) else {
                    throw ConstituencyFileError(
                        location: "\(assetPath).kind",
                        reason: "'\(asset.kind)': use one of \(Asset.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                kind = parsedKind
                let owned: OwnedAsset
                do {
                    owned = OwnedAsset(
                        organisationID: organisation.id, asset: try Asset.parse(kind: kind, value: asset.value),
                        note: try Validation.text(asset.note ?? "", field: "note", limit: 500, required: false))
                } catch { throw Self.fail(assetPath, error) }
                if let clash = ledger.add(owned) { throw ConstituencyFileError(location: "\(assetPath).value", reason: clash) }
            }
            for (k, contact) in (entry.contacts ?? []).enumerated() {
                let contactPath = "\(path).contacts[\(k)]"
                let draft = ContactDraft(
                    name: contact.name, email: contact.email, language: contact.language ?? "en", role: contact.role ?? "abuse",
                    pgpKey: contact.pgpKey ?? "", frequency: contact.frequency ?? "immediate",
                    minimumSeverity: contact.minimumSeverity ?? "low", classificationTypes: contact.classificationTypes ?? [],
                    feeds: contact.feeds ?? [])
                let validated: Contact
                do { validated = try draft.validated(organisationID: organisation.id) } catch { throw Self.fail(contactPath, error) }
                if let clash = ledger.add(validated) { throw ConstituencyFileError(location: "\(contactPath).email", reason: clash) }
            }
        }
        return ledger.batch
    }

    static func fail(_ path: String, _ error: ConstituencyError) -> ConstituencyFileError {
        switch error {
        case .invalid(let field, let value, let reason):
            ConstituencyFileError(location: "\(path).\(field)", reason: "'\(value)': \(reason)")
        default:
            ConstituencyFileError(location: path, reason: error.description)
        }
    }

    /// Refuses keys this program does not know (a misspelt `contry` would otherwise vanish).
    static func checkKeys(_ object: Any) throws(ConstituencyFileError) {
        func check(_ value: Any, _ allowed: Set<String>, _ path: String) throws(ConstituencyFileError) {
            guard let fields = value as? [String: Any] else {
                throw ConstituencyFileError(location: path.isEmpty ? nil : path, reason: "must be a JSON object")
            }
            if let unknown = Set(fields.keys).subtracting(allowed).sorted().first {
                throw ConstituencyFileError(
                    location: path.isEmpty ? unknown : "\(path).\(unknown)",
                    reason: "unknown field (known: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        try check(object, Document.keys, "")
        guard let organisations = (object as? [String: Any])?["organisations"] as? [Any] else { return }
        for (i, organisation) in organisations.enumerated() {
            try check(organisation, OrganisationEntry.keys, "organisations[\(i)]")
            let fields = organisation as? [String: Any] ?? [:]
            for (k, asset) in (fields["assets"] as? [Any] ?? []).enumerated() {
                try check(asset, AssetEntry.keys, "organisations[\(i)].assets[\(k)]")
            }
            for (k, contact) in (fields["contacts"] as? [Any] ?? []).enumerated() {
                try check(contact, ContactEntry.keys, "organisations[\(i)].contacts[\(k)]")
            }
        }
    }

    static func describe(_ error: DecodingError) -> ConstituencyFileError {
        func path(_ keys: [any CodingKey], _ extra: (any CodingKey)? = nil) -> String {
            var text = ""
            for key in keys + (extra.map { [$0] } ?? []) {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text.isEmpty ? "document" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return ConstituencyFileError(location: path(context.codingPath, key), reason: "is required")
        case .typeMismatch(_, let context): return ConstituencyFileError(location: path(context.codingPath), reason: "has the wrong type")
        case .valueNotFound(_, let context): return ConstituencyFileError(location: path(context.codingPath), reason: "may not be null")
        case .dataCorrupted(let context): return ConstituencyFileError(location: path(context.codingPath), reason: context.debugDescription)
        @unknown default: return ConstituencyFileError(reason: "not a constituency document")
        }
    }

    /// The line of a JSON syntax error, from the character offset Foundation reports.
    static func line(of error: any Error, in bytes: [UInt8]) -> Int? {
        let text = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        guard let range = text.range(of: #"character (\d+)"#, options: .regularExpression),
            let offset = Int(text[range].dropFirst("character ".count))
        else { return nil }
        return bytes.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count + 1
    }

    // MARK: writing

    static func write(organisations: [Organisation], contacts: [Contact], assets: [OwnedAsset]) -> [UInt8] {
        let contactsByOrganisation = Dictionary(grouping: contacts, by: \.organisationID)
        let assetsByOrganisation = Dictionary(grouping: assets, by: \.organisationID)
        let entries = organisations.sorted { $0.name.lowercased() < $1.name.lowercased() }.map { organisation in
            OrganisationEntry(
                name: organisation.name, sector: organisation.sector.rawValue, country: organisation.country,
                kind: organisation.kind.rawValue, tlpCeiling: organisation.tlpCeiling.rawValue, notes: organisation.notes,
                assets: (assetsByOrganisation[organisation.id] ?? [])
                    .sorted { ($0.asset.kind.rawValue, $0.asset.value) < ($1.asset.kind.rawValue, $1.asset.value) }
                    .map { AssetEntry(kind: $0.asset.kind.rawValue, value: $0.asset.value, note: $0.note) },
                contacts: (contactsByOrganisation[organisation.id] ?? []).sorted { ($0.name, $0.email) < ($1.name, $1.email) }.map {
                    ContactEntry(
                        name: $0.name, email: $0.email, language: $0.language, role: $0.role.rawValue, pgpKey: $0.pgpKey,
                        frequency: $0.policy.frequency.rawValue, minimumSeverity: $0.policy.minimumSeverity.rawValue,
                        classificationTypes: $0.policy.classificationTypes, feeds: $0.policy.feeds)
                })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(format: Self.formatName, version: 1, organisations: entries)
        return Array((try? encoder.encode(document)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }
}
