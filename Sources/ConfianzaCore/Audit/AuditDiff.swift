/// What an edit changed, as the audit log's detail says it: `field: old -> new` for each field that
/// changed (`field: value` for each one set when there was nothing before), `; `-separated.
public enum AuditDiff {
    public static func changes<Value>(
        from old: Value?, to new: Value, _ fields: [(name: String, value: (Value) -> String)], also extra: [String] = []
    ) -> String {
        var parts: [String] = []
        for field in fields {
            let after = field.value(new)
            if let old {
                let before = field.value(old)
                if before != after { parts.append("\(field.name): \(before.isEmpty ? "(none)" : before) -> \(after.isEmpty ? "(none)" : after)") }
            } else if !after.isEmpty {
                parts.append("\(field.name): \(after)")
            }
        }
        parts += extra
        return parts.isEmpty ? "nothing changed" : parts.joined(separator: "; ")
    }
}
