import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

/// ARF, X-ARF 0.2 and XARF v4: golden events from real-shaped reports, and bad input refused with
/// its line and reason while the rest of the file is read.
@Suite struct AbuseReportTests {
    static let observed = Date(timeIntervalSince1970: 1_738_540_800)

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return Array(try Data(contentsOf: url))
    }

    static func parse(_ bytes: [UInt8], parser: some FeedParser, chunk: Int = 7) -> (events: [(Int, Event)], rejected: [Rejection]) {
        var parser = parser
        var events: [(Int, Event)] = []
        var rejected: [Rejection] = []
        let collect: (ParsedRecord) -> Void = { record in
            switch record {
            case .event(let event, let line): events.append((line, event))
            case .rejected(let rejection): rejected.append(rejection)
            }
        }
        // Small chunks: a message split anywhere must read the same.
        for start in stride(from: 0, to: bytes.count, by: chunk) { parser.feed(bytes[start..<min(start + chunk, bytes.count)], collect) }
        parser.finish(collect)
        return (events, rejected)
    }

    static func mail(_ bytes: [UInt8]) -> (events: [(Int, Event)], rejected: [Rejection]) {
        Self.parse(bytes, parser: MailReportParser(observedAt: Self.observed))
    }

    static func mail(_ text: String) -> (events: [(Int, Event)], rejected: [Rejection]) { Self.mail(Array(text.utf8)) }

    static func fields(_ event: Event?, _ keys: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for key in keys { out[key] = event?[key]?.description }
        return out
    }

    @Test func xarf02LoginAttack() throws {
        let (events, rejected) = Self.mail(try Self.fixture("xarf-0.2-login-attack.eml"))
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(events.count == 1)
        let event = events.first?.1
        #expect(events.first?.0 == 1)
        #expect(Self.fields(event, [
            "source.ip", "destination.port", "protocol.application", "time.source", "classification.taxonomy", "classification.type",
            "classification.identifier", "feed.name", "feed.provider", "extra.report_id", "extra.category", "severity", "tlp",
        ]) == [
            "source.ip": "192.0.2.55", "destination.port": "22", "protocol.application": "ssh", "time.source": "2025-02-03T01:13:35+00:00",
            "classification.taxonomy": "intrusion-attempts", "classification.type": "brute-force", "classification.identifier": "login-attack",
            "feed.name": "X-ARF", "feed.provider": "reporter.example", "extra.report_id": "1234567@reporter.example", "extra.category": "abuse",
            "severity": "medium", "tlp": "TLP:AMBER",
        ])
        #expect(event?["extra.evidence"]?.description.contains("Failed password for root") == true)
        let raw = try #require(event?["raw"]?.description)
        #expect(Data(base64Encoded: raw).map { Array($0) } == (try Self.fixture("xarf-0.2-login-attack.eml")).dropLast(), "raw keeps the message")
    }

    @Test func arfAbuseReport() throws {
        let (events, rejected) = Self.mail(try Self.fixture("arf-rfc5965-abuse.eml"))
        #expect(rejected.isEmpty, "\(rejected)")
        let event = events.first?.1
        #expect(Self.fields(event, [
            "source.ip", "source.fqdn", "source.url", "time.source", "classification.taxonomy", "classification.type",
            "classification.identifier", "feed.name", "feed.provider", "extra.original_mail_from", "extra.original_subject",
            "protocol.application",
        ]) == [
            "source.ip": "192.0.2.1", "source.fqdn": "example.net", "source.url": "http://example.net/earn_money.html",
            "time.source": "2005-03-08T18:00:00+00:00", "classification.taxonomy": "abusive-content", "classification.type": "spam",
            "classification.identifier": "arf-abuse", "feed.name": "ARF", "feed.provider": "isp.example",
            "extra.original_mail_from": "<somespammer@example.net>", "extra.original_subject": "Earn money", "protocol.application": "smtp",
        ])
    }

    @Test func arfAuthFailureWithRedactedHeaders() throws {
        let (events, rejected) = Self.mail(try Self.fixture("arf-rfc6591-auth-failure.eml"))
        #expect(rejected.isEmpty, "\(rejected)")
        let event = events.first?.1
        #expect(Self.fields(event, ["classification.type", "classification.identifier", "source.ip", "extra.auth_failure", "extra.original_subject"]) == [
            "classification.type": "masquerade", "classification.identifier": "arf-auth-failure", "source.ip": "192.0.2.200",
            "extra.auth_failure": "spf", "extra.original_subject": "Verify your account",
        ])
    }

    @Test func xarf4JSONFile() throws {
        let (events, rejected) = Self.parse(try Self.fixture("xarf-v4-login-attack.json"), parser: XARFParser(observedAt: Self.observed))
        #expect(rejected.isEmpty, "\(rejected)")
        let event = events.first?.1
        #expect(Self.fields(event, [
            "source.ip", "source.port", "destination.ip", "destination.port", "protocol.transport", "protocol.application", "time.source",
            "classification.type", "classification.identifier", "feed.provider", "extra.attempt_count", "extra.tags",
        ]) == [
            "source.ip": "198.51.100.77", "source.port": "45621", "destination.ip": "203.0.113.22", "destination.port": "22",
            "protocol.transport": "tcp", "protocol.application": "ssh", "time.source": "2025-01-11T06:17:20+00:00",
            "classification.type": "brute-force", "classification.identifier": "connection/login_attack", "feed.provider": "SSH Honeypot Network",
            "extra.attempt_count": "2847", "extra.tags": #"["attack:brute_force","service:ssh"]"#,
        ])
        #expect(event?["extra.evidence"]?.description.contains("payload") == false, "payloads stay in raw only")
    }

    @Test func xarf4AttachedInBase64WithADefangedURL() throws {
        let (events, rejected) = Self.mail(try Self.fixture("xarf-v4-phishing.eml"))
        #expect(rejected.isEmpty, "\(rejected)")
        let event = events.first?.1
        #expect(Self.fields(event, ["source.url", "source.fqdn", "classification.taxonomy", "classification.type", "severity"]) == [
            "source.url": "http://login-bank.example.org/secure/", "source.fqdn": "login-bank.example.org", "classification.taxonomy": "fraud",
            "classification.type": "phishing", "severity": "high",
        ])
    }

    @Test func anMboxIsOneRecordPerMessage() throws {
        let (events, rejected) = Self.mail(try Self.fixture("abuse-reports.mbox"))
        #expect(events.map { $0.1["classification.identifier"]?.description } == ["login-attack", "arf-abuse"])
        #expect(events.map(\.0) == [2, 36])
        #expect(rejected.count == 1)
        #expect(rejected.first?.line == 82)
        #expect(rejected.first?.reason.hasPrefix("not an abuse report") == true)
        #expect(rejected.first?.raw.contains("Just saying hello") == true)
    }

    @Test func theFormatIsGuessedFromTheNameAndFirstBytes() throws {
        #expect(FeedFormat.guess(fileName: "report.eml", head: []).description == "mail")
        #expect(FeedFormat.guess(fileName: "inbox.txt", head: try Self.fixture("abuse-reports.mbox")).description == "mail")
        #expect(FeedFormat.guess(fileName: "message-1", head: try Self.fixture("arf-rfc5965-abuse.eml")).description == "mail")
        #expect(FeedFormat.guess(fileName: "x.json", head: try Self.fixture("xarf-v4-login-attack.json")).description == "xarf")
        #expect(FeedFormat.guess(fileName: "events.jsonl", head: Array(#"{"source.ip":"192.0.2.1"}"#.utf8)).description == "intelmq")
        #expect(FeedFormat.guess(fileName: "2024-05-01-scan_dns-uy.csv", head: Array("timestamp,ip\n".utf8)).description == "shadowserver")
    }

    static let xarfHead = """
        From: r@reporter.example
        Content-Type: multipart/mixed; boundary="b"

        --b
        Content-Type: text/plain; name="report.txt"


        """

    /// Each bad message is one rejection with the line of the problem; nothing is guessed.
    @Test(arguments: [
        (xarfHead + "Report-Type: login-attack\nSource: 192.0.2.300\nSource-Type: ip-address\nDate: Mon, 03 Feb 2025 02:13:35 +0100\n--b--\n",
         8, "Source: source.ip '192.0.2.300': not an IP address"),
        (xarfHead + "Report-Type: login-attack\nSource: 192.0.2.3\nDate: yesterday\n--b--\n", 9,
         "report.txt: Date 'yesterday' is not an e-mail date (Mon, 03 Feb 2025 02:13:35 +0100)"),
        (xarfHead + "Report-Type: login-attack\nDate: Mon, 03 Feb 2025 02:13:35 +0100\n--b--\n", 7, "report.txt has no Source"),
        (xarfHead + "Report-Type: login-attack\n- a list\n--b--\n", 8, "report.txt: a list item; X-ARF 0.2 reports are flat 'Key: value' lines"),
        (xarfHead + "Report-Type: a\nReport-Type: b\n--b--\n", 8, "report.txt: Report-Type appears twice (first on line 7)"),
        (xarfHead + "Report-Type: login-attack\nSource: 192.0.2.3\nSource-Type: carrier-pigeon\nDate: Mon, 03 Feb 2025 02:13:35 +0100\n--b--\n",
         8, "Source type 'carrier-pigeon' is not one of ip-address, ipv4, ipv6, uri, domain, email"),
        ("From: a@b.example\nContent-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/feedback-report\n\nUser-Agent: a\nVersion: 1\nSource-IP: 192.0.2.1\n--x--\n",
         7, "the feedback report has no Feedback-Type field"),
        ("From: a@b.example\nContent-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: a\nVersion: 1\nVersion: 1\nSource-IP: 192.0.2.1\n--x--\n",
         10, "Version appears 2 times; RFC 5965 allows it once"),
        ("From: a@b.example\nContent-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: a\nVersion: 1\n--x--\n",
         7, "the feedback report names no source: no Source-IP, Reported-Domain or Reported-Uri"),
        ("From: a@b.example\nContent-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: a\nVersion: 2\nSource-IP: 192.0.2.1\n--x--\n",
         9, "Version '2': only 1 (and the draft 0.1) exist"),
        ("Just some text\nwithout headers\n", 1, "not an e-mail message: it has no header lines (Name: value) before the body"),
        ("From: a@b.example\nContent-Type: application/json; charset=utf-8\n\n{\"xarf_version\": \"4.0\", \"category\": \"connection\"\n", 4,
         "the XARF report is not JSON: unexpected end at character 48"),
        ("From: a@b.example\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n!!!!\n", 1,
         "not an abuse report: no message/feedback-report part (ARF), no report.txt (X-ARF 0.2) and no XARF v4 JSON"),
    ])
    func badMessages(text: String, line: Int, reason: String) {
        let (events, rejected) = Self.mail(text)
        #expect(events.isEmpty)
        #expect(rejected.map(\.reason) == [reason])
        #expect(rejected.map(\.line) == [line])
    }

    @Test func badXARFJSON() {
        let cases: [(String, [String])] = [
            (#"{"xarf_version":"3.0","category":"x"}"#, ["xarf_version '3.0': only XARF v4 is read as JSON"]),
            (#"{"xarf_version":"4.0.0","category":"connection","type":"ddos","timestamp":"2025-01-01T00:00:00Z"}"#,
             ["source_identifier is missing or not a string"]),
            (#"{"xarf_version":"4.0.0","category":"connection","type":"ddos","source_identifier":"192.0.2.1","timestamp":"soon"}"#,
             ["timestamp 'soon' is not an ISO 8601 time"]),
            ("[1, 2]", ["an XARF report is a JSON object", "an XARF report is a JSON object"]),
            ("{\"xarf_version\":\"4.0.0\"\n{}\n", ["not JSON: unexpected end at character 23", "xarf_version is missing: not an XARF v4 report"]),
            ("\u{FEFF}   \n", []),
        ]
        for (text, reasons) in cases {
            let (events, rejected) = Self.parse(Array(text.utf8), parser: XARFParser(observedAt: Self.observed))
            #expect(events.isEmpty, "\(text)")
            #expect(rejected.map(\.reason) == reasons, "\(text)")
        }
        let invalid = Self.parse([0x7B, 0xFF, 0x7D], parser: XARFParser(observedAt: Self.observed))
        #expect(invalid.rejected.map(\.reason) == ["the file is not valid UTF-8"])
        let huge = Self.parse(Array(repeating: 0x20, count: 5000), parser: XARFParser(observedAt: Self.observed, maxBytes: 4096), chunk: 1000)
        #expect(huge.rejected.map(\.reason) == ["the file is larger than 4096 bytes"])
    }

    /// Found by the mail fuzzer (FUZZING.md, mail, finding 1): a mailbox that is one `From ` line with
    /// nothing after it gave no record at all, so the file was read as empty. It is a cut-off mailbox:
    /// said, with its line.
    @Test func aFromLineWithNothingAfterItIsRejected() throws {
        let found = try #require(Data(base64Encoded: "RnJvbSByZXBvcnRlckBpc0ZZLWF0aW9uLVJlc3VsdHM6IHJlY2VpdmVyLmV4YW1wbGU7cC5leGFtcGxlIE1vbiBGZWIgIDMgMDI6MTM6NDAgMjAyIHNwZj1mYWlsIHM="))
        let (events, rejected) = Self.mail(Array(found))
        #expect(events.isEmpty)
        #expect(rejected.map(\.reason) == ["the message is empty: nothing follows its From line"] && rejected.map(\.line) == [1])
        // Between two messages too; the next one is read.
        let text = "From a@b Mon Jan  1 00:00:00 2025\n\nFrom r@isp.example Mon Feb  3 02:13:40 2025\n" + String(decoding: try Self.fixture("xarf-0.2-login-attack.eml"), as: UTF8.self)
        let both = Self.mail(text)
        #expect(both.rejected.map(\.line) == [1] && both.events.count == 1)
    }

    @Test func aHugeMessageIsRejectedAndTheNextOneRead() throws {
        let big = "From x@y Mon Jan  1 00:00:00 2025\nFrom: a@b.example\n\n" + String(repeating: "spam ", count: 2000) + "\n\n"
        let text = big + "From r@isp.example Mon Feb  3 02:13:40 2025\n" + String(decoding: try Self.fixture("xarf-0.2-login-attack.eml"), as: UTF8.self)
        let (events, rejected) = Self.parse(Array(text.utf8), parser: MailReportParser(observedAt: Self.observed, maxMessageBytes: 4096), chunk: 100)
        #expect(rejected.map(\.reason) == ["the message is larger than 4096 bytes"])
        #expect(rejected.map(\.line) == [2])
        #expect(events.count == 1)
    }

    /// Nesting and part count are capped (issue 12, item 5): a message nested 17 deep or with 501 parts
    /// is rejected with its line and why, and the next message is read; 16 deep is read.
    @Test func nestingAndPartCountAreCapped() throws {
        let report = "Content-Type: text/plain; name=report.txt\n\nReport-Type: port-scan\nSource: 192.0.2.9\nDate: 3 Feb 25 02:13 GMT\n"
        func nested(_ depth: Int) -> String {
            var body = report
            for level in (0..<depth).reversed() {
                body = "Content-Type: multipart/mixed; boundary=b\(level)\n\n--b\(level)\n" + body + "\n--b\(level)--\n"
            }
            return "From x@y Mon Jan  1 00:00:00 2025\nFrom: r@reporter.example\n" + body + "\n"
        }
        let deep = Self.mail(nested(17) + nested(16))
        #expect(deep.rejected.map(\.reason) == ["the message's parts nest more than 16 deep"])
        #expect(deep.events.count == 1, "the next message, 16 deep, is read")
        var many = "From x@y Mon Jan  1 00:00:00 2025\nFrom: r@reporter.example\nContent-Type: multipart/mixed; boundary=p\n\n"
        for _ in 0..<501 { many += "--p\nContent-Type: text/plain\n\nx\n" }
        many += "--p\n" + report + "\n--p--\n\n"
        let wide = Self.mail(many)
        #expect(wide.rejected.map(\.reason) == ["the message has more than 500 parts"])
        #expect(wide.events.isEmpty)
        // A reply is refused the same way, with the line.
        let reply = "Subject: x\n" + nested(40).split(separator: "\n", maxSplits: 1)[1]
        #expect(throws: FeedError.self) { _ = try MailReply.read(Array(reply.utf8)) }
    }

    @Test func latin1AndQuotedPrintableAndCRLFAndTruncation() throws {
        // A Latin-1 quoted-printable report.txt, CRLF line ends, and no closing boundary.
        let text = "From: r@reporter.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            + "Content-Type: text/plain; charset=iso-8859-1; name=report.txt\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + "Report-Type: port-scan\r\nSource: 192.0.2.9\r\nDate: 3 Feb 25 02:13 GMT\r\nComment: Se=F1or esc=\r\nanea\r\n"
        let (events, rejected) = Self.mail(text)
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(events.first?.1["extra.comment"]?.description == "Señor escanea")
        #expect(events.first?.1["time.source"]?.description == "2025-02-03T02:13:00+00:00")
        #expect(events.first?.1["classification.type"]?.description == "scanner")
    }

    @Test func mailDates() {
        #expect(Self.mail("From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; name=report.txt\n\nReport-Type: spam\nSource: 192.0.2.1\nDate: 31 Feb 2025 10:00:00 +0000\n")
            .rejected.first?.reason.contains("is not an e-mail date") == true, "31 February is refused")
    }
}

@Suite struct MailReplyTests {
    @Test func aReplyNamesItsIncident() throws {
        let text = "From: =?utf-8?Q?Mesa_de_ayuda?= <it@hospital.example>\r\nSubject: Re: =?utf-8?B?W0NFUlR1eSAjNDJdIEluZmVjdGFkb3M=?=\r\n"
            + "Date: Tue, 04 Mar 2025 08:00:00 -0300\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nYa lo corregimos, gracias.=0D=0A> Estimado equipo\r\n"
            + "--x\r\nContent-Type: text/html\r\n\r\n<p>Ya lo corregimos</p>\r\n--x--\r\n"
        let reply = try MailReply.read(Array(text.utf8))
        #expect(reply.subject == "Re: [CERTuy #42] Infectados")
        #expect(reply.incidentNumber(tag: "certuy") == 42)
        #expect(reply.incidentNumber(tag: "CIRT") == nil)
        #expect(reply.text.hasPrefix("Ya lo corregimos, gracias."))
        #expect(reply.date == Date(timeIntervalSince1970: 1_741_086_000))
        #expect(MailReply(from: "", subject: "[CIRT #12x]", date: nil, text: "").incidentNumber(tag: "CIRT") == nil)
        #expect(throws: FeedError.self) { try MailReply.read(Array("no headers here".utf8)) }
    }
}
