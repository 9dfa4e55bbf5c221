import ConfianzaCore
import Foundation

/// Why a constituency file was refused: where (a CSV line and column, or a JSON path) and why.
/// One error rejects the whole file.
public struct ConstituencyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line, when known.
    public var line: Int?
    /// The CSV column or the JSON path (`organisations[2].assets[0].value`).
    public var location: String?
    public var reason: String

    public init(line: Int? = nil, location: String? = nil, reason: String) {
        self.line = line
        self.location = location
        self.reason = reason
    }

    public var description: String {
        var parts: [String] = []
        if let line { parts.append("line \(line)") }
        if let location { parts.append(location) }
        return parts.isEmpty ? self.reason : parts.joined(separator: ", ") + ": " + self.reason
    }
}

/// Reading and writing the constituency as files.
///
/// - JSON: one document with every organisation and, inside each, its assets and contacts. The
///   export writes it; an import adds it, or with `replace` puts it in place of the whole constituency.
/// - CSV: three tables, told apart by their header row, each imported on its own (adding rows):
///   - organisations: `name,sector,country,kind[,tlp_ceiling][,notes]`
///   - assets: `organisation,kind,value[,note]`
///   - contacts: `organisation,name,email[,language][,role][,frequency][,minimum_severity][,classification_types][,feeds][,pgp_key]`
///     (lists separated by `;`)
///
/// An import is all or nothing: the first bad row (a bad prefix, an unknown organisation, a duplicate)
/// rejects the file, naming the line and the reason, and nothing is stored.
public enum ConstituencyFile {
    public enum Format: String, Sendable, CaseIterable {
        case json, csv

        /// From a file name's extension, else from the first character (`{` means JSON).
        public static func detect(fileName: String?, bytes: [UInt8]) -> Format {
            if let fileName {
                let lower = fileName.lowercased()
                if lower.hasSuffix(".json") { return .json }
                if lower.hasSuffix(".csv") { return .csv }
            }
            let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
            return first == UInt8(ascii: "{") ? .json : .csv
        }
    }

    public enum Table: String, Sendable, CaseIterable {
        case organisations, assets, contacts

        var required: [String] {
            switch self {
            case .organisations: ["name", "sector", "country", "kind"]
            case .assets: ["organisation", "kind", "value"]
            case .contacts: ["organisation", "name", "email"]
            }
        }

        var columns: [String] {
            switch self {
            case .organisations: self.required + ["tlp_ceiling", "notes"]
            case .assets: self.required + ["note"]
            case .contacts:
                self.required + ["language", "role", "frequency", "minimum_severity", "classification_types", "feeds", "pgp_key"]
            }
        }
    }

    /// What is stored already, to resolve names and refuse duplicates.
    public struct Existing: Sendable {
        public var organisations: [Organisation]
        public var contacts: [Contact]
        public var assets: [OwnedAsset]

        public init(organisations: [Organisation] = [], contacts: [Contact] = [], assets: [OwnedAsset] = []) {
            self.organisations = organisations
            self.contacts = contacts
            self.assets = assets
        }
    }

    /// Reads a file into a batch to store.
    ///
    /// - Parameter replace: the batch will replace the whole constituency (JSON only), so it is not
    ///   compared with what is stored.
    public static func read(
        _ bytes: [UInt8], format: Format, existing: Existing, replace: Bool, now: Date
    ) throws(ConstituencyFileError) -> ConstituencyBatch {
        guard !bytes.isEmpty else { throw ConstituencyFileError(reason: "the file is empty") }
        switch format {
        case .json:
            return try JSONConstituency.read(bytes, existing: replace ? Existing() : existing, now: now)
        case .csv:
            guard !replace else {
                throw ConstituencyFileError(reason: "replacing the whole constituency needs a JSON file with all of it; CSV tables are added")
            }
            return try CSVConstituency.read(bytes, existing: existing, now: now)
        }
    }

    /// The whole constituency as one JSON document.
    public static func exportJSON(organisations: [Organisation], contacts: [Contact], assets: [OwnedAsset]) -> [UInt8] {
        JSONConstituency.write(organisations: organisations, contacts: contacts, assets: assets)
    }

    /// One table as CSV, with its header row.
    public static func exportCSV(_ table: Table, organisations: [Organisation], contacts: [Contact], assets: [OwnedAsset]) -> [UInt8] {
        CSVConstituency.write(table, organisations: organisations, contacts: contacts, assets: assets)
    }
}

/// Duplicate and reference checks shared by both formats.
struct ImportLedger {
    private var organisationsByName: [String: UUID] = [:]
    private var newNames: Set<String> = []
    private var assetKeys: Set<String> = []
    private var contactKeys: Set<String> = []
    var batch = ConstituencyBatch()

    init(existing: ConstituencyFile.Existing) {
        for organisation in existing.organisations { self.organisationsByName[organisation.name.lowercased()] = organisation.id }
        for owned in existing.assets { self.assetKeys.insert(Self.key(owned)) }
        for contact in existing.contacts { self.contactKeys.insert("\(contact.organisationID)|\(contact.email)") }
    }

    static func key(_ owned: OwnedAsset) -> String { "\(owned.organisationID)|\(owned.asset.kind.rawValue)|\(owned.asset.value)" }

    func organisationID(named name: String) -> UUID? { self.organisationsByName[name.trimmingCharacters(in: .whitespaces).lowercased()] }

    /// Adds an organisation; the reason when its name is taken.
    mutating func add(_ organisation: Organisation) -> String? {
        let key = organisation.name.lowercased()
        if self.organisationsByName[key] != nil {
            return self.newNames.contains(key)
                ? "organisation '\(organisation.name)' appears twice in the file"
                : "organisation '\(organisation.name)' is already recorded (to replace the whole constituency, import a JSON file with replace)"
        }
        self.organisationsByName[key] = organisation.id
        self.newNames.insert(key)
        self.batch.organisations.append(organisation)
        return nil
    }

    mutating func add(_ owned: OwnedAsset) -> String? {
        guard self.assetKeys.insert(Self.key(owned)).inserted else {
            return "\(owned.asset) is already recorded for this organisation"
        }
        self.batch.assets.append(owned)
        return nil
    }

    mutating func add(_ contact: Contact) -> String? {
        guard self.contactKeys.insert("\(contact.organisationID)|\(contact.email)").inserted else {
            return "contact \(contact.email) is already recorded for this organisation"
        }
        self.batch.contacts.append(contact)
        return nil
    }
}
