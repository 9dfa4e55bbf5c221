import ConfianzaCore
import Foundation
import SQLKit

extension SQLStore {
    public func insertHeldReply(_ reply: HeldReply, timeline: TimelineEntry) async throws {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO held_replies (id, incident_id, sender, subject, body, received_at)
                VALUES (\(bind: reply.id.uuidString), \(bind: reply.incidentID.uuidString), \(bind: reply.sender), \(bind: reply.subject),
                    \(bind: reply.text), \(bind: Millis(reply.receivedAt)))
                """
            ).run()
            try await Self.appendTimeline([timeline], db: db)
        }
    }

    public func heldReplies(incidentID: UUID) async throws -> [HeldReply] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT id, incident_id, sender, subject, body, received_at FROM held_replies WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY received_at, id"
            ).all().map(Self.decodeHeldReply)
        }
    }

    public func removeHeldReply(id: UUID, timeline: @Sendable (HeldReply) -> [TimelineEntry]) async throws -> HeldReply? {
        try await self.withTransaction { db in
            guard
                let held = try await db.raw(
                    "DELETE FROM held_replies WHERE id = \(bind: id.uuidString) RETURNING id, incident_id, sender, subject, body, received_at"
                ).first().map(Self.decodeHeldReply)
            else { return nil }
            try await Self.appendTimeline(timeline(held), db: db)
            try await db.raw(
                "UPDATE incidents SET updated_at = \(bind: Millis(Date())) WHERE id = \(bind: held.incidentID.uuidString)"
            ).run()
            return held
        }
    }

    static func decodeHeldReply(_ row: any SQLRow) throws -> HeldReply {
        HeldReply(
            id: try Self.uuid(row, "id"), incidentID: try Self.uuid(row, "incident_id"), sender: try row.decode(column: "sender", as: String.self),
            subject: try row.decode(column: "subject", as: String.self), text: try row.decode(column: "body", as: String.self),
            receivedAt: try Millis.date(row, "received_at"))
    }
}
