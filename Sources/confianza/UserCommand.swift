import ArgumentParser
import ConfianzaCore
import ConfianzaStore
import Foundation
import Logging

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage user accounts from the server's console.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, ResetPassword.self])

    /// Reads a password from standard input (first line), for scripts.
    static func readPassword() throws -> String {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIError("--password-stdin given but standard input has no password")
        }
        return line
    }

    /// Runs an account change with the console as actor, turning refusals into one line.
    static func withAccounts<T>(_ global: GlobalOptions, _ body: (AccountService) async throws -> T) async throws -> T {
        var settings = try Runtime.settings(global)
        if global.logLevel == nil { settings.logLevel = .warning }
        let logger = Runtime.logger(settings)
        return try await Runtime.withStore(settings, logger: logger) { store in
            do {
                return try await body(Runtime.accounts(store, settings))
            } catch let error as AccountError {
                throw CLIError(error.description)
            }
        }
    }

    static func setDisabled(_ disabled: Bool, username: String, global: GlobalOptions) async throws {
        let user = try await Self.withAccounts(global) {
            try await $0.setDisabled(username: username, disabled: disabled, by: .console, address: "cli")
        }
        print("\(disabled ? "Disabled" : "Enabled") '\(user.username)'.")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user. Prints a generated password unless one is given.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Login name: lower-case letters, digits, '.', '_' or '-'.") var username: String
        @Option(help: "admin, analyst or viewer.") var role: Role
        @Option(help: "Full name shown on pages.") var displayName: String?
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

        func run() async throws {
            let given = self.passwordStdin ? try UserCommand.readPassword() : nil
            let password = given ?? Secrets.readablePassword()
            let user = try await UserCommand.withAccounts(self.global) { accounts in
                try await accounts.createUser(
                    username: self.username, displayName: self.displayName, role: self.role, password: password, by: .console,
                    address: "cli")
            }
            print("Created \(user.role.rawValue) '\(user.username)'.")
            if given == nil { print("Password: \(password)   (shown once; change it under My account)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let users = try await UserCommand.withAccounts(self.global) { try await $0.store.users() }
            let rows = [["USERNAME", "ROLE", "STATE", "NAME"]]
                + users.map { [$0.username, $0.role.rawValue, $0.disabled ? "disabled" : "active", $0.displayName] }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                print((padded + [row[3]]).joined(separator: "  "))
            }
            if users.isEmpty { print("(no users yet: create the first with `confianza user create admin --role admin`)") }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user and end their sessions.")
        @OptionGroup var global: GlobalOptions
        @Argument var username: String

        func run() async throws { try await UserCommand.setDisabled(true, username: self.username, global: self.global) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var global: GlobalOptions
        @Argument var username: String

        func run() async throws { try await UserCommand.setDisabled(false, username: self.username, global: self.global) }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password", abstract: "Set a new password (generated unless given) and end the user's sessions.")
        @OptionGroup var global: GlobalOptions
        @Argument var username: String
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
        @Flag(help: "Also revoke the user's API tokens (after a compromise).") var revokeTokens = false

        func run() async throws {
            let given = self.passwordStdin ? try UserCommand.readPassword() : nil
            let password = try await UserCommand.withAccounts(self.global) {
                try await $0.resetPassword(username: self.username, newPassword: given, revokeTokens: self.revokeTokens, by: .console, address: "cli")
            }
            print("Password of '\(self.username.lowercased())' reset\(self.revokeTokens ? "; its API tokens revoked" : "").")
            if given == nil { print("Password: \(password)   (shown once)") }
        }
    }
}
