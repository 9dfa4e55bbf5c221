/// Why an account operation was refused, in words the user can act on.
public enum AccountError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidUsername(String)
    case usernameTaken(String)
    case invalidDisplayName(String)
    case weakPassword(String)
    /// Wrong password, unknown user or disabled account: one answer for all three.
    case invalidCredentials
    case rateLimited(retryAfterSeconds: Int)
    case unknownUser(String)
    case lastAdmin
    case forbidden(required: Role)
    case invalidTokenName(String)
    case tokenNotFound
    case wrongCurrentPassword

    public var description: String {
        switch self {
        case .invalidUsername(let name):
            "username '\(name)' is not valid: use 2 to 64 characters, lower-case letters, digits, '.', '_' or '-', "
                + "starting with a letter or digit"
        case .usernameTaken(let name): "username '\(name)' is already taken"
        case .invalidDisplayName(let reason): "display name is not valid: \(reason)"
        case .weakPassword(let reason): "password is not acceptable: \(reason)"
        case .invalidCredentials: "unknown username or wrong password"
        case .rateLimited(let seconds):
            "too many failed logins: try again in \(max(1, (seconds + 59) / 60)) minute(s)"
        case .unknownUser(let name): "no user named '\(name)'"
        case .lastAdmin: "this is the last active admin: make another admin first"
        case .forbidden(let role): "this needs the \(role.rawValue) role"
        case .invalidTokenName(let reason): "token name is not valid: \(reason)"
        case .tokenNotFound: "no such active token"
        case .wrongCurrentPassword: "the current password is wrong"
        }
    }

    /// The input field at fault, for forms and problem details.
    public var field: String? {
        switch self {
        case .invalidUsername, .usernameTaken, .unknownUser: "username"
        case .invalidDisplayName: "displayName"
        case .weakPassword: "password"
        case .invalidTokenName: "name"
        case .wrongCurrentPassword: "currentPassword"
        case .lastAdmin: "role"
        case .invalidCredentials, .rateLimited, .forbidden, .tokenNotFound: nil
        }
    }
}
