/// Why an account operation was refused, in words the user can act on.
public enum AccountError: ExplainedError, Equatable {
    case invalidUsername(String)
    case usernameTaken(String)
    case invalidDisplayName(Refusal)
    case weakPassword(Refusal)
    /// Wrong password, unknown user or disabled account: one answer for all three.
    case invalidCredentials
    case rateLimited(retryAfterSeconds: Int)
    /// Too many sign-ins are being checked at once: try again in a moment.
    case busy
    case unknownUser(String)
    case lastAdmin
    case forbidden(required: Role)
    case invalidTokenName(Refusal)
    case tokenNotFound
    case wrongCurrentPassword

    public var description: String {
        switch self {
        case .invalidUsername(let name):
            "username '\(name)' is not valid: use 2 to 64 characters, lower-case letters, digits, '.', '_' or '-', "
                + "starting with a letter or digit"
        case .usernameTaken(let name): "username '\(name)' is already taken"
        case .invalidDisplayName(let reason): "display name is not valid: \(reason.english)"
        case .weakPassword(let reason): "password is not acceptable: \(reason.english)"
        case .invalidCredentials: "unknown username or wrong password"
        case .rateLimited(let seconds) where seconds < 60: "too many failed logins: try again in \(max(1, seconds)) seconds"
        case .rateLimited(let seconds): "too many failed logins: try again in \((seconds + 59) / 60) minute(s)"
        case .busy: "too many sign-ins at this moment: try again in a few seconds"
        case .unknownUser(let name): "no user named '\(name)'"
        case .lastAdmin: "this is the last active admin: make another admin first"
        case .forbidden(let role): "this needs the \(role.rawValue) role"
        case .invalidTokenName(let reason): "token name is not valid: \(reason.english)"
        case .tokenNotFound: "no such active token"
        case .wrongCurrentPassword: "the current password is wrong"
        }
    }

    /// The same in the locale files' words, for pages.
    public var phrase: Phrase? {
        switch self {
        case .invalidUsername(let name): Phrase("account.error.username", ["name": name])
        case .usernameTaken(let name): Phrase("account.error.username_taken", ["name": name])
        case .invalidDisplayName(let reason), .weakPassword(let reason), .invalidTokenName(let reason): reason.phrase([:])
        case .invalidCredentials: Phrase("login.failed")
        case .rateLimited(let seconds) where seconds < 60: Phrase("login.rate_limited_seconds", ["seconds": String(max(1, seconds))])
        case .rateLimited(let seconds): Phrase("login.rate_limited", ["minutes": String((seconds + 59) / 60)])
        case .busy: Phrase("login.busy")
        case .unknownUser(let name): Phrase("account.error.unknown_user", ["name": name])
        case .lastAdmin: Phrase("account.error.last_admin")
        case .forbidden(let role): Phrase("account.error.forbidden", ["role": role.rawValue])
        case .tokenNotFound: Phrase("account.error.token_not_found")
        case .wrongCurrentPassword: Phrase("account.error.wrong_current_password")
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
        case .invalidCredentials, .rateLimited, .busy, .forbidden, .tokenNotFound: nil
        }
    }
}
