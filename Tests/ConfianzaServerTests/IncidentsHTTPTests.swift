import ConfianzaCore
import ConfianzaFeeds
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct IncidentsHTTPTests {
    /// Past ten thousand incidents, the dashboard, the queue's overdue banner and `/metrics` still count
    /// every one (they used to read the first 10,000 and say nothing).
    @Test(arguments: TestBackend.available)
    func countsAreExactPastTenThousandIncidents(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let start = Date().addingTimeInterval(-30 * 86400)
            let incidents = (0..<10_050).map { index in
                Incident(
                    title: "scan \(index)", taxonomy: "information-gathering", type: "scanner", severity: .low, tlp: .amber,
                    status: index % 2 == 0 ? .new : .closed, createdAt: start, triageDue: start.addingTimeInterval(3600),
                    resolveDue: start.addingTimeInterval(86400))
            }
            _ = try await dependencies.store.applyGrouping(newIncidents: incidents, links: [:], timeline: [])
            let analyst = Browser(client)
            try await analyst.login("ana")
            let dashboard = try await analyst.get("/incidents/dashboard")
            #expect(dashboard.text.contains("<dd>10050</dd>"))
            #expect(dashboard.text.contains("<dd id=\"overdue\">5025</dd>"))
            let queue = try await analyst.get("/incidents")
            #expect(queue.text.contains(": 5025 ·"), "the overdue banner counts every open incident")
            // Fifty a page, newest first, with the way to the next page (same filters) and back.
            #expect(queue.text.components(separatedBy: "<td><a href=\"/incidents/").count - 1 == 50)
            #expect(queue.text.contains("<a href=\"/incidents?offset=50\" id=\"next-page\">") && !queue.text.contains("id=\"previous-page\""))
            let last = try await analyst.get("/incidents?status=all&offset=10000")
            #expect(last.text.components(separatedBy: "<td><a href=\"/incidents/").count - 1 == 50 && !last.text.contains("id=\"next-page\""))
            #expect(last.text.contains("<a href=\"/incidents?status=all&amp;offset=9950\" id=\"previous-page\">"))
            let end = try await analyst.get("/incidents?status=all&offset=10000&limit=100")
            #expect(end.text.components(separatedBy: "<td><a href=\"/incidents/").count - 1 == 50 && !end.text.contains("id=\"next-page\""))
            #expect(end.text.contains("<a href=\"/incidents?limit=100&amp;status=all&amp;offset=9900\" id=\"previous-page\">"))
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.text.contains("confianza_incidents_open 5025"))
            #expect(metrics.text.contains("confianza_incidents_overdue 5025"))
            let csv = try await analyst.get("/incidents/metrics.csv")
            #expect(csv.text.split(separator: "\r\n").count == 10_051, "a header and every incident")
        }
    }

    /// Events ingested through the app become incidents; an analyst takes one from new to closed in the
    /// pages; a viewer reads but cannot act; a forbidden move is refused with the reason.
    @Test(arguments: TestBackend.available)
    func anAnalystWorksAnIncidentInThePages(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            _ = try await FeedsHTTPTests.ingest(dependencies)
            let runs = try await dependencies.store.ingestRuns(limit: 1)
            try await dependencies.incidents.group(runID: try #require(runs.first?.id))
            let incident = try #require(try await dependencies.store.incidents(matching: IncidentQuery()).first)
            #expect(incident.title == "vulnerable-system at an organisation")
            #expect(incident.eventCount == 2)

            let viewer = Browser(client)
            try await viewer.login("vera")
            let list = try await viewer.get("/incidents")
            #expect(list.status == .ok)
            #expect(list.text.contains("/incidents/\(incident.number)"))
            #expect(!list.text.contains("id=\"bulk-submit\""), "viewers do not act")
            #expect(try await viewer.post("/incidents/\(incident.number)/status", [("status", "triaged")]).status == .forbidden)

            let analyst = Browser(client)
            try await analyst.login("ana")
            var page = try await analyst.get("/incidents/\(incident.number)")
            #expect(page.text.contains("id=\"move-triaged\""))
            #expect(!page.text.contains("id=\"move-closed\""), "only allowed moves are offered")
            let refused = try await analyst.post("/incidents/\(incident.number)/status", [("status", "closed")])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("an incident that is new cannot become closed"))
            for (path, fields) in [
                ("assign", [("assignee", "ana")]), ("status", [("status", "triaged")]), ("severity", [("severity", "high")]),
                ("tlp", [("tlp", "TLP:AMBER+STRICT")]), ("notes", [("note", "Told the hospital's IT team.")]),
                ("tasks", [("title", "Check the patch level"), ("assignee", "ana")]), ("status", [("status", "in-progress")]),
                ("status", [("status", "resolved")]), ("status", [("status", "closed")]),
            ] {
                _ = try await analyst.get("/incidents/\(incident.number)")
                let done = try await analyst.post("/incidents/\(incident.number)/\(path)", fields)
                #expect(done.status == .seeOther, "\(path): \(done.text.prefix(300))")
            }
            page = try await analyst.get("/incidents/\(incident.number)")
            #expect(page.text.contains("id=\"incident-status\">closed<"))
            #expect(page.text.contains("Told the hospital&#39;s IT team.") || page.text.contains("Told the hospital's IT team."))
            #expect(page.text.contains("Check the patch level"))
            #expect(page.text.contains("in progress → resolved"), "status names as the reader reads them")
            let stored = try #require(try await dependencies.store.incident(id: incident.id))
            #expect(stored.status == .closed && stored.assignee == "ana" && stored.severity == .high && stored.tlp == .amberStrict)
            #expect(try await analyst.post("/incidents/\(incident.number)/severity", [("severity", "urgent")]).status == .badRequest)
            #expect(try await analyst.get("/incidents/99999").status == .notFound)
            #expect(try await analyst.get("/incidents?status=nonsense").status == .badRequest)
            let spanish = try await analyst.get("/incidents?status=all", headers: [.acceptLanguage: "es"])
            #expect(spanish.text.contains("Incidentes"))
            let dashboard = try await viewer.get("/incidents/dashboard")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("<svg id=\"chart-type\""))
            #expect(dashboard.text.contains("vulnerable-system"))
            let csv = try await viewer.get("/incidents/metrics.csv")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.split(separator: "\r\n").count == 2)
            #expect(csv.text.contains(",closed,"))
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(String(buffer: metrics.body).contains("confianza_incidents_open 0"))
        }
    }

    /// Events chosen in the events list become a new incident.
    @Test func eventsChosenInTheListOpenAnIncident() async throws {
        try await TestApp.run { client, dependencies in
            _ = try await FeedsHTTPTests.ingest(dependencies)
            let ids = try await dependencies.store.events(matching: EventQuery()).map(\.id).sorted()
            #expect(ids.count == 2)
            let analyst = Browser(client)
            try await analyst.login("ana")
            let list = try await analyst.get("/events")
            #expect(list.text.contains("name=\"event-\(ids[0])\""))
            let form = try await analyst.get("/incidents/new?event-\(ids[0])=on&event-\(ids[1])=on")
            #expect(form.text.contains("value=\"vulnerable-system at Hospital\""))
            #expect(form.text.contains("value=\"\(ids[0]), \(ids[1])\"") || form.text.contains("value=\"\(ids[1]), \(ids[0])\""))
            let created = try await analyst.post(
                "/incidents", [("title", "Open resolvers at the hospital"), ("type", "vulnerable-system"), ("severity", "low"), ("tlp", "TLP:GREEN"),
                               ("organisation", ""), ("events", "\(ids[0]), \(ids[1])")])
            #expect(created.status == .seeOther)
            let incident = try #require(try await dependencies.store.incident(number: 1))
            let strictest = try await dependencies.store.events(matching: EventQuery()).compactMap { $0.event["tlp"].flatMap { TLP(label: $0.description) } }.max()
            #expect(incident.eventCount == 2 && incident.tlp == max(.green, strictest ?? .green), "the marking chosen, raised to the events' own")
            let bad = try await analyst.post("/incidents", [("title", "x"), ("type", "vulnerable-system"), ("severity", "low"), ("tlp", "TLP:GREEN"), ("events", "1, x")])
            #expect(bad.status == .badRequest || bad.status == .unprocessableContent)

            // The organisation is typed (suggested from a list, not a menu of the whole constituency):
            // the event's organisation is offered, any case finds it, a name nobody has is refused.
            #expect(form.text.contains("id=\"organisation\" name=\"organisation\" list=\"organisation-names\" maxlength=\"300\" value=\"Hospital\""))
            #expect(form.text.contains("<option value=\"Hospital\">"))
            let typed = try await analyst.post(
                "/incidents", [("title", "Typed"), ("type", "phishing"), ("severity", "low"), ("tlp", "TLP:GREEN"), ("organisation", " hospital "), ("events", "")])
            #expect(typed.status == .seeOther)
            let hospital = try #require(try await dependencies.store.organisation(named: "Hospital"))
            #expect(try await dependencies.store.incident(number: 2)?.organisations == [hospital.id])
            let unknown = try await analyst.post(
                "/incidents", [("title", "Nobody's"), ("type", "phishing"), ("severity", "low"), ("tlp", "TLP:GREEN"), ("organisation", "Nobody Ltd"), ("events", "")])
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.text.contains("There is no organisation &quot;Nobody Ltd&quot; in the constituency"))
            #expect(unknown.text.contains("value=\"Nobody Ltd\""), "what was typed stays in the form")
            #expect(try await dependencies.store.incident(number: 3) == nil)
            let viewer = Browser(client)
            try await viewer.login("vera")
            #expect(!(try await viewer.get("/events")).text.contains("name=\"event-"))
        }
    }

    @Test func peersAreRecordedAndIncidentsSharedWithThem() async throws {
        try await TestApp.run { client, dependencies in
            let incident = try await dependencies.incidents.create(.init(title: "DDoS on the ministry", type: "ddos", severity: .high, tlp: .amber), by: "ana")
            let analyst = Browser(client)
            try await analyst.login("ana")
            _ = try await analyst.get("/peers")
            let bad = try await analyst.post("/peers", [("name", "CERT.br"), ("country", "Brasil"), ("contact", "cert@cert.br"), ("tlpCeiling", "TLP:AMBER")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("country must be a two-letter ISO 3166 code"))
            let added = try await analyst.post(
                "/peers", [("name", "CERT.br"), ("country", "BR"), ("contact", "cert@cert.br"), ("tlpCeiling", "TLP:AMBER"), ("taxiiSecret", "hunter2")])
            #expect(added.status == .seeOther)
            let list = try await analyst.get("/peers")
            #expect(list.text.contains("CERT.br") && !list.text.contains("hunter2"))
            let peer = try #require(try await dependencies.store.peers().first)
            let page = try await analyst.get("/incidents/\(incident.number)")
            #expect(page.text.contains("id=\"share\""))
            let refused = try await analyst.post("/incidents/\(incident.number)/share", [("peer", peer.id.uuidString), ("tlp", "TLP:RED")])
            #expect(refused.status == .badRequest)
            let shared = try await analyst.post("/incidents/\(incident.number)/share", [("peer", peer.id.uuidString), ("tlp", "TLP:AMBER")])
            #expect(shared.status == .seeOther)
            #expect(try await analyst.get("/incidents/\(incident.number)").text.contains("shared with CERT.br (BR) at TLP:AMBER"))
            let share = try #require(try await dependencies.store.shares(incidentID: incident.id).first)
            let content = try await analyst.get("/incidents/\(incident.number)/shares/\(share.id.uuidString)")
            #expect(content.headers[.contentType] == "application/stix+json;version=2.1")
            #expect(content.text.contains("\"type\":\"bundle\"") && content.text.contains("DDoS on the ministry"), "what was sent is kept")
            let token = try await makeToken(dependencies, for: "vera")
            let api = try await client.execute(uri: "/api/v1/peers", method: .get, headers: bearer(token))
            #expect(String(buffer: api.body).contains("\"hasCredential\":true") && !String(buffer: api.body).contains("hunter2"))
        }
    }

    @Test func mergingAndSplittingFromThePage() async throws {
        try await TestApp.run { client, dependencies in
            _ = try await FeedsHTTPTests.ingest(dependencies)
            let ids = try await dependencies.store.events(matching: EventQuery()).map(\.id).sorted()
            let first = try await dependencies.incidents.create(.init(title: "A", type: "vulnerable-system", severity: .low), events: [ids[0]], by: "ana")
            let second = try await dependencies.incidents.create(.init(title: "B", type: "vulnerable-system", severity: .low), events: [ids[1]], by: "ana")
            let analyst = Browser(client)
            try await analyst.login("ana")
            _ = try await analyst.get("/incidents/\(second.number)")
            #expect(try await analyst.post("/incidents/\(second.number)/merge", [("into", "#999")]).status == .badRequest)
            let merged = try await analyst.post("/incidents/\(second.number)/merge", [("into", "#\(first.number)")])
            #expect(merged.headers[.location] == "/incidents/\(first.number)")
            #expect(try await dependencies.store.incident(id: first.id)?.eventCount == 2)
            _ = try await analyst.get("/incidents/\(first.number)")
            let split = try await analyst.post("/incidents/\(first.number)/split", [("split-\(ids[1])", "on"), ("title", "B again")])
            #expect(split.status == .seeOther)
            #expect(try await dependencies.store.incident(id: first.id)?.eventCount == 1)
        }
    }

    /// Bulk actions: nothing chosen, a move one incident may not make, an unknown analyst — each refused,
    /// naming the incident; the allowed part of the batch is not half-done silently.
    @Test func bulkActionsRefuseWhatTheyCannotDo() async throws {
        try await TestApp.run { client, dependencies in
            let one = try await dependencies.incidents.create(.init(title: "A", type: "spam", severity: .low), by: "ana")
            let two = try await dependencies.incidents.create(.init(title: "B", type: "spam", severity: .low), by: "ana")
            try await dependencies.incidents.move(two.id, to: .triaged, by: "ana")
            let analyst = Browser(client)
            try await analyst.login("ana")
            _ = try await analyst.get("/incidents")
            #expect(try await analyst.post("/incidents/bulk", [("status", "triaged")]).status == .badRequest, "nothing chosen")
            let mixed = try await analyst.post("/incidents/bulk", [("select-\(one.number)", "on"), ("select-\(two.number)", "on"), ("status", "in-progress")])
            #expect(mixed.status == .conflict)
            #expect(mixed.text.contains("#\(one.number): an incident that is new cannot become in progress"), "status names as the reader reads them")
            #expect(try await dependencies.store.incident(id: two.id)?.status == .inProgress, "the incident that could move did")
            #expect(try await dependencies.store.incident(id: one.id)?.status == .new)
            let unknown = try await analyst.post("/incidents/bulk", [("select-\(one.number)", "on"), ("assignee", "nobody")])
            #expect(unknown.status == .conflict && unknown.text.contains("is not an active user"))
            let done = try await analyst.post("/incidents/bulk", [("select-\(one.number)", "on"), ("select-\(two.number)", "on"), ("assignee", "ana")])
            #expect(done.status == .seeOther)
            #expect(try await dependencies.store.incidents(matching: IncidentQuery(assignee: "ana")).count == 2)
        }
    }

    @Test func theAPICreatesListsAndMovesIncidents() async throws {
        try await TestApp.run { client, dependencies in
            let token = try await makeToken(dependencies, for: "ana")
            let body = #"{"title": "Phishing kit on a ministry server", "type": "phishing", "severity": "critical", "tlp": "TLP:RED", "assignee": "ana"}"#
            let created = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: body))
            #expect(created.status == .created)
            let json = try created.json()
            #expect(json["number"] as? Int == 1)
            #expect(json["taxonomy"] as? String == "fraud")
            #expect(created.headers[.location] == "/api/v1/incidents/1")
            let bad = try await client.execute(
                uri: "/api/v1/incidents/1/status", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: #"{"status": "closed"}"#))
            #expect(bad.status == .conflict)
            let moved = try await client.execute(
                uri: "/api/v1/incidents/1/status", method: .post, headers: bearer(token, json: true),
                body: ByteBuffer(string: #"{"status": "triaged", "note": "Confirmed."}"#))
            #expect(try moved.json()["status"] as? String == "triaged")
            #expect((try moved.json()["timeline"] as? [[String: Any]])?.count == 4)
            let list = try await client.execute(uri: "/api/v1/incidents?assignee=me", method: .get, headers: bearer(token))
            #expect(try list.jsonArray().count == 1)
            for bad in [#"{"title": "x"}"#, #"{"title": "x", "type": "nope", "severity": "low"}"#, #"{"title": "x", "type": "spam", "severity": "low", "extra": 1}"#, "[", ""] {
                let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: bad))
                #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(bad)")
            }
            let viewer = try await makeToken(dependencies, for: "vera")
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .post, headers: bearer(viewer, json: true), body: ByteBuffer(string: body)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/incidents/2", method: .get, headers: bearer(token)).status == .notFound)
        }
    }
}

@Suite struct IndicatorsHTTPTests {
    @Test func indicatorsAreImportedListedAndRevoked() async throws {
        try await TestApp.run { client, dependencies in
            let token = try await makeToken(dependencies, for: "ana")
            let bundle = #"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Botnet C2","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}]}"#
            let imported = try await client.execute(
                uri: "/api/v1/indicators/import?source=CERT.br", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: bundle))
            #expect(imported.status == .ok)
            #expect(try imported.json()["added"] as? Int == 1)
            let bad = try await client.execute(
                uri: "/api/v1/indicators/import", method: .post, headers: bearer(token, json: true),
                body: ByteBuffer(string: bundle.replacingOccurrences(of: #","pattern_type":"stix""#, with: "")))
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("pattern_type"))
            let viewer = try await makeToken(dependencies, for: "vera")
            #expect(try await client.execute(uri: "/api/v1/indicators/import", method: .post, headers: bearer(viewer, json: true), body: ByteBuffer(string: bundle)).status == .forbidden)
            let list = try await client.execute(uri: "/api/v1/indicators?state=active", method: .get, headers: bearer(viewer))
            #expect(try list.jsonArray().first?["tlp"] as? String == "TLP:GREEN")

            let analyst = Browser(client)
            try await analyst.login("ana")
            let page = try await analyst.get("/indicators?q=botnet")
            #expect(page.text.contains("Botnet C2") && page.text.contains("[ipv4-addr:value = &#39;198.51.100.7&#39;]") || page.text.contains("198.51.100.7"))
            let revoked = try await analyst.post("/indicators/revoke", [("id", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), ("revoked", "true")])
            #expect(revoked.status == .seeOther)
            #expect(try await dependencies.store.indicator(id: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")?.revoked == true)
            #expect(try await analyst.get("/indicators?state=nonsense").status == .badRequest)
        }
    }
}
