import ConfianzaCore
import Foundation
import SQLKit

/// The outbox and digest cursors (notices to constituents).
extension SQLStore {
    private static let outboxColumns = """
        id, incident_id, organisation_id, contact_id, recipient, language, subject, body, attachment_name, attachment, created_at, state, \
        attempts, next_attempt_at, last_error, sent_at
        """

    public func enqueue(_ messages: [OutboxMessage], timeline: [TimelineEntry]) async throws {
        try await self.withTransaction { db in
            for message in messages { try await Self.insertOutbox(message, db: db) }
            try await Self.appendTimeline(timeline, db: db)
        }
    }

    public func digestCursor(contactID: UUID) async throws -> Date? {
        try await self.withReading { db in
            try await db.raw("SELECT covered_until FROM digest_cursors WHERE contact_id = \(bind: contactID.uuidString)").first()
                .map { try Millis.date($0, "covered_until") }
        }
    }

    public func enqueueDigest(_ message: OutboxMessage?, contactID: UUID, coveredUntil: Date, timeline: [TimelineEntry]) async throws {
        try await self.withTransaction { db in
            if let message { try await Self.insertOutbox(message, db: db) }
            try await db.raw(
                """
                INSERT INTO digest_cursors (contact_id, covered_until) VALUES (\(bind: contactID.uuidString), \(bind: Millis(coveredUntil)))
                ON CONFLICT (contact_id) DO UPDATE SET covered_until = excluded.covered_until
                """
            ).run()
            try await Self.appendTimeline(timeline, db: db)
        }
    }

    static func insertOutbox(_ m: OutboxMessage, db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO outbox (\(unsafeRaw: Self.outboxColumns))
            VALUES (\(bind: m.id.uuidString), \(bind: m.incidentID?.uuidString), \(bind: m.organisationID?.uuidString),
                \(bind: m.contactID?.uuidString), \(bind: m.recipient), \(bind: m.language), \(bind: m.subject), \(bind: m.body),
                \(bind: m.attachmentName), \(bind: m.attachment), \(bind: Millis(m.createdAt)), \(bind: m.state.rawValue),
                \(bind: m.attempts), \(bind: Millis(m.nextAttemptAt)), \(bind: m.lastError), \(bind: m.sentAt.map(Millis.init)))
            """
        ).run()
    }

    public func dueMessages(at date: Date, limit: Int) async throws -> [OutboxMessage] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE state = 'pending' AND next_attempt_at <= \(bind: Millis(date))
                ORDER BY created_at LIMIT \(bind: max(0, limit))
                """
            ).all().map(Self.decodeOutbox)
        }
    }

    public func outboxMessages(state: OutboxMessage.State, limit: Int) async throws -> [OutboxMessage] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE state = \(bind: state.rawValue) ORDER BY created_at LIMIT \(bind: max(0, limit))"
            ).all().map(Self.decodeOutbox)
        }
    }

    public func outboxMessages(incidentID: UUID) async throws -> [OutboxMessage] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY created_at, recipient"
            ).all().map(Self.decodeOutbox)
        }
    }

    public func updateOutbox(_ m: OutboxMessage, expected: OutboxMessage.State, timeline: TimelineEntry?) async throws -> Bool {
        try await self.withTransaction { db in
            let updated = try await db.raw(
                """
                UPDATE outbox SET state = \(bind: m.state.rawValue), attempts = \(bind: m.attempts), next_attempt_at = \(bind: Millis(m.nextAttemptAt)),
                    last_error = \(bind: m.lastError), sent_at = \(bind: m.sentAt.map(Millis.init))
                WHERE id = \(bind: m.id.uuidString) AND state = \(bind: expected.rawValue)
                RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { return false }
            if let timeline { try await Self.appendTimeline([timeline], db: db) }
            return true
        }
    }

    static func decodeOutbox(_ row: any SQLRow) throws -> OutboxMessage {
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = OutboxMessage.State(rawValue: stateText) else { throw StoreError.corrupt("outbox state '\(stateText)'") }
        return OutboxMessage(
            id: try Self.uuid(row, "id"), incidentID: try Self.optionalUUID(row, "incident_id"),
            organisationID: try Self.optionalUUID(row, "organisation_id"), contactID: try Self.optionalUUID(row, "contact_id"), recipient: try row.decode(column: "recipient", as: String.self),
            language: try row.decode(column: "language", as: String.self), subject: try row.decode(column: "subject", as: String.self),
            body: try row.decode(column: "body", as: String.self), attachmentName: try row.decode(column: "attachment_name", as: String.self),
            attachment: try row.decode(column: "attachment", as: String.self), createdAt: try Millis.date(row, "created_at"), state: state,
            attempts: try row.decode(column: "attempts", as: Int.self), nextAttemptAt: try Millis.date(row, "next_attempt_at"),
            lastError: try row.decode(column: "last_error", as: String?.self), sentAt: try Millis.optionalDate(row, "sent_at"))
    }
}
