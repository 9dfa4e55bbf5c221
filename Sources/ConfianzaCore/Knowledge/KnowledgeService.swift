import Foundation

/// Why a knowledge action was refused.
public enum KnowledgeError: ExplainedError, Equatable {
    case file(DataFileError)
    case notFound

    public var description: String {
        switch self {
        case .file(let error): error.description
        case .notFound: "there is no such record in the knowledge base"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .file(let error): error.phrase
        case .notFound: Phrase("knowledge.error.not_found")
        }
    }
}

/// The rules of the knowledge base: imports checked whole before anything is kept, exports, searches,
/// and the agreements network — public ones built from TLP:CLEAR records only.
public struct KnowledgeService: Sendable {
    public typealias Storage = any KnowledgeStore & AuditStore

    public let store: Storage
    let now: @Sendable () -> Date

    public init(store: Storage, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    /// Imports a knowledge file: every record checked first (a fault names its entry and field and
    /// nothing is kept), then all added or replaced by id in one transaction. Returns the counts.
    @discardableResult
    public func importFile(_ text: String, file: String, by actor: String, address: String?) async throws -> KnowledgeBase {
        let base: KnowledgeBase
        do { base = try KnowledgeFile.read(text, file: file) } catch { throw KnowledgeError.file(error) }
        try await self.importBase(base, file: file, by: actor, address: address)
        return base
    }

    /// Keeps records already read and checked (a CSV table read by the feeds module), all in one transaction.
    public func importBase(_ base: KnowledgeBase, file: String, by actor: String, address: String?) async throws {
        try await self.store.saveKnowledge(base, at: self.now(), by: actor)
        try await self.store.appendAudit(
            AuditEvent(
                at: self.now(), actor: actor, action: .knowledgeImported, target: file, address: address,
                detail: "\(base.initiatives.count) initiatives, \(base.caseStudies.count) case studies, \(base.agreements.count) agreements"))
    }

    /// Adds or replaces one record, as an entry of a file (the pages' forms build the same JSON).
    public func save(_ base: KnowledgeBase, by actor: String, address: String?) async throws {
        try await self.store.saveKnowledge(base, at: self.now(), by: actor)
        let id = (base.initiatives.map(\.id) + base.caseStudies.map(\.id) + base.agreements.map(\.id)).first?.uuidString
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .knowledgeSaved, target: id, address: address))
    }

    public func delete(kind: KnowledgeKind, id: UUID, by actor: String, address: String?) async throws {
        guard try await self.store.deleteKnowledge(kind: kind, id: id) else { throw KnowledgeError.notFound }
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .knowledgeDeleted, target: id.uuidString, address: address, detail: kind.rawValue))
    }

    /// The agreements network of the records one may see (public: TLP:CLEAR only).
    public func network(clearOnly: Bool) async throws -> AgreementNetwork {
        AgreementNetwork(agreements: try await self.store.knowledge(clearOnly: clearOnly).agreements)
    }
}

extension AuditAction {
    public static let knowledgeImported = AuditAction(rawValue: "knowledge.imported")
    public static let knowledgeSaved = AuditAction(rawValue: "knowledge.saved")
    public static let knowledgeDeleted = AuditAction(rawValue: "knowledge.deleted")
}
