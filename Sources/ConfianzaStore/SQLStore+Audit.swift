import ConfianzaCore
import Foundation
import SQLKit

extension SQLStore {
    public func appendAudit(_ event: AuditEvent) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                INSERT INTO audit_log (at, actor, action, target, address, detail)
                VALUES (\(bind: Millis(event.at)), \(bind: event.actor), \(bind: event.action.rawValue),
                    \(bind: event.target), \(bind: event.address), \(bind: event.detail))
                """
            ).run()
        }
    }

    public func auditEntries(limit: Int, before sequence: Int64?) async throws -> [AuditEntry] {
        let limit = max(0, min(limit, 10_000))
        return try await self.withReading { db in
            let rows: [any SQLRow]
            if let sequence {
                rows = try await db.raw(
                    """
                    SELECT seq, at, actor, action, target, address, detail FROM audit_log
                    WHERE seq < \(bind: sequence) ORDER BY seq DESC LIMIT \(bind: limit)
                    """
                ).all()
            } else {
                rows = try await db.raw(
                    "SELECT seq, at, actor, action, target, address, detail FROM audit_log ORDER BY seq DESC LIMIT \(bind: limit)"
                ).all()
            }
            return try rows.map { row in
                let action = AuditAction(rawValue: try row.decode(column: "action", as: String.self))
                return AuditEntry(
                    sequence: try row.decode(column: "seq", as: Int64.self),
                    event: AuditEvent(
                        at: try Millis.date(row, "at"), actor: try row.decode(column: "actor", as: String?.self),
                        action: action, target: try row.decode(column: "target", as: String?.self),
                        address: try row.decode(column: "address", as: String?.self),
                        detail: try row.decode(column: "detail", as: String?.self)))
            }
        }
    }
}
