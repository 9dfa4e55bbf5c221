import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

@Suite struct ShadowserverTests {
    static let observed = Date(timeIntervalSince1970: 1_714_543_331)  // 2024-05-01T06:02:11Z
    static let mapping: ShadowserverMapping = {
        do { return try ShadowserverMapping.bundled() } catch { fatalError("\(error)") }
    }()

    static func parse(_ text: String, type: String, chunk: Int = 4096) -> (events: [(Int, Event)], rejected: [Rejection]) {
        self.parse(Array(text.utf8), type: type, chunk: chunk)
    }

    static func parse(_ bytes: [UInt8], type: String, chunk: Int = 4096) -> (events: [(Int, Event)], rejected: [Rejection]) {
        var parser = ShadowserverParser(mapping: Self.mapping, reportType: type, observedAt: Self.observed)
        var events: [(Int, Event)] = []
        var rejected: [Rejection] = []
        let collect: (ParsedRecord) -> Void = { record in
            switch record {
            case .event(let event, let line): events.append((line, event))
            case .rejected(let rejection): rejected.append(rejection)
            }
        }
        var index = 0
        while index < bytes.count {
            parser.feed(bytes[index..<min(index + chunk, bytes.count)], collect)
            index += chunk
        }
        parser.finish(collect)
        return (events, rejected)
    }

    @Test func reportTypesComeFromFileNamesWithOldNamesMapped() {
        #expect(Self.mapping.reportType(fileName: "2024-07-04-scan_dns-uy-sample-asn.csv") == "scan_dns")
        #expect(Self.mapping.reportType(fileName: "/inbox/2024-07-04-dns_openresolver-123-sample-asn.csv") == "scan_dns")
        #expect(Self.mapping.reportType(fileName: "2024-07-04-event4_sinkhole_http-uy.csv") == "event4_sinkhole_http")
        #expect(Self.mapping.reportType(fileName: "scan_ntp-uy.csv") == "scan_ntp")
        #expect(Self.mapping.reportType(fileName: "2024-07-04-brand_new_report-uy.csv") == "brand_new_report")
        #expect(Self.mapping.reportType(fileName: "report.txt") == nil)
        for type in ["scan_dns", "scan_ssl", "scan_ntp", "scan_snmp", "event4_sinkhole", "event4_sinkhole_http", "event4_honeypot_brute_force",
                     "blocklist", "device_id", "scan6_dns", "event6_sinkhole"] {
            #expect(Self.mapping.reports[type] != nil, "\(type)")
        }
    }

    /// Golden: the reference's synthetic scan_dns row becomes exactly this IntelMQ event (numbers in extra
    /// typed as IntelMQ types them: the schema converts naics and min_amplification).
    @Test func scanDNSRowBecomesTheExpectedEvent() throws {
        let csv = """
            "timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","dns_version","min_amplification"
            "2024-05-01 00:14:34","medium","198.51.100.179","udp",53,"host-179.example.net","openresolver",64500,"AT","WIEN","VIENNA",517311,"rdns","Communications, Service Provider, and Hosting Service","dnsmasq-2.66","4.6190"

            """
        let (events, rejected) = Self.parse(csv, type: "scan_dns")
        #expect(rejected.isEmpty)
        let event = try #require(events.first?.1)
        #expect(events.first?.0 == 2)
        let raw = Data(#""2024-05-01 00:14:34","medium","198.51.100.179","udp",53,"host-179.example.net","openresolver",64500,"AT","WIEN","VIENNA",517311,"rdns","Communications, Service Provider, and Hosting Service","dnsmasq-2.66","4.6190""#.utf8).base64EncodedString()
        let expected = """
            {"classification.identifier":"dns-open-resolver","classification.taxonomy":"vulnerable","classification.type":"vulnerable-system",\
            "extra.dns_version":"dnsmasq-2.66","extra.hostname_source":"rdns","extra.min_amplification":4.619,"extra.naics":517311,\
            "extra.sector":"Communications, Service Provider, and Hosting Service","extra.tag":"openresolver",\
            "feed.documentation":"https://www.shadowserver.org/what-we-do/network-reporting/dns-open-resolvers-report/","feed.name":"DNS-Open-Resolvers",\
            "feed.provider":"Shadowserver","protocol.application":"dns","protocol.transport":"udp","raw":"\(raw)","severity":"medium",\
            "source.asn":64500,"source.geolocation.cc":"AT","source.geolocation.city":"VIENNA","source.geolocation.region":"WIEN",\
            "source.ip":"198.51.100.179","source.port":53,"source.reverse_dns":"host-179.example.net","time.observation":"2024-05-01T06:02:11+00:00",\
            "time.source":"2024-05-01T00:14:34+00:00","tlp":"TLP:AMBER"}
            """
        #expect(event.json() == expected)
    }

    /// Golden: a sinkhole row, with empty cells and a destination.
    @Test func sinkholeRowBecomesTheExpectedEvent() throws {
        let csv = """
            "timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","ssl_cipher","ssl_servername"
            "2024-05-01 03:00:00","tcp","192.0.2.44",49152,64501,"AT","STEIERMARK","GRAZ",,,,,,,"critical","203.0.113.10",80,64510,"US","CALIFORNIA","FREMONT",,518210,,,"andromeda","andromeda",,,,,,
            """
        let (events, rejected) = Self.parse(csv, type: "event4_sinkhole")
        #expect(rejected.isEmpty)
        let event = try #require(events.first?.1)
        #expect(event["source.ip"] == .string("192.0.2.44"))
        #expect(event["destination.ip"] == .string("203.0.113.10"))
        #expect(event["destination.asn"] == .integer(64510))
        #expect(event["classification.taxonomy"] == .string("malicious-code"))
        #expect(event["classification.type"] == .string("infected-system"))
        #expect(event["classification.identifier"] == .string("andromeda"))
        #expect(event["malware.name"] == .string("andromeda"))
        #expect(event["severity"] == .string("critical"))
        #expect(event["extra.destination.naics"] == .integer(518210))
        #expect(event["feed.documentation"] != nil)
        #expect(event["source.reverse_dns"] == nil, "empty cells leave fields unset")
    }

    @Test(arguments: [
        ("scan_ssl", #""timestamp","ip","port","ssl_poodle","subject_common_name""# + "\n" + #""2024-05-02 10:00:00","192.0.2.7",443,"Y","www.example.org""#,
         "other", "extra.ssl_poodle"),
        ("scan_ntp", #""timestamp","ip","port","version""# + "\n" + #""2024-05-02 10:00:00","192.0.2.8",123,4"#, "vulnerable-system", "extra.version"),
        ("scan_snmp", #""timestamp","ip","port","sysdesc""# + "\n" + #""2024-05-02 10:00:00","192.0.2.9",161,"Linux""#, "vulnerable-system",
         "extra.sysdesc"),
        ("event4_sinkhole_http", #""timestamp","src_ip","http_host","http_url","http_agent""# + "\n" + #""2024-05-02 10:00:00","192.0.2.10","CnC.Example.","/gate.php","Mozilla""#,
         "infected-system", "extra.http_agent"),
        ("event4_honeypot_brute_force", #""timestamp","src_ip","service","username""# + "\n" + #""2024-05-02 10:00:00","192.0.2.11","ssh","root""#,
         "brute-force", "destination.account"),
        ("blocklist", #""timestamp","ip","source","reason""# + "\n" + #""2024-05-02 10:00:00","192.0.2.12","spamhaus","spam source""#, "blacklist",
         "extra.reason"),
        ("device_id", #""timestamp","ip","device_vendor","device_type""# + "\n" + #""2024-05-02 10:00:00","192.0.2.13","MikroTik","router""#, "undetermined",
         "product.vendor"),
        ("scan6_dns", #""timestamp","ip","port""# + "\n" + #""2024-05-02 10:00:00","2001:DB8::53",53"#, "vulnerable-system", "source.port"),
        ("event6_sinkhole", #""timestamp","src_ip","infection""# + "\n" + #""2024-05-02 10:00:00","2001:db8::66","mirai""#, "infected-system",
         "classification.identifier"),
    ])
    func everyListedReportTypeIsRead(type: String, csv: String, classification: String, key: String) throws {
        let (events, rejected) = Self.parse(csv, type: type)
        #expect(rejected.isEmpty, "\(rejected)")
        let event = try #require(events.first?.1)
        #expect(event["classification.type"] == .string(classification))
        #expect(event[key] != nil, "\(event.json())")
        #expect(event["feed.name"] == .string(Self.mapping.reports[type]?.feed ?? ""))
    }

    @Test func anUnknownReportIsQuarantinedWholeNotGuessed() {
        let (events, rejected) = Self.parse("\"timestamp\",\"ip\"\n\"2024-05-02 10:00:00\",\"192.0.2.1\"\n\"2024-05-02 10:00:01\",\"192.0.2.2\"\n", type: "brand_new_report")
        #expect(events.isEmpty)
        #expect(rejected.map(\.line) == [2, 3])
        #expect(rejected.first?.reason.hasPrefix("unknown Shadowserver report type 'brand_new_report'") == true, "\(rejected)")
        #expect(rejected.first?.raw == "\"2024-05-02 10:00:00\",\"192.0.2.1\"")
    }

    /// Every data line of a malformed corpus is accounted for: an event or a rejection with its reason.
    @Test(arguments: [1, 7, 4096])
    func aMalformedCorpusIsAccountedLineByLine(chunk: Int) throws {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array("\"timestamp\",\"ip\",\"port\",\"asn\",\"tag\"\r\n".utf8)  // 1: header, with a BOM and CRLF
        bytes += Array("\"2024-05-01 00:00:01\",\"192.0.2.1\",53,64500,\"ok\"\r\n".utf8)  // 2: fine
        bytes += Array("\"2024-05-01 00:00:02\",\"192.0.2.2\",53\r\n".utf8)  // 3: short: the missing cells are empty
        bytes += Array("\"2024-05-01 00:00:03\",\"192.0.2.3\",53,64500,\"x\",\"extra\"\n".utf8)  // 4: long
        bytes += Array("\"2024-05-01 00:00:04\",\"192.0.2.300\",53,64500,\"bad ip\"\n".utf8)  // 5: bad IP
        bytes += Array("\"yesterday\",\"192.0.2.5\",53,64500,\"bad time\"\n".utf8)  // 6: bad time
        bytes += Array("\"2024-05-01 00:00:07\",\"192.0.2.7\",53,64500,\"caf".utf8) + [0xE9] + Array("\"\n".utf8)  // 7: bad UTF-8
        bytes += Array("\"2024-05-01 00:00:08\",\"192.0.2.8\",53,0,\"quoted, comma\nand line\"\n".utf8)  // 8-9: quoted comma and newline, ASN 0
        bytes += Array("\"2024-05-01 00:00:10\",\"192.0.2.10\",53,\"sixty\",\"bad asn\"\n".utf8)  // 10: bad optional AS → extra
        bytes += Array("\"2024-05-01 00:00:11\",\"192.0.2.11\",53,64500,\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 10_000_000)
            + Array("\"\n".utf8)  // 11: a 10 MB field
        bytes += Array("\"2024-05-01 00:00:12\",\"\",53,64500,\"no ip\"\n".utf8)  // 12: empty required
        bytes += Array("\"2024-05-01 00:00:13\",\"192.0.2.13\",53,64500,\"last, no newline\"".utf8)  // 13
        let (events, rejected) = Self.parse(bytes, type: "scan_dns", chunk: chunk == 1 ? 65536 : chunk)
        #expect(events.map(\.0) == [2, 3, 8, 10, 13])
        #expect(rejected.map(\.line) == [4, 5, 6, 7, 11, 12])
        let reasons = Dictionary(uniqueKeysWithValues: rejected.map { ($0.line, $0.reason) })
        #expect(reasons[4] == "expected 5 fields as in the header, found 6")
        #expect(reasons[5] == "column ip: '192.0.2.300' is not an IP address")
        #expect(reasons[6]?.hasPrefix("column timestamp: 'yesterday' is not a time") == true)
        #expect(reasons[7] == "field 5: not valid UTF-8")
        #expect(reasons[11] == "the record is longer than 1048576 bytes")
        #expect(reasons[12] == "column ip: is empty")
        #expect(rejected.first { $0.line == 11 }.map { $0.raw.utf8.count } == 1_048_576, "the raw text kept is bounded")
        let quoted = try #require(events.first { $0.0 == 8 }?.1)
        #expect(quoted["extra.tag"] == .string("quoted, comma\nand line"))
        #expect(quoted["source.asn"] == nil, "ASN 0 means none")
        #expect(events.first { $0.0 == 10 }?.1["extra.asn"] == .string("sixty"), "an invalid optional value is kept under extra")
    }

    @Test func headerOnlyAndEmptyFilesHaveNoRecords() {
        #expect(Self.parse("\"timestamp\",\"ip\"\n", type: "scan_dns").events.isEmpty)
        #expect(Self.parse("\"timestamp\",\"ip\"\n", type: "scan_dns").rejected.isEmpty)
        #expect(Self.parse("", type: "scan_dns").events.isEmpty)
        let missing = Self.parse("\"timestamp\",\"address\"\n\"2024-05-01 00:00:00\",\"192.0.2.1\"\n", type: "scan_dns")
        #expect(missing.rejected.first?.reason == "the header of this scan_dns report has no 'ip' column")
    }

    @Test func aBadMappingFileIsRefusedWithItsReason() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("site.json")
        try Data(#"{"reports":{"x":{"feed":"X","constant":{},"required":{"ip":"source.ipaddr"},"optional":{},"severity":"low"}}}"#.utf8).write(to: file)
        #expect(throws: FeedError.badMapping("site.json", "report x, column ip: 'source.ipaddr' is not a harmonization key")) {
            try Self.mapping.adding(contentsOf: file)
        }
    }
}
