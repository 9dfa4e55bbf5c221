import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

/// Shadowserver's own schema, read natively: every report type it documents (and the retired ones) reads.
@Suite struct ShadowserverSchemaTests {
    static let mapping = ShadowserverTests.mapping

    /// A plausible cell for a key, the way Shadowserver writes it.
    static func cell(for field: ShadowserverMapping.Field, report: String) -> String {
        let v6 = report.contains("6_") || report.hasSuffix("6")
        switch field.key {
        case "time.source": return "2024-05-01 00:14:34"
        case "source.ip", "destination.ip", "source.network":
            return field.column.hasPrefix("dst") || field.column.hasPrefix("cc") ? (v6 ? "2001:db8::80" : "203.0.113.80") : (v6 ? "2001:db8::7" : "192.0.2.7")
        case "source.port", "destination.port": return "443"
        case "source.asn", "destination.asn": return "64500"
        case "source.geolocation.cc", "destination.geolocation.cc": return "AT"
        case "source.fqdn", "destination.fqdn", "source.reverse_dns", "destination.reverse_dns": return "host.example.net"
        case "source.url", "destination.url": return "/gate.php"
        case "protocol.transport": return "tcp"
        case "severity": return "high"
        case "malware.hash.md5": return "d41d8cd98f00b204e9800998ecf8427e"
        case "malware.hash.sha1": return "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        case "malware.hash.sha256": return "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        default: break
        }
        switch field.conversion {
        case .convertInt?, .invalidateZero?: return "7"
        case .convertFloat?: return "1.5"
        case .convertBool?: return "Y"
        case .convertDate?, .convertDateUTC?: return "2024-05-01 00:00:00"
        case .validateFQDN?: return "host.example.net"
        case .validateIP?: return "198.51.100.9"
        case .validateNetwork?: return "198.51.100.0/24"
        default: return field.column == "tag" ? "cve-2024-1234;openresolver" : "andromeda"
        }
    }

    /// A one-row report with every column the schema names, in its order.
    static func sample(_ report: ShadowserverMapping.Report) -> String {
        var columns: [String] = []
        var values: [String] = []
        for field in report.required + report.optional where !columns.contains(field.column) {
            columns.append(field.column)
            values.append(Self.cell(for: field, report: report.name))
        }
        func quoted(_ items: [String]) -> String { items.map { "\"\($0)\"" }.joined(separator: ",") }
        return quoted(columns) + "\n" + quoted(values) + "\n"
    }

    @Test func theBundledSchemaIsShadowserversWithTheRetiredTypes() {
        #expect(Self.mapping.revision == "2026-03-24T15:31:20Z")
        #expect(Self.mapping.reports.count == 189, "170 current, 19 retired: \(Self.mapping.reports.count)")
        #expect(Self.mapping.warnings.isEmpty, "\(Self.mapping.warnings)")
        #expect(Self.mapping.reports.values.filter { !$0.retired }.count == 170)
        for retired in ["botnet_drone", "microsoft_sinkhole", "darknet", "ddos_amplification", "sinkhole_http_drone", "drone_brute_force",
                        "caida_ip_spoofer", "hp_http_scan", "hp_ics_scan", "sinkhole6_http", "sinkhole_dns", "phish_url"] {
            #expect(Self.mapping.reports[retired]?.retired == true, "\(retired)")
        }
        for (alias, target) in Self.mapping.aliases { #expect(Self.mapping.reports[target] != nil, "\(alias) → \(target)") }
    }

    /// The issue's test: each documented report type has a mapping and a classification, and its rows
    /// become events (none quarantined).
    @Test func everyDocumentedReportTypeReadsItsRows() throws {
        var failures: [String] = []
        for (type, report) in Self.mapping.reports.sorted(by: { $0.key < $1.key }) {
            let (events, rejected) = ShadowserverTests.parse(Self.sample(report), type: type)
            guard let event = events.first?.1, rejected.isEmpty else {
                failures.append("\(type): \(rejected.map(\.reason))")
                continue
            }
            let taxonomy = event["classification.taxonomy"]?.description
            let kind = event["classification.type"]?.description
            if report.constant["classification.type"] != nil {
                // As stated, or (outdated_dnssec_key's "availability"/"other") with the taxonomy RSIT gives the type.
                let expected = Taxonomy.classify(taxonomy: report.constant["classification.taxonomy"], type: report.constant["classification.type"])
                if taxonomy != expected.taxonomy || kind != expected.type { failures.append("\(type): \(taxonomy ?? "-")/\(kind ?? "-")") }
            }
            if taxonomy == nil || kind == nil { failures.append("\(type): no classification") }
            if event["feed.name"] != .string(report.feed) { failures.append("\(type): feed \(event["feed.name"]?.description ?? "-")") }
            if event["time.source"] != .string("2024-05-01T00:14:34+00:00") { failures.append("\(type): time") }
            let columns = Set((report.required + report.optional).map(\.column))
            if columns.contains("infection") || columns.contains("family"),
                (report.required + report.optional).contains(where: { $0.key == "malware.name" }), event["malware.name"] == nil
            {
                failures.append("\(type): malware.name lost")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func aBlocklistedNetworkBecomesASourceNetwork() throws {
        let csv = """
            "timestamp","ip","hostname","source","reason","asn","geo","region","city","naics","sic","sector"
            "2019-09-04 07:00:19","198.123.245.0/24",,"Alien Vault","Malicious Host AA",5678,"XX","LOCATION","LOCATION",517311,0,0
            "2019-09-04 07:00:20","198.123.245.134",host.local,"Alien Vault","Malicious Host AA",5678,"XX","LOCATION","LOCATION",517311,0,0

            """
        let (events, rejected) = ShadowserverTests.parse(csv, type: "blocklist")
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(events.count == 2)
        #expect(events[0].1["source.network"] == .string("198.123.245.0/24"))
        #expect(events[0].1["source.ip"] == nil)
        #expect(events[0].1["extra.ip"] == nil, "the network is not also kept as an extra")
        #expect(events[1].1["source.ip"] == .string("198.123.245.134"))
        #expect(events[1].1["source.network"] == nil)
        #expect(events[1].1["extra.source_name"] == .string("Alien Vault"))
    }

    /// The old Sinkhole-HTTP-Drone report names its address `ip`: it has its own (retired) mapping now.
    @Test func theOldSinkholeHTTPDroneReportReads() throws {
        let csv = """
            "timestamp","ip","asn","geo","url","type","http_agent","tor","src_port","p0f_genre","p0f_detail","hostname","dst_port","http_host","http_referer","http_referer_ip","http_referer_asn","http_referer_geo","dst_ip","dst_asn","dst_geo","naics","sic","http_referer_naics","http_referer_sic","sector","ssl_cipher","application","version"
            "2018-03-21 00:00:07","198.51.100.6",6830,"AT","GET /search?q=0 HTTP/1.0","downadup","Mozilla/4.0",,49121,,,"198-51-100-6.example.net",80,"cnc.example.org",,,,,"203.0.113.182",393667,"US",518210,737415,,,,,,

            """
        #expect(Self.mapping.reportType(fileName: "2018-03-21-sinkhole_http_drone-at-geo.csv") == "sinkhole_http_drone")
        let (events, rejected) = ShadowserverTests.parse(csv, type: "sinkhole_http_drone")
        #expect(rejected.isEmpty, "\(rejected)")
        let event = try #require(events.first?.1)
        #expect(event["source.ip"] == .string("198.51.100.6"))
        #expect(event["malware.name"] == .string("downadup"))
        #expect(event["destination.ip"] == .string("203.0.113.182"))
        #expect(event["classification.type"] == .string("infected-system"))
        #expect(event["destination.url"] == .string("http://cnc.example.org/search?q=0"), "\(event.json())")
    }

    @Test(arguments: [
        ("botnet_drone", #""timestamp","ip","port","asn","geo","region","city","hostname","type","infection","url","agent","cc_ip","cc_port","cc_asn","cc_geo","cc_dns","count","proxy","application","p0f_genre","p0f_detail","machine_name","id","naics","sic","cc_naics","cc_sic","sector","cc_sector","ssl_cipher","family","tag","public_source""#
            + "\n" + #""2011-04-23 00:00:05","192.0.2.130",3218,0,"AU","VICTORIA","MELBOURNE",,"tcp","dorkbot",,,"203.0.113.166",80,8560,"US",,1,,,"Windows","2000 SP4, XP SP1+",,,541690,874899,0,0,,,,"dorkbot","sinkhole","AnubisNetworks""#),
        ("microsoft_sinkhole", #""timestamp","ip","asn","geo","url","type","http_agent","tor","src_port","p0f_genre","p0f_detail","hostname","dst_port","http_host","http_referer","http_referer_ip","http_referer_asn","http_referer_geo","dst_ip","dst_asn","dst_geo","naics","sic","http_referer_naics","http_referer_sic","sector","ssl_cipher","application","version""#
            + "\n" + #""2014-09-12 00:00:00","192.0.2.138",6805,"DE",,"b68-zeroaccess-1-64bit",,,64742,,,,16470,,,,,,"203.0.113.224",8075,"SG",0,0,,,,,,"#),
        ("darknet", #""timestamp","ip","port","asn","geo","region","city","hostname","type","dst_ip","dst_port","dst_asn","dst_geo","count","naics","sic","dst_naics","dst_sic","sector","dst_sector","family","tag","public_source""#
            + "\n" + #""2018-11-19 00:00:17","198.51.100.47",,64496,"AT","WIEN","VIENNA","198-51-100-47.example.net",,,8001,,,1,518210,737415,,,,,,"mirai-like","sissden""#),
        ("ddos_amplification", #""timestamp","ip","protocol","dst_port","tag","src_port","hostname","asn","geo","region","city","naics","sic","request","count","bytes","sensor_geo","sector","end_time","public_source""#
            + "\n" + #""2018-10-09 06:00:06","192.0.2.10","udp","13","daytime","53","192-0-2-10.example.net","44395","AM","YEREVAN","YEREVAN","0","0","DAYTIME Request","15","2220","RU","IT1","2018-10-09 06:10:01","SSS""#),
    ])
    func retiredReportsRead(type: String, csv: String) throws {
        let (events, rejected) = ShadowserverTests.parse(csv, type: type)
        #expect(rejected.isEmpty, "\(rejected)")
        let event = try #require(events.first?.1)
        #expect(event["source.ip"] != nil)
        #expect(event["classification.taxonomy"] != nil)
    }

    static func schema(_ text: String) throws(FeedError) -> ShadowserverSchema.Contents {
        try ShadowserverSchema.read(Data(text.utf8), source: "schema.json")
    }

    @Test(arguments: [
        ("", "schema.json: is empty, not a Shadowserver report schema"),
        ("<html><body>Not found</body></html>", "schema.json: is not JSON"),
        (#"[1, 2]"#, "schema.json: is not a Shadowserver report schema: it must be a JSON object of report types"),
        (#"{"_meta": {"date_created": "x"}}"#, "schema.json: has no report types"),
        (#"{"r": {"feed_name": "R"}}"#, "schema.json: report r: file_name must be a non-empty string"),
        (#"{"r": {"feed_name": "R", "file_name": "r-1"}}"#, "schema.json: report r: file_name 'r-1' is not a report type"),
        (#"{"r": {"feed_name": "R", "file_name": "r", "required_fields": {"a": 1}}}"#, "schema.json: report r: required_fields must be a list"),
        (#"{"r": {"feed_name": "R", "file_name": "r", "required_fields": [["time.source"]]}}"#,
         "schema.json: report r: required_fields[0] must be [key, column]"),
        (#"{"r": {"feed_name": "R", "file_name": "r", "optional_fields": [[1, "a"]]}}"#, "schema.json: report r: optional_fields[0]: the key must be a string"),
        (#"{"r": {"feed_name": "R", "file_name": "r", "constant_fields": {"a": 1}}}"#, "schema.json: report r: constant a must be a string"),
        (#"{"r": {"feed_name": "R", "file_name": "x"}, "s": {"feed_name": "S", "file_name": "x"}}"#, "schema.json: reports R and s both have the file name x"),
    ])
    func aFileThatIsNotShadowserversShapeIsRefused(text: String, message: String) {
        do {
            _ = try Self.schema(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test func aNewerSchemasUnknownKeysAndConversionsAreKeptAndNamed() throws {
        let contents = try Self.schema(
            #"{"_meta": {"date_created": "2030-01-01T00:00:00Z", "change_log": ["Added scan_future."]}, "scan_future": {"feed_name": "Future", "file_name": "scan_future", "constant_fields": {"classification.taxonomy": "vulnerable", "classification.type": "vulnerable-system"}, "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"], ["source.ip", "ip", "validate_ip"]], "optional_fields": [["product.quantum", "q"], ["extra.", "w", "convert_warp"], [false, "ignored"]]}}"#)
        #expect(contents.revision == "2030-01-01T00:00:00Z")
        #expect(contents.changeLog == ["Added scan_future."])
        #expect(contents.warnings.count == 2, "\(contents.warnings)")
        let report = try #require(contents.reports["scan_future"])
        #expect(report.optional.map(\.key) == ["extra.product.quantum", "extra."])
        #expect(report.optional.last?.unknownConversion == "convert_warp")
    }

    @Test func conversionsMeanWhatIntelMQMeans() {
        let none: (String) -> String? = { _ in nil }
        #expect(ShadowserverConversion.validateToNone.apply("unknown", cell: none) == .nothing)
        #expect(ShadowserverConversion.invalidateZero.apply("0", cell: none) == .nothing)
        #expect(ShadowserverConversion.invalidateZero.apply("x", cell: none) == .invalid("not a whole number"))
        #expect(ShadowserverConversion.convertBool.apply("Enabled", cell: none) == .value(.boolean(true)))
        #expect(ShadowserverConversion.cveFromTag.apply("cve-2021-2;rdp;cve-2020-1;cve-x-1", cell: none) == .value(.string("cve-2020-1;cve-2021-2")))
        #expect(ShadowserverConversion.validateIP.apply("0.0.0.0", cell: none) == .nothing)
        #expect(ShadowserverConversion.validateNetwork.apply("192.0.2.1", cell: none) == .nothing)
        #expect(ShadowserverConversion.exchangeType.apply("exchange;webshell", cell: none) == .value(.string("system-compromise")))
        #expect(ShadowserverConversion.convertDate.apply("Sun, 01 May 2022 10:00:00 GMT", cell: none) == .value(.string("2022-05-01T10:00:00+00:00")))
        let row = ["http_host": "cnc.example.org", "url": "POST /gate.php?id=1 HTTP/1.1", "application": "https"]
        #expect(ShadowserverConversion.httpHostAndURL.apply("x", cell: { row[$0] }) == .value(.string("https://cnc.example.org/gate.php?id=1")))
        let detail = ["category": "", "detail": "defaced"]
        #expect(ShadowserverConversion.categoryOrDetail.apply("", cell: { detail[$0] }) == .value(.string("defaced")))
    }
}

@Suite struct ShadowserverQuirksTests {
    /// Real reports carry backslash-escaped quotes and rows with their trailing empty cells left out;
    /// they read as IntelMQ (Python's csv) reads them, and the row's raw text is kept as it came.
    @Test func strayQuotesAndShortRowsReadAsIntelMQReadsThem() throws {
        let csv = #"""
            "timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","sic","http","http_code","http_reason","content_type","connection","proxy_authenticate","via","server","content_length","transfer_encoding","http_date"
            "2010-02-10 00:00:00",192.0.2.1,tcp,3128,node01.example.com,http-connect-proxy-closed,64512,ZZ,Region,City,0,0,HTTP/1.1,407,"Proxy Authentication Required",text/html;charset=utf-8,keep-alive,"Basic realm=\"\"Squid proxy-caching web server\"\"",,squid/4.10,3741,,"Wed, 10 Feb 2010 00:00:00 GMT"
            "2010-02-10 00:00:01",192.0.2.2,tcp,3128,node02.example.com,http-connect-proxy-closed,64512,ZZ

            """#
        let (events, rejected) = ShadowserverTests.parse(csv, type: "population_http_proxy")
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(events.count == 2)
        let first = try #require(events.first?.1)
        #expect(first["extra.proxy_authenticate"] == .string(#"Basic realm=\\"Squid proxy-caching web server\"\"""#), "\(first.json())")
        #expect(first["extra.server"] == .string("squid/4.10"))
        #expect(events.last?.1["source.ip"] == .string("192.0.2.2"))
    }
}
