import ArgumentParser
import ConfianzaCore
import Logging
import Foundation
import Testing

@testable import confianza

@Suite struct SettingsTests {
    static func file(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-\(UUID().uuidString).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func defaultsAreTheEmbeddedDatabaseOnLoopback() throws {
        let settings = try Settings.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(settings.database == "confianza.db")
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.publicURL == nil)
        #expect(!settings.trustProxy)
    }

    @Test func flagsBeatEnvironmentWhichBeatsTheFile() throws {
        let path = try Self.file(#"{"database": "from-file.db", "port": 9000, "host": "0.0.0.0", "trustProxy": true, "logLevel": "debug"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = ["CONFIANZA_DATABASE_URL": "postgres://c@db:5432/confianza", "CONFIANZA_PORT": "9100", "CONFIANZA_CONFIG": path]
        let settings = try Settings.resolve(flags: ["port": "9200"], environment: environment, configFile: nil)
        #expect(settings.port == 9200)
        #expect(settings.database == "postgres://c@db:5432/confianza")
        #expect(settings.host == "0.0.0.0")
        #expect(settings.trustProxy)
        #expect(settings.logLevel == .debug)
    }

    @Test(arguments: [
        (["port": "eighty"], "command line: port must be a port number from 1 to 65535"),
        (["port": "70000"], "command line: port must be a port number from 1 to 65535"),
        (["database": "mysql://x@y/z"], "command line: database invalid database configuration: 'mysql://x@y/z' is neither postgres://… nor an SQLite file path"),
        (["publicURL": "ftp://cirt.example"], "command line: publicURL must be an http:// or https:// address"),
        (["logLevel": "loud"], "command line: logLevel must be one of trace, debug, info, notice, warning, error, critical"),
        (["smtpURL": "http://mail.example"], "command line: smtpURL must look like smtp://user:password@host:587 or smtps://host:465"),
        (["mailFrom": "nobody"], "command line: mailFrom must be an e-mail address"),
        (["incidentTag": "CIRT #"], "command line: incidentTag must be a short word (letters, digits, - and _)"),
        (["slaPolicy": "/nonexistent/sla.json"], "command line: slaPolicy must be a readable SLA policy file (/nonexistent/sla.json)"),
        (["shadowserverMapping": "/nonexistent/m.json"], "command line: shadowserverMapping must be a readable mapping file (/nonexistent/m.json)"),
    ])
    func badFlagsAreNamed(flags: [String: String], message: String) {
        #expect(throws: SettingsError.self) { try Settings.resolve(flags: flags, environment: [:], configFile: nil) }
        do {
            _ = try Settings.resolve(flags: flags, environment: [:], configFile: nil)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func badEnvironmentNamesTheVariable() {
        do {
            _ = try Settings.resolve(flags: [:], environment: ["CONFIANZA_TRUST_PROXY": "maybe"], configFile: nil)
            Issue.record("accepted")
        } catch {
            #expect(error.description == "environment: CONFIANZA_TRUST_PROXY must be true or false")
        }
    }

    @Test(arguments: [
        (#"{"colour": "blue"}"#, "unknown setting 'colour'"),
        (#"{"port": [1, 2]}"#, "port must be a string, number or true/false"),
        (#"["port"]"#, "(file) must be a JSON object"),
        (#"{"port": 80"#, "(file) must be a JSON object"),
        ("", "(file) must be a JSON object"),
    ])
    func badConfigFilesNameTheFileAndKey(json: String, fragment: String) throws {
        let path = try Self.file(json)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try Settings.resolve(flags: [:], environment: [:], configFile: path)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.hasPrefix(path), "\(error.description)")
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    @Test func aMissingConfigFileIsNamed() {
        #expect(throws: SettingsError.unreadable("/nonexistent/confianza.json")) {
            try Settings.resolve(flags: [:], environment: [:], configFile: "/nonexistent/confianza.json")
        }
    }

    @Test func commandsParse() throws {
        let create = try Confianza.parseAsRoot(["user", "create", "ana", "--role", "analyst", "--database", "x.db"])
        let command = try #require(create as? UserCommand.Create)
        #expect(command.username == "ana")
        #expect(command.role == .analyst)
        #expect(command.global.flags == ["database": "x.db"])
        #expect(throws: (any Error).self) { try Confianza.parseAsRoot(["user", "create", "ana", "--role", "overlord"]) }
        let serve = try #require(try Confianza.parseAsRoot(["--port", "9090", "--trust-proxy"]) as? Serve)
        #expect(serve.server.flags == ["port": "9090", "trustProxy": "true"])
        #expect(try Confianza.parseAsRoot(["demo"]) is Demo)
    }
}
