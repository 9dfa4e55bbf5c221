import ArgumentParser
import ConfianzaCore
import ConfianzaSTIX
import ConfianzaStore
import Foundation
import Logging

/// The TAXII 2.1 server's collections and peers' access to them, publishing into them, and pulling
/// from peers' servers.
struct TAXIICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taxii", abstract: "Share STIX 2.1 over TAXII 2.1: collections, peer access, publish, pull.",
        subcommands: [Collections.self, AddCollection.self, AddPeer.self, Grant.self, Token.self, Publish.self, Pull.self])

    static func quietSettings(_ global: GlobalOptions) throws -> Settings {
        var settings = try Runtime.settings(global)
        if global.logLevel == nil { settings.logLevel = .warning }
        return settings
    }

    static func collection(_ key: String, in store: any Store) async throws -> TAXIICollection {
        let all = try await store.collections()
        if let found = all.first(where: { $0.isNamed(key) }) { return found }
        throw CLIError("there is no collection '\(key)' (see confianza taxii collections)")
    }

    static func peer(_ name: String, in store: any Store) async throws -> Peer {
        let peers = try await store.peers()
        if let found = peers.first(where: { $0.name.lowercased() == name.lowercased() || $0.id.uuidString.lowercased() == name.lowercased() }) {
            return found
        }
        throw CLIError("there is no peer '\(name)' (add it on /peers or with confianza taxii add-peer)")
    }

    struct Collections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the collections, their TLP level and who may read and write them.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let peers = Dictionary(try await store.peers().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
                for collection in try await store.collections() {
                    let grants = try await store.grants(collectionID: collection.id).map { grant in
                        "\(peers[grant.peerID] ?? grant.peerID.uuidString) (\([grant.canRead ? "read" : nil, grant.canWrite ? "write" : nil].compactMap { $0 }.joined(separator: "+")))"
                    }
                    print("\(collection.id.uuidString.lowercased())  \(collection.alias ?? "-")  \(collection.tlp.rawValue)  \(collection.title)")
                    print("    peers: \(grants.isEmpty ? "none" : grants.joined(separator: ", "))")
                }
                print("\(try await store.stixObjectCount()) STIX objects held; API root: /taxii2/root/")
            }
        }
    }

    struct AddCollection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-collection", abstract: "Add a collection: a view of the objects held up to one TLP level.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Its title, as peers' tools show it.") var title: String
        @Option(help: "The most restrictive marking it shows and accepts (TLP:CLEAR … TLP:RED).") var tlp: String
        @Option(help: "A short unique name (letters, digits, '-').") var alias: String?
        @Option(help: "A sentence on what it holds.") var description: String = ""

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            let collection = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    return try await SharingService(store: store).addCollection(
                        title: self.title, tlp: self.tlp, alias: self.alias ?? "", description: self.description, by: "cli")
                } catch let error as SharingError { throw CLIError(error.description) }
            }
            print("collection \(collection.id.uuidString.lowercased()) added (\(collection.tlp.rawValue))")
        }
    }

    struct AddPeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-peer", abstract: "Register a peer CIRT (as the /peers page does).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The peer's name.") var name: String
        @Option(help: "ISO 3166 two-letter country code.") var country: String
        @Option(help: "Its contact address.") var contact: String
        @Option(help: "The most restrictive marking it may receive.") var ceiling: String = "TLP:AMBER"
        @Option(help: "Its TAXII API root, where \"share with peer\" sends bundles.") var taxiiURL: String = ""
        @Option(help: "The collection there.") var taxiiCollection: String = ""
        @Option(help: "The user there (HTTP Basic; without it the secret is sent as Bearer).") var taxiiUser: String = ""
        @Option(help: "The password or token there (or env CONFIANZA_PEER_TAXII_SECRET).") var taxiiSecret: String?

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            let secret = self.taxiiSecret ?? ProcessInfo.processInfo.environment["CONFIANZA_PEER_TAXII_SECRET"] ?? ""
            let peer = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    return try await IncidentService(store: store).savePeer(
                        PeerDraft(
                            name: self.name, country: self.country, contact: self.contact, tlpCeiling: self.ceiling, taxiiURL: self.taxiiURL,
                            taxiiCollection: self.taxiiCollection, taxiiUsername: self.taxiiUser, taxiiSecret: secret), address: "cli")
                } catch let error as IncidentError { throw CLIError(error.description) } catch let error as StoreError { throw CLIError(error.description) }
            }
            print("peer \(peer.name) added (\(peer.id.uuidString.lowercased()), ceiling \(peer.tlpCeiling.rawValue))")
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set what a peer may do with a collection (neither --read nor --write takes its access away).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Collection id or alias.") var collection: String
        @Option(help: "Peer name or id.") var peer: String
        @Flag(help: "It may read the collection.") var read = false
        @Flag(help: "It may add objects to the collection.") var write = false

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let collection = try await TAXIICommand.collection(self.collection, in: store)
                let peer = try await TAXIICommand.peer(self.peer, in: store)
                try await SharingService(store: store).setAccess(collectionID: collection.id, peerID: peer.id, read: self.read, write: self.write, by: "cli")
                let rights = [self.read ? "read" : nil, self.write ? "write" : nil].compactMap { $0 }
                print("\(peer.name) on \(collection.title): \(rights.isEmpty ? "no access" : rights.joined(separator: " and "))")
                if peer.tlpCeiling < collection.tlp {
                    print("note: \(peer.name)'s ceiling is \(peer.tlpCeiling.rawValue): it sees only objects up to that in this \(collection.tlp.rawValue) collection")
                }
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token a peer's tools present to our TAXII server (Basic password or Bearer); shown once.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Peer name or id.") var peer: String
        @Flag(help: "Revoke the peer's tokens instead.") var revoke = false

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let peer = try await TAXIICommand.peer(self.peer, in: store)
                let service = SharingService(store: store)
                if self.revoke {
                    print("\(try await service.revokeTokens(peerID: peer.id, by: "cli")) tokens of \(peer.name) revoked")
                    return
                }
                let secret = try await service.issueToken(peerID: peer.id, by: "cli")
                print(secret)
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put STIX objects into the TAXII server: bundles or envelopes from files, or incidents as `stix export` writes them.",
            discussion: "Objects keep their own TLP marking; unmarked ones take that of the objects referring to them, else --tlp. Each object appears in every collection whose level reaches its marking.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Bundles or envelopes (.json).") var files: [String] = []
        @Option(name: .customLong("incident"), help: "An incident's number (repeat for several).") var incidents: [Int] = []
        @Option(help: "The marking of unmarked objects that nothing marked refers to.") var tlp: String = "TLP:AMBER"

        func validate() throws {
            guard !self.files.isEmpty || !self.incidents.isEmpty else { throw ValidationError("give bundle files or --incident numbers") }
            guard TLP(label: self.tlp) != nil else { throw ValidationError("--tlp must be a TLP 2.0 label") }
        }

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            let tlp = TLP(label: self.tlp) ?? .amber
            let failed = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { (store: SQLStore) async throws -> Bool in
                var failed = false
                let service = TAXIIService(store: store)
                var batches: [(String, [JSONValue])] = []
                for file in self.files {
                    guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                        FileHandle.standardError.write(Data("cannot read \(file) as UTF-8 text\n".utf8))
                        failed = true
                        continue
                    }
                    guard case .object(let root)? = try? JSONReader.parse(text), case .array(let objects)? = root["objects"] else {
                        FileHandle.standardError.write(Data("\(file): not a STIX bundle or TAXII envelope (an object with \"objects\": […])\n".utf8))
                        failed = true
                        continue
                    }
                    batches.append((file, objects))
                }
                let sharing = IncidentSharing(store: store, incidents: IncidentService(store: store), producer: settings.incidentTag)
                for number in self.incidents {
                    guard let incident = try await store.incident(number: number) else { throw CLIError("there is no incident #\(number)") }
                    batches.append(("incident #\(number)", try await sharing.objects([incident])))
                }
                for (name, objects) in batches {
                    let result = try await service.publish(objects, tlp: tlp)
                    print("\(name): \(result.added) objects added, \(result.unchanged) already held, \(result.refused.count) refused")
                    for refused in result.refused.prefix(20) { FileHandle.standardError.write(Data("  \(refused.id): \(refused.reason)\n".utf8)) }
                    if !result.refused.isEmpty { failed = true }
                }
                return failed
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pull a collection from a peer's TAXII 2.1 server and take in its indicators; resumes where the last pull stopped.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The peer's API root, e.g. https://taxii.peer.example/taxii2/root/") var url: String
        @Option(help: "The collection's id.") var collection: String
        @Option(help: "User for HTTP Basic.") var user: String?
        @Option(help: "Password or token for HTTP Basic (or env CONFIANZA_TAXII_PASSWORD).") var password: String?
        @Option(help: "Bearer token instead of Basic (or env CONFIANZA_TAXII_TOKEN).") var token: String?
        @Option(help: "Objects per page.") var limit = 500
        @Option(help: "Start from this date_added instead of the last pull's checkpoint.") var since: String?

        func run() async throws {
            let settings = try TAXIICommand.quietSettings(self.global)
            let environment = ProcessInfo.processInfo.environment
            var credentials = TAXIIClient.Credentials.none
            if let token = self.token ?? environment["CONFIANZA_TAXII_TOKEN"] {
                credentials = .bearer(token)
            } else if let user = self.user {
                guard let password = self.password ?? environment["CONFIANZA_TAXII_PASSWORD"] else {
                    throw CLIError("--user needs --password (or CONFIANZA_TAXII_PASSWORD)")
                }
                credentials = .basic(user: user, password: password)
            }
            if let since = self.since, STIXObjects.micros(since) == nil { throw CLIError("--since '\(since)' is not a timestamp (2024-05-01T00:00:00Z)") }
            let summary = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    let client = try TAXIIClient(store: store, apiRoot: self.url, collection: self.collection, credentials: credentials, pageSize: self.limit)
                    return try await client.pull(since: self.since)
                } catch let error as TAXIIClientError { throw CLIError(error.description) }
            }
            print(
                "\(summary.pages) pages, \(summary.objects) objects: \(summary.indicatorsAdded) indicators added, \(summary.indicatorsUpdated) updated, "
                    + "\(summary.indicatorsUnchanged) unchanged, \(summary.otherObjects) other objects, \(summary.refused.count) refused")
            for reason in summary.refused.prefix(20) { FileHandle.standardError.write(Data("  refused \(reason)\n".utf8)) }
            print("next pull starts after \(summary.checkpoint ?? "the beginning")")
        }
    }
}
