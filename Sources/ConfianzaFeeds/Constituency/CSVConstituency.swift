import ConfianzaCore
import Foundation

/// The CSV tables of the constituency.
enum CSVConstituency {
    static func read(_ bytes: [UInt8], existing: ConstituencyFile.Existing, now: Date) throws(ConstituencyFileError) -> ConstituencyBatch {
        var records: [CSVRecord] = []
        var firstError: CSVError?
        var reader = CSVReader()
        reader.feed(bytes) { output in
            switch output {
            case .success(let record): if firstError == nil { records.append(record) }
            case .failure(let error): if firstError == nil { firstError = error }
            }
        }
        reader.finish { output in
            if case .failure(let error) = output, firstError == nil { firstError = error }
            if case .success(let record) = output, firstError == nil { records.append(record) }
        }
        if let firstError { throw ConstituencyFileError(line: firstError.line, reason: firstError.explanation) }
        guard let header = records.first else { throw ConstituencyFileError(reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let table = try Self.table(for: columns)
        if let unknown = columns.first(where: { !table.columns.contains($0) }) {
            throw ConstituencyFileError(
                line: header.line, location: "column \(unknown.isEmpty ? "(empty)" : unknown)",
                reason: "unknown column for the \(table.rawValue) table (known: \(table.columns.joined(separator: ", ")))")
        }
        if let missing = table.required.first(where: { !columns.contains($0) }) {
            throw ConstituencyFileError(line: header.line, location: "column \(missing)", reason: "is required in the \(table.rawValue) table")
        }
        if let repeated = columns.first(where: { column in columns.filter { $0 == column }.count > 1 }) {
            throw ConstituencyFileError(line: header.line, location: "column \(repeated)", reason: "appears twice")
        }
        guard records.count > 1 else { throw ConstituencyFileError(line: header.line, reason: "the file has a header and no rows") }

        var ledger = ImportLedger(existing: existing)
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                throw ConstituencyFileError(
                    line: record.line, reason: "expected \(columns.count) fields as in the header, found \(record.fields.count)")
            }
            let row = Dictionary(uniqueKeysWithValues: zip(columns, record.fields.map(SpreadsheetCell.unguarded)))
            func value(_ column: String) -> String { row[column] ?? "" }
            func fail(_ error: ConstituencyError) -> ConstituencyFileError {
                switch error {
                case .invalid(let field, let given, let reason):
                    ConstituencyFileError(line: record.line, location: "column \(Self.column(for: field, in: table))", reason: "'\(given)': \(reason)")
                default:
                    ConstituencyFileError(line: record.line, reason: error.description)
                }
            }
            func owner() throws(ConstituencyFileError) -> UUID {
                guard let id = ledger.organisationID(named: value("organisation")) else {
                    throw ConstituencyFileError(
                        line: record.line, location: "column organisation", reason: "no organisation named '\(value("organisation"))'")
                }
                return id
            }
            switch table {
            case .organisations:
                let draft = OrganisationDraft(
                    name: value("name"), sector: value("sector"), country: value("country"), kind: value("kind"),
                    tlpCeiling: row["tlp_ceiling"].flatMap { $0.isEmpty ? nil : $0 } ?? TLP.amber.rawValue, notes: value("notes"))
                let organisation: Organisation
                do { organisation = try draft.validated(createdAt: now) } catch { throw fail(error) }
                if let clash = ledger.add(organisation) { throw ConstituencyFileError(line: record.line, location: "column name", reason: clash) }
            case .assets:
                let organisationID = try owner()
                guard let kind = Asset.Kind(rawValue: value("kind").trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw ConstituencyFileError(
                        line: record.line, location: "column kind",
                        reason: "'\(value("kind"))': use one of \(Asset.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let owned: OwnedAsset
                do {
                    owned = OwnedAsset(
                        organisationID: organisationID, asset: try Asset.parse(kind: kind, value: value("value")),
                        note: try Validation.text(value("note"), field: "note", limit: 500, required: false))
                } catch { throw fail(error) }
                if let clash = ledger.add(owned) { throw ConstituencyFileError(line: record.line, location: "column value", reason: clash) }
            case .contacts:
                let organisationID = try owner()
                let draft = ContactDraft(
                    name: value("name"), email: value("email"), language: row["language"].flatMap { $0.isEmpty ? nil : $0 } ?? "en",
                    role: row["role"].flatMap { $0.isEmpty ? nil : $0 } ?? "abuse", pgpKey: value("pgp_key"),
                    frequency: row["frequency"].flatMap { $0.isEmpty ? nil : $0 } ?? "immediate",
                    minimumSeverity: row["minimum_severity"].flatMap { $0.isEmpty ? nil : $0 } ?? "low",
                    classificationTypes: ContactDraft.list(value("classification_types")), feeds: ContactDraft.list(value("feeds")))
                let contact: Contact
                do { contact = try draft.validated(organisationID: organisationID) } catch { throw fail(error) }
                if let clash = ledger.add(contact) { throw ConstituencyFileError(line: record.line, location: "column email", reason: clash) }
            }
        }
        return ledger.batch
    }

    static func table(for columns: [String]) throws(ConstituencyFileError) -> ConstituencyFile.Table {
        if columns.contains("email") { return .contacts }
        if columns.contains("value") { return .assets }
        if columns.contains("sector") { return .organisations }
        throw ConstituencyFileError(
            line: 1,
            reason: "the header matches no table: organisations (name,sector,country,kind,…), assets (organisation,kind,value,…) "
                + "or contacts (organisation,name,email,…)")
    }

    /// The CSV column for a validation field name.
    static func column(for field: String, in table: ConstituencyFile.Table) -> String {
        switch field {
        case "tlpCeiling": "tlp_ceiling"
        case "minimumSeverity": "minimum_severity"
        case "classificationTypes": "classification_types"
        case "pgpKey": "pgp_key"
        default: field
        }
    }

    // MARK: writing

    static func write(_ table: ConstituencyFile.Table, organisations: [Organisation], contacts: [Contact], assets: [OwnedAsset]) -> [UInt8] {
        let names = Dictionary(organisations.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var rows: [[String]] = [table.columns]
        switch table {
        case .organisations:
            rows += organisations.sorted { $0.name.lowercased() < $1.name.lowercased() }.map {
                [$0.name, $0.sector.rawValue, $0.country, $0.kind.rawValue, $0.tlpCeiling.rawValue, $0.notes]
            }
        case .assets:
            rows += assets.compactMap { owned in names[owned.organisationID].map { [$0, owned.asset.kind.rawValue, owned.asset.value, owned.note] } }
                .sorted { $0.lexicographicallyPrecedes($1) }
        case .contacts:
            rows += contacts.compactMap { contact in
                names[contact.organisationID].map {
                    [
                        $0, contact.name, contact.email, contact.language, contact.role.rawValue, contact.policy.frequency.rawValue,
                        contact.policy.minimumSeverity.rawValue, contact.policy.classificationTypes.joined(separator: ";"),
                        contact.policy.feeds.joined(separator: ";"), contact.pgpKey ?? "",
                    ]
                }
            }.sorted { $0.lexicographicallyPrecedes($1) }
        }
        return Array(rows.map { $0.map { Self.quote(SpreadsheetCell.guarded($0)) }.joined(separator: ",") }.joined(separator: "\r\n").utf8) + Array("\r\n".utf8)
    }

    static func quote(_ field: String) -> String {
        let needsQuotes = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || field.hasPrefix(" ") || field.hasSuffix(" ")
        return needsQuotes ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }
}
