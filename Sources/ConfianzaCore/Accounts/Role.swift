/// What a user may do. Roles are ordered: an admin can do everything an analyst can, and an analyst
/// everything a viewer can. A focal point is below a viewer: they see only their country's assessments.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Manages users, tokens and configuration, and reads the audit log.
    case admin
    /// Handles events and incidents and shares data with peers.
    case analyst
    /// Reads what the markings allow, changes nothing.
    case viewer
    /// Answers one country's capacity assessment questionnaires, and sees nothing else.
    case focalPoint = "focal_point"

    var rank: Int {
        switch self {
        case .focalPoint: -1
        case .viewer: 0
        case .analyst: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Whether this role includes the rights of `other`.
    public func includes(_ other: Role) -> Bool { self.rank >= other.rank }
}
