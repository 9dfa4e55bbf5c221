import ConfianzaCore
import ConfianzaFeeds
import ConfianzaNetwork
import ConfianzaStore
import ConfianzaTestSupport
import Foundation
import Testing

/// The whole pipeline on every backend: parse, de-duplicate, route, store, account, resume.
@Suite struct IngestPipelineTests {
    static let mapping: ShadowserverMapping = {
        do { return try ShadowserverMapping.bundled() } catch { fatalError("\(error)") }
    }()
    static let header = "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"city\"\n"

    static func row(_ second: Int, _ ip: String, asn: Int = 64500) -> String {
        "\"2024-05-01 00:00:\(String(format: "%02d", second % 60))\",\"medium\",\"\(ip)\",\"udp\",53,,\"openresolver\",\(asn),\"UY\",,\n"
    }

    /// 20 rows: 14 distinct events, 4 exact repeats, 2 bad rows.
    static let file: String = {
        var text = Self.header
        for i in 0..<14 { text += Self.row(i, "198.51.100.\(i + 1)") }
        text += Self.row(0, "198.51.100.1") + Self.row(1, "198.51.100.2") + Self.row(2, "198.51.100.3") + Self.row(0, "198.51.100.1")
        text += "\"2024-05-01 00:00:59\",\"medium\",\"not-an-ip\",\"udp\",53,,\"x\",64500,\"UY\",,\n"
        text += "\"2024-05-01 00:00:59\",\"medium\"\n"
        return text
    }()

    static func pipeline(_ store: any Store, batchSize: Int = 3) async throws -> IngestPipeline {
        let constituency = ConstituencyService(store: store)
        if try await store.organisations().isEmpty {
            let org = try await constituency.createOrganisation(OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public"))
            _ = try await constituency.addAsset(organisationID: org.id, kind: "prefix", value: "198.51.100.0/29")
        }
        return IngestPipeline(store: store, constituency: constituency, mapping: Self.mapping, batchSize: batchSize)
    }

    static func ingest(_ pipeline: IngestPipeline, _ text: String, name: String = "2024-05-01-scan_dns-uy.csv") async throws -> IngestSummary {
        try await pipeline.ingest(fileName: name, format: .shadowserver(reportType: nil), source: "test", open: { MemoryChunks(Array(text.utf8)) })
    }

    @Test(arguments: TestBackend.available)
    func everyLineIsStoredCountedOrQuarantined(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await Self.pipeline(store)
            let summary = try await Self.ingest(pipeline, Self.file)
            #expect(summary.counts == IngestCounts(read: 20, stored: 14, duplicates: 4, quarantined: 2))
            #expect(summary.counts.reconciles)
            #expect(summary.feed == "DNS-Open-Resolvers")
            #expect(try await store.eventCount() == 14)

            let events = try await store.latestEvents(limit: 100)
            let first = try #require(events.first { $0.event["source.ip"] == .string("198.51.100.1") })
            #expect(first.count == 3, "the row and its two repeats")
            let hospital = try #require(try await store.organisations().first)
            #expect(first.organisations == [hospital.id])
            #expect(first.rule == "prefix 198.51.100.0/29")
            let outside = try #require(events.first { $0.event["source.ip"] == .string("198.51.100.14") })
            #expect(outside.organisations.isEmpty, "198.51.100.14 is outside 198.51.100.0/29")

            let quarantined = try await store.quarantined(runID: summary.run, limit: 10)
            #expect(quarantined.map(\.line) == [20, 21])
            #expect(quarantined[0].reason.hasPrefix("column ip: 'not-an-ip' is not an IP address"))
            #expect(quarantined[1].raw == "\"2024-05-01 00:00:59\",\"medium\"")

            // The same file again changes nothing.
            let again = try await Self.ingest(pipeline, Self.file)
            #expect(again.alreadyIngested)
            #expect(again.counts == summary.counts)
            #expect(try await store.eventCount() == 14)

            // Another file repeating some rows raises counts instead of storing them twice.
            let next = Self.header + Self.row(0, "198.51.100.1") + Self.row(30, "198.51.100.9")
            let second = try await Self.ingest(pipeline, next, name: "2024-05-02-scan_dns-uy.csv")
            #expect(second.counts == IngestCounts(read: 2, stored: 1, duplicates: 1, quarantined: 0))
            #expect(try await store.latestEvents(limit: 100).first { $0.event["source.ip"] == .string("198.51.100.1") }?.count == 4)
            #expect(try await store.ingestRuns(limit: 10).count == 2)
        }
    }

    /// A blocklisted network is a `source.network` event routed to the owner of its first address; an
    /// old sinkhole report's malware family is stored in `malware.name`.
    @Test(arguments: TestBackend.available)
    func networksAreRoutedAndMalwareNamesKept(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await Self.pipeline(store)
            let blocklist = """
                "timestamp","ip","hostname","source","reason","asn","geo","region","city","naics","sic","sector"
                "2024-05-01 07:00:19","198.51.100.0/24",,"Alien Vault","Malicious Host AA",,"UY",,,0,0,0
                "2024-05-01 07:00:20","203.0.113.0/24",,"Alien Vault","Malicious Host AA",,"AT",,,0,0,0

                """
            let summary = try await Self.ingest(pipeline, blocklist, name: "2024-05-01-blocklist-uy.csv")
            #expect(summary.counts == IngestCounts(read: 2, stored: 2, duplicates: 0, quarantined: 0))
            let events = try await store.latestEvents(limit: 10)
            let hospital = try #require(try await store.organisations().first)
            let inside = try #require(events.first { $0.event["source.network"] == .string("198.51.100.0/24") })
            #expect(inside.organisations == [hospital.id])
            #expect(inside.rule == "prefix 198.51.100.0/29")
            #expect(inside.event["source.ip"] == nil)
            #expect(events.first { $0.event["source.network"] == .string("203.0.113.0/24") }?.organisations.isEmpty == true)

            let drone = """
                "timestamp","ip","port","asn","geo","region","city","hostname","type","infection","url","agent","cc_ip","cc_port","cc_asn","cc_geo","cc_dns","count","proxy","application","p0f_genre","p0f_detail","machine_name","id","naics","sic","cc_naics","cc_sic","sector","cc_sector","ssl_cipher","family","tag","public_source"
                "2024-05-01 00:00:05","198.51.100.3",3218,0,"UY",,,,"tcp","dorkbot",,,"203.0.113.166",80,8560,"US",,1,,,"Windows",,,,0,0,0,0,,,,"dorkbot","sinkhole","AnubisNetworks"

                """
            _ = try await Self.ingest(pipeline, drone, name: "2024-05-01-botnet_drone-uy.csv")
            let infected = try #require(try await store.latestEvents(limit: 10).first { $0.event["source.ip"] == .string("198.51.100.3") })
            #expect(infected.event["malware.name"] == .string("dorkbot"))
            #expect(infected.organisations == [hospital.id])
        }
    }

    /// A bundled public list is read by name; a URL on an address is routed by that address, a host name
    /// URL by its domain, and every event is TLP:CLEAR with the list's classification.
    @Test(arguments: TestBackend.available)
    func publicFeedsAreReadByNameAndRoutedByTheirURLs(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await Self.pipeline(store)
            let urlhaus = """
                # abuse.ch URLhaus Database Dump (CSV - recent URLs only)
                # id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
                "2838701","2024-05-01 10:11:07","http://198.51.100.4:43261/i","online","2024-05-01 10:11:07","malware_download","elf,Mozi","https://urlhaus.abuse.ch/url/2838701/","geenensp"
                "2838700","2024-05-01 10:10:06","http://203.0.113.9/x","online","","malware_download","exe","https://urlhaus.abuse.ch/url/2838700/","abuse_ch"
                "2838699","2024-05-01 10:10:06","not a url","online","","malware_download","exe","https://urlhaus.abuse.ch/url/2838699/","abuse_ch"

                """
            let summary = try await pipeline.ingest(
                fileName: "csv_recent.txt", format: try FeedFormat("public:urlhaus-recent"), source: "test",
                open: { MemoryChunks(Array(urlhaus.utf8)) })
            #expect(summary.counts == IngestCounts(read: 3, stored: 2, duplicates: 0, quarantined: 1))
            #expect(summary.feed == "URLhaus recent URLs")
            let hospital = try #require(try await store.organisations().first)
            let events = try await store.latestEvents(limit: 10)
            let inside = try #require(events.first { $0.event["source.url"] == .string("http://198.51.100.4:43261/i") })
            #expect(inside.organisations == [hospital.id])
            #expect(inside.event["tlp"] == .string("TLP:CLEAR"))
            #expect(inside.event["classification.type"] == .string("malware-distribution"))
            #expect(events.first { $0.event["source.url"] == .string("http://203.0.113.9/x") }?.organisations.isEmpty == true)
            let quarantined = try await store.quarantined(runID: summary.run, limit: 10)
            #expect(quarantined.first?.reason.contains("not a URL") == true, "\(quarantined)")
        }
    }

    /// Every filter of the events list, alone and together, gives the same answer on every backend as
    /// a plain scan of the events does.
    @Test(arguments: TestBackend.available)
    func eventFiltersAgreeWithAScan(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await Self.pipeline(store)
            var text = Self.header
            for i in 0..<12 { text += Self.row(i, i % 3 == 0 ? "2001:db8::\(i + 1)" : "198.51.100.\(i + 1)", asn: 64500 + i % 2) }
            _ = try await Self.ingest(pipeline, text)
            let intel = #"{"source.ip":"203.0.113.7","classification.type":"phishing","time.source":"2024-05-03T10:00:00+00:00","source.asn":64999}"#
            _ = try await pipeline.ingest(
                fileName: "x.jsonl", format: .intelmq, source: "test", open: { MemoryChunks(Array((intel + "\n").utf8)) })
            let all = try await store.events(matching: EventQuery(limit: 1000))
            #expect(all.count == 13)
            let hospital = try #require(try await store.organisations().first)
            let day = Date(timeIntervalSince1970: 1_714_521_600)  // 2024-05-01
            let queries: [EventQuery] = [
                EventQuery(network: try IPPrefix("198.51.100.0/29")), EventQuery(network: try IPPrefix("198.51.100.5")),
                EventQuery(network: try IPPrefix("2001:db8::/32")), EventQuery(network: try IPPrefix("0.0.0.0/0")),
                EventQuery(network: try IPPrefix("::/0")), EventQuery(asn: 64501), EventQuery(asn: 64999),
                EventQuery(taxonomy: "fraud"), EventQuery(taxonomy: "vulnerable", classificationType: "vulnerable-system"),
                EventQuery(organisation: hospital.id), EventQuery(since: day.addingTimeInterval(86400)), EventQuery(until: day.addingTimeInterval(5)),
                EventQuery(since: day.addingTimeInterval(3), until: day.addingTimeInterval(7)),
                EventQuery(network: try IPPrefix("198.51.100.0/24"), asn: 64500, since: day, until: day.addingTimeInterval(86400)),
            ]
            for query in queries {
                var scan = query
                scan.limit = 1000
                let found = try await store.events(matching: scan).map(\.id).sorted()
                let expected = all.filter { query.matches($0) }.map(\.id).sorted()
                #expect(found == expected, "\(query)")
                #expect(!expected.isEmpty || query.asn == 12345, "each query finds something: \(query)")
            }
            // Reading a whole search in pages by position gives every event once, in the list's order
            // (the export streams this way, issue 12 item 8), with a filter too.
            for filter in [EventQuery(limit: 5), EventQuery(network: try IPPrefix("198.51.100.0/24"), limit: 2)] {
                var pages: [Int64] = []
                var query = filter
                while true {
                    let page = try await store.events(matching: query)
                    pages += page.map(\.id)
                    guard let last = page.last, page.count == query.limit else { break }
                    query.after = EventPosition(last)
                }
                var whole = filter
                whole.limit = 1000
                #expect(pages == (try await store.events(matching: whole)).map(\.id), "\(filter)")
            }
            #expect(try await store.events(matching: EventQuery(network: try IPPrefix("198.51.100.0/29"))).count == 4)
            #expect(try await store.events(matching: EventQuery(network: try IPPrefix("2001:db8::/32"))).count == 4)
            #expect(try await store.events(matching: EventQuery(network: try IPPrefix("::/0"))).count == 4, "IPv4 is not inside ::/0")
        }
    }

    /// A reader that fails after some chunks, as a process killed mid-file would stop.
    struct FailingChunks: ChunkReader {
        struct Killed: Error {}
        var inner: MemoryChunks
        var chunks: [[UInt8]]
        var given = 0
        let failAfter: Int

        init(_ text: String, chunkSize: Int, failAfter: Int) {
            let bytes = Array(text.utf8)
            self.chunks = stride(from: 0, to: bytes.count, by: chunkSize).map { Array(bytes[$0..<min($0 + chunkSize, bytes.count)]) }
            self.inner = MemoryChunks([])
            self.failAfter = failAfter
        }

        mutating func next() throws -> [UInt8]? {
            if self.given == self.failAfter { throw Killed() }
            guard self.given < self.chunks.count else { return nil }
            defer { self.given += 1 }
            return self.chunks[self.given]
        }
    }

    @Test(arguments: TestBackend.available)
    func aRunCutShortEndsInTheSameStateAsAnUninterruptedOne(backend: TestBackend) async throws {
        let uninterrupted = try await TestDatabase.withStore(backend) { store in
            let summary = try await Self.ingest(try await Self.pipeline(store), Self.file)
            return (summary.counts, try await store.eventCount(), try await store.latestEvents(limit: 100).map(\.count).sorted())
        }
        for failAfter in [1, 3, 6, 9] {
            try await TestDatabase.withStore(backend) { store in
                let pipeline = try await Self.pipeline(store)
                var opened = 0
                await #expect(throws: FailingChunks.Killed.self) {
                    _ = try await pipeline.ingest(
                        fileName: "2024-05-01-scan_dns-uy.csv", format: .shadowserver(reportType: nil), source: "test",
                        open: {
                            opened += 1
                            // The first opening fingerprints the file whole; the second is cut short.
                            return opened == 1 ? MemoryChunks(Array(Self.file.utf8)) : FailingChunks(Self.file, chunkSize: 97, failAfter: failAfter)
                        })
                }
                let resumed = try await Self.ingest(pipeline, Self.file)
                #expect(resumed.counts == uninterrupted.0, "cut after \(failAfter) chunks")
                #expect(try await store.eventCount() == uninterrupted.1)
                #expect(try await store.latestEvents(limit: 100).map(\.count).sorted() == uninterrupted.2)
            }
        }
    }

    /// Two processes on one database: a run is read by one at a time. While the first holds the run's
    /// lease the second is told so; once the lease has run out the second goes on from the checkpoint
    /// (a takeover, counted), and a batch the first still tries to store is refused whole, so nothing
    /// is counted twice. The run ends as an uninterrupted one.
    @Test(arguments: TestBackend.available)
    func aRunIsReadByOneProcessAtATime(backend: TestBackend) async throws {
        let whole = try await TestDatabase.withStore(backend) { store in
            let summary = try await Self.ingest(try await Self.pipeline(store), Self.file)
            return (summary.counts, try await store.eventCount())
        }
        try await TestDatabase.withStore(backend) { store in
            _ = try await Self.pipeline(store)
            let clock = TestClock(start: Date(timeIntervalSince1970: 1_714_557_600))
            let constituency = ConstituencyService(store: store)
            let first = IngestPipeline(store: store, constituency: constituency, mapping: Self.mapping, batchSize: 3, now: { clock.now }, leaseSeconds: 60)
            let second = IngestPipeline(store: store, constituency: constituency, mapping: Self.mapping, batchSize: 3, now: { clock.now }, leaseSeconds: 60)
            #expect(first.leaseOwner != second.leaseOwner)
            let fingerprint = try IngestPipeline.fingerprint(MemoryChunks(Array(Self.file.utf8)))
            let name = "2024-05-01-scan_dns-uy.csv"
            let (run, done) = try await first.begin(
                fileName: name, fingerprint: fingerprint, format: .shadowserver(reportType: nil), feed: nil, source: "test", actor: nil)
            #expect(!done && run.leaseOwner == first.leaseOwner)

            await #expect(throws: IngestError.self) { _ = try await Self.ingest(second, Self.file) }
            do { _ = try await Self.ingest(second, Self.file) } catch let error as IngestError {
                #expect(error.description.contains("is being read by another process"), "\(error)")
            }

            // The first stops answering; after its lease, the second takes the run over.
            clock.advance(61)
            let resumed = try await Self.ingest(second, Self.file)
            #expect(resumed.counts == whole.0)
            #expect(try await store.eventCount() == whole.1)
            let after = try #require(try await store.ingestRun(id: run.id))
            #expect(after.takeovers == 1)
            #expect(after.leaseOwner == nil && after.finishedAt != nil)

            // The first wakes up and tries to store what it had read: refused, nothing changes.
            await #expect(throws: StoreError.self) {
                _ = try await first.process(run, format: .shadowserver(reportType: nil), feed: nil, open: { MemoryChunks(Array(Self.file.utf8)) })
            }
            #expect(try await store.ingestRun(id: run.id)?.counts == whole.0)
            #expect(try await store.eventCount() == whole.1)
        }
    }

    /// Two processes (two stores on one database) ingesting different files that share events, at once:
    /// an event both store at the same moment is counted once (the batch that meets the other's row is
    /// stored again, that row now a duplicate); both runs finish and reconcile.
    @Test(arguments: TestBackend.available)
    func twoIngestsOfOverlappingFilesAtOnceCountEachEventOnce(backend: TestBackend) async throws {
        try await Self.withTwoStores(backend) { first, second in
            _ = try await Self.pipeline(first)
            var rows = ""
            for i in 0..<3000 { rows += Self.row(i, "198.51.100.\(i % 250 + 1)", asn: 64500 + i / 60) }
            let files = [Self.header + rows, Self.header + rows + Self.row(0, "192.0.2.1")]
            let summaries = try await withThrowingTaskGroup(of: IngestSummary.self) { group in
                for (index, store) in [first, second].enumerated() {
                    let text = files[index]
                    group.addTask {
                        let pipeline = IngestPipeline(
                            store: store, constituency: ConstituencyService(store: store), mapping: Self.mapping, batchSize: 200)
                        return try await pipeline.ingest(
                            fileName: "2024-05-01-scan_dns-\(index).csv", format: .shadowserver(reportType: nil), source: "test",
                            open: { MemoryChunks(Array(text.utf8)) })
                    }
                }
                var all: [IngestSummary] = []
                for try await summary in group { all.append(summary) }
                return all
            }
            let stored = try await first.eventCount()
            let distinct = Set((0..<3000).map { "\($0 % 250 + 1)/\($0 % 60)/\($0 / 60)" }).count + 1
            #expect(stored == distinct)
            #expect(summaries.map(\.counts.stored).reduce(0, +) == stored, "each event stored by one of the two")
            #expect(summaries.allSatisfy { $0.counts.reconciles })
            #expect(try await first.latestEvents(limit: 10_000).map(\.count).reduce(0, +) == 6001)
        }
    }

    /// Two stores on one fresh database, as two processes have.
    static func withTwoStores(_ backend: TestBackend, _ body: (any Store, any Store) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-two-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let location = DatabaseLocation.sqlite(path: directory.appendingPathComponent("test.db").path)
            let first = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await first.withRunning { a in
                let second = try await SQLStore.open(location, logger: TestDatabase.logger)
                try await second.withRunning { b in try await body(a, b) }
            }
        case .postgres:
            try await TestDatabase.withPostgresDatabase { location in
                let first = try await SQLStore.open(location, logger: TestDatabase.logger)
                try await first.withRunning(connectTimeout: TestDatabase.connectTimeout) { a in
                    let second = try await SQLStore.open(location, logger: TestDatabase.logger)
                    try await second.withRunning(connectTimeout: TestDatabase.connectTimeout) { b in try await body(a, b) }
                }
            }
        }
    }

    /// A reader that stops on an error gives its lease back: the next attempt resumes at once and is not
    /// a takeover; a limit on takeovers (the inbox's) refuses a file whose readers stopped too often.
    @Test(arguments: TestBackend.available)
    func aLeaseIsGivenBackOnAnErrorAndTakeoversAreLimited(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await Self.pipeline(store)
            var opened = 0
            await #expect(throws: FailingChunks.Killed.self) {
                _ = try await pipeline.ingest(
                    fileName: "2024-05-01-scan_dns-uy.csv", format: .shadowserver(reportType: nil), source: "test",
                    open: {
                        opened += 1
                        return opened == 1 ? MemoryChunks(Array(Self.file.utf8)) : FailingChunks(Self.file, chunkSize: 97, failAfter: 9)
                    })
            }
            let stopped = try #require(try await store.ingestRuns(limit: 1).first)
            #expect(stopped.leaseOwner == nil, "given back")
            #expect(stopped.checkpointLine > 0)
            let other = try await Self.pipeline(store)
            #expect(try await Self.ingest(other, Self.file).resumedAfterLine > 0)
            #expect(try await store.ingestRun(id: stopped.id)?.takeovers == 0)

            // A run left with a lease by a process of this machine that no longer exists.
            let fingerprint = try IngestPipeline.fingerprint(MemoryChunks(Array("x\n".utf8)))
            let gone = "\(IngestLease.hostName)/2147483646/dead"
            for takeovers in [0, 1] {
                let file = "x\(takeovers).jsonl"
                try await store.insertIngestRun(
                    IngestRun(
                        fileName: file, fileHash: fingerprint + "\(takeovers)", format: "intelmq", feed: "IntelMQ", startedAt: Date(), source: "test",
                        leaseOwner: gone, leaseUntil: Date().addingTimeInterval(3600), takeovers: takeovers))
            }
            #expect(IngestLease.ownerIsGone(gone))
            let leftAlone = try #require(try await store.ingestRuns(limit: 10).first { $0.fileName == "x0.jsonl" })
            let claimed = try await other.claim(leftAlone, takeoverLimit: 1)
            #expect(claimed.run.takeovers == 1 && claimed.run.leaseOwner == other.leaseOwner)
            let twice = try #require(try await store.ingestRuns(limit: 10).first { $0.fileName == "x1.jsonl" })
            await #expect(throws: IngestError.stoppedRepeatedly(file: "x1.jsonl", times: 2)) { _ = try await other.claim(twice, takeoverLimit: 1) }
            #expect(try await other.claim(twice, takeoverLimit: nil).run.takeovers == 2, "the command line has no limit")
        }
    }

    @Test func anUnknownReportIsQuarantinedWhole() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let summary = try await Self.ingest(try await Self.pipeline(store), Self.file, name: "2024-05-01-mystery_report-uy.csv")
            #expect(summary.counts == IngestCounts(read: 20, stored: 0, duplicates: 0, quarantined: 20))
            #expect(try await store.quarantined(runID: summary.run, limit: 1).first?.reason.contains("unknown Shadowserver report type 'mystery_report'") == true)
        }
    }

    /// After the mapping learns a report type, re-processing reads the quarantined rows: events are
    /// stored (repeats counted), rows that are still bad stay with today's reason, the run still
    /// reconciles, and doing it twice changes nothing more.
    @Test(arguments: TestBackend.available)
    func quarantinedRowsAreReadAgainOnceTheMappingKnowsTheReport(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let before = try await Self.pipeline(store)
            let summary = try await Self.ingest(before, Self.file, name: "2024-05-01-mystery_report-uy.csv")
            #expect(summary.counts == IngestCounts(read: 20, stored: 0, duplicates: 0, quarantined: 20))
            let unchanged = try await before.reprocess(runID: summary.run)
            #expect(unchanged.resolved == 0 && unchanged.stillQuarantined == 20 && unchanged.counts == summary.counts)

            let site = FileManager.default.temporaryDirectory.appendingPathComponent("site-mapping-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: site) }
            try Data(
                #"{"reports": {"mystery_report": {"feed": "Mystery", "constant": {"classification.type": "vulnerable-system"}, "required": {"timestamp": "time.source", "ip": "source.ip"}, "optional": {"port": "source.port"}, "severity": "low"}}}"#
                    .utf8
            ).write(to: site)
            let mapping = try Self.mapping.adding(contentsOf: site)
            let after = IngestPipeline(store: store, constituency: ConstituencyService(store: store), mapping: mapping, batchSize: 3)
            let fixed = try await after.reprocess(runID: summary.run)
            #expect(fixed.examined == 20)
            #expect(fixed.resolved == 18)
            #expect(fixed.stillQuarantined == 2)
            #expect(fixed.counts == IngestCounts(read: 20, stored: 14, duplicates: 4, quarantined: 2))
            #expect(fixed.counts.reconciles)
            let left = try await store.quarantined(runID: summary.run, limit: 10)
            #expect(left.map(\.line) == [20, 21])
            #expect(left.first?.reason.hasPrefix("column ip: source.ip 'not-an-ip': not an IP address") == true, "today's reason, not the old one")
            #expect(try await store.events(matching: EventQuery(feed: "Mystery")).count == 14)
            #expect(try await store.ingestRun(id: summary.run)?.counts == fixed.counts)
            let again = try await after.reprocess(runID: summary.run)
            #expect(again.resolved == 0 && again.counts == fixed.counts)
        }
    }

    @Test func reprocessingNeedsAFinishedRunAndAMappingForCSV() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let pipeline = try await Self.pipeline(store)
            await #expect(throws: IngestError.unknownRun(UUID(uuidString: "00000000-0000-0000-0000-000000000001")!)) {
                try await pipeline.reprocess(runID: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!)
            }
            let unfinished = IngestRun(fileName: "a.csv", fileHash: "x", format: "shadowserver:scan_dns", feed: "f", startedAt: Date(), source: "test")
            try await store.insertIngestRun(unfinished)
            await #expect(throws: IngestError.runNotFinished("a.csv")) { try await pipeline.reprocess(runID: unfinished.id) }
            let csv = IngestRun(fileName: "b.csv", fileHash: "y", format: "csv:Mine", feed: "Mine", startedAt: Date(), finishedAt: Date(), source: "test")
            try await store.insertIngestRun(csv)
            await #expect(throws: IngestError.needsFormat("b.csv was read with a CSV mapping file: name it again with csv:MAPPING.json")) {
                try await pipeline.reprocess(runID: csv.id)
            }
        }
    }

    /// IntelMQ lines come back as lines; one that is still bad keeps its place.
    @Test func intelMQLinesAreReadAgain() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let pipeline = try await Self.pipeline(store)
            let text = #"{"source.ip":"198.51.100.1","classification.type":"phishing"}"# + "\n" + #"{"source.ip":"198.51.100.300"}"# + "\n"
            let summary = try await pipeline.ingest(fileName: "x.jsonl", format: .intelmq, source: "test", open: { MemoryChunks(Array(text.utf8)) })
            #expect(summary.counts == IngestCounts(read: 2, stored: 1, duplicates: 0, quarantined: 1))
            let result = try await pipeline.reprocess(runID: summary.run)
            #expect(result.stillQuarantined == 1 && result.counts == summary.counts)
            #expect(try await store.quarantined(runID: summary.run, limit: 5).first?.reason == "source.ip '198.51.100.300': not an IP address")
        }
    }

    /// Fields kept in columns of their own come back exactly, with their types, on every backend.
    @Test(arguments: TestBackend.available)
    func storedEventsReadBackAsTheyWereIngested(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await Self.pipeline(store)
            let lines = [
                #"{"classification.identifier":"x-1","classification.taxonomy":"fraud","classification.type":"phishing","extra.n":4.5,"feed.name":"F","raw":"AP8=","severity":"high","source.asn":64501,"source.ip":"2001:db8::1","time.observation":"2024-05-01T00:00:00+00:00","time.source":"2024-05-01T10:11:12+00:00","tlp":"TLP:RED"}"#,
                #"{"classification.taxonomy":"other","classification.type":"undetermined","source.fqdn":"a.example","time.observation":"2024-05-01T00:00:00+00:00"}"#,
            ]
            let text = lines.joined(separator: "\n") + "\n"
            _ = try await pipeline.ingest(fileName: "x.jsonl", format: .intelmq, source: "test", open: { MemoryChunks(Array(text.utf8)) })
            var parser = IntelMQParser(observedAt: Date())
            var parsed: [String] = []
            parser.feed(Array(text.utf8)) { if case .event(let event, _) = $0 { parsed.append(event.json()) } }
            #expect(parsed.count == 2)
            let stored = try await store.events(matching: EventQuery(limit: 10)).map { $0.event.json() }.sorted()
            #expect(stored == parsed.sorted())
            #expect(stored.contains(lines[0]), "the full event, raw and all, unchanged")
        }
    }
}
