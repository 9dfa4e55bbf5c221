import Foundation

/// Why an assessment operation was refused, in words the user can act on.
public enum AssessmentError: ExplainedError, Equatable {
    case notFound(String)
    case forbidden
    case file(AssessmentFileError)
    case invalid(field: String, reason: Refusal)
    /// The assessment is not in a state that allows this (`state` is where it is).
    case wrongState(Assessment.State)
    case alreadyExists(country: String)
    /// Questions whose answers need evidence they do not have yet.
    case evidenceMissing([String])
    case noComments
    case invitationUnusable

    public var description: String {
        switch self {
        case .notFound(let what): "\(what) not found"
        case .forbidden: "this assessment belongs to another country"
        case .file(let error): error.description
        case .invalid(let field, let reason): "\(field): \(reason.english)"
        case .wrongState(let state): "the assessment is \(state.rawValue): that cannot be done now"
        case .alreadyExists(let country): "\(country) already has an assessment of this framework edition"
        case .evidenceMissing(let questions): "these answers need evidence first: \(questions.joined(separator: ", "))"
        case .noComments: "write a comment on at least one answer before returning the assessment"
        case .invitationUnusable: "this invitation link was already used or has expired: ask for a new one"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .notFound: Phrase("assessment.error.not_found")
        case .forbidden: Phrase("assessment.error.forbidden")
        case .file(let error): error.phrase
        case .invalid(_, let reason): reason.phrase([:])
        case .wrongState(let state): Phrase("assessment.error.wrong_state", ["stage": state.rawValue])
        case .alreadyExists(let country): Phrase("assessment.error.exists", ["country": country])
        case .evidenceMissing(let questions): Phrase("assessment.error.evidence_missing", ["questions": questions.joined(separator: ", ")])
        case .noComments: Phrase("assessment.error.no_comments")
        case .invitationUnusable: Phrase("assessment.error.invitation")
        }
    }

    public var field: String? {
        switch self {
        case .invalid(let field, _): field
        case .file(let error): error.path
        default: nil
        }
    }
}

/// Uploaded evidence documents: which kinds are taken, and how large they may be.
public enum EvidenceDocuments {
    /// The largest document taken (bytes).
    public static let maxSize = 10 * 1024 * 1024

    /// The accepted kinds, by file extension, with the content type they are served as.
    public static let types: [String: String] = [
        "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "txt": "text/plain; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
    ]

    /// The content type to keep for a document, after checking that its bytes are what its name says;
    /// the refusal otherwise.
    public static func check(filename: String, data: Data) -> Result<String, Refusal> {
        guard !data.isEmpty else { return .failure(Refusal("assessment.error.document_empty", english: "the document is empty")) }
        guard data.count <= Self.maxSize else {
            return .failure(
                Refusal("assessment.error.document_large", english: "the document is larger than \(Self.maxSize / 1024 / 1024) MB", ["mb": String(Self.maxSize / 1024 / 1024)]))
        }
        let ext = (filename as NSString).pathExtension.lowercased()
        let accepted = Self.types.keys.sorted().joined(separator: ", ")
        guard let type = Self.types[ext] else {
            return .failure(Refusal("assessment.error.document_type", english: "documents are taken as \(accepted)", ["types": accepted]))
        }
        let bytes = [UInt8](data.prefix(8))
        let matches: Bool
        switch ext {
        case "pdf": matches = bytes.starts(with: Array("%PDF-".utf8))
        case "png": matches = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case "jpg", "jpeg": matches = bytes.starts(with: [0xFF, 0xD8, 0xFF])
        case "docx", "xlsx", "odt", "ods": matches = bytes.starts(with: [0x50, 0x4B, 0x03, 0x04])
        default: matches = String(data: data, encoding: .utf8) != nil && !data.contains(0)
        }
        guard matches else {
            return .failure(
                Refusal("assessment.error.document_content", english: "the file's content is not a .\(ext) document", ["ext": ext]))
        }
        return .success(type)
    }
}

/// A refusal can be the failure of a check that returns a `Result`.
extension Refusal: Error {}
