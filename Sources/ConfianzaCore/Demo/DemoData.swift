import Foundation

/// Realistic synthetic data for `confianza demo`. Each module adds its own part here.
public enum DemoData {
    /// The account to sign in with, printed when the demo starts.
    public struct Login: Sendable {
        public var username: String
        public var password: String
    }

    struct Person {
        var username: String
        var displayName: String
        var role: Role
        var language: Language?
    }

    static let team: [Person] = [
        Person(username: "ana.garcia", displayName: "Ana García", role: .analyst, language: .spanish),
        Person(username: "kwame.mensah", displayName: "Kwame Mensah", role: .analyst, language: .english),
        Person(username: "lucia.fernandez", displayName: "Lucía Fernández", role: .admin, language: .spanish),
        Person(username: "samir.haddad", displayName: "Samir Haddad", role: .analyst, language: nil),
        Person(username: "observer", displayName: "Ministry liaison", role: .viewer, language: .spanish),
        Person(username: "former.analyst", displayName: "Former analyst", role: .analyst, language: nil),
    ]

    /// Fills an empty store: a demo admin, a small CIRT team, an API token, and an audit trail with the
    /// kinds of entries a real week leaves (sign-ins, a failed one, a role change, a disabled account), and a
    /// constituency of a few hundred organisations.
    public static func seed(accounts: AccountService, constituency: ConstituencyService) async throws -> Login {
        try await Self.seed(accounts: accounts, constituency: constituency, first: { _ in }).0
    }

    /// The same, with `first` run by the demo admin before the week's story, so that the story stays the
    /// newest page of the audit log (the demo's assessments leave many entries of their own).
    public static func seed<T: Sendable>(
        accounts: AccountService, constituency: ConstituencyService, first: (User) async throws -> T
    ) async throws -> (Login, T) {
        let password = Secrets.readablePassword()
        let demo = try await accounts.createUser(
            username: "demo", displayName: "Demo administrator", role: .admin, password: password, by: .console, address: "cli")
        let before = try await first(demo)
        var created: [String: User] = [:]
        for person in Self.team {
            let user = try await accounts.createUser(
                username: person.username, displayName: person.displayName, role: person.role,
                password: Secrets.readablePassword(), by: .user(demo), address: "127.0.0.1")
            created[person.username] = person.language == nil ? user : try await accounts.setLanguage(user: user, language: person.language)
        }
        if let ana = created["ana.garcia"] {
            _ = try await accounts.createAPIToken(for: ana, name: "IntelMQ bridge", address: "192.0.2.10")
        }
        if let kwame = created["kwame.mensah"] {
            _ = try await accounts.createAPIToken(for: kwame, name: "MISP sync", address: "192.0.2.11")
        }
        _ = try await accounts.setRole(username: "samir.haddad", role: .viewer, by: .user(demo), address: "127.0.0.1")
        _ = try await accounts.setRole(username: "samir.haddad", role: .analyst, by: .user(demo), address: "127.0.0.1")
        _ = try await accounts.setDisabled(username: "former.analyst", disabled: true, by: .user(demo), address: "127.0.0.1")
        _ = try? await accounts.login(username: "kwame.mensah", password: "wrong password", address: "198.51.100.23")
        try await constituency.importBatch(Self.constituency(now: Date()), replace: false)
        return (Login(username: demo.username, password: password), before)
    }
}
