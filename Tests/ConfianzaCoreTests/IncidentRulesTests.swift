import ConfianzaCore
import Foundation
import Testing

@Suite struct IncidentRulesTests {
    /// Every pair of statuses: exactly the documented moves are allowed.
    @Test func onlyTheLifecycleMovesAreAllowed() {
        let allowed: Set<String> = [
            "new→triaged", "triaged→in-progress", "triaged→waiting", "triaged→resolved", "in-progress→waiting", "in-progress→resolved",
            "waiting→in-progress", "waiting→resolved", "resolved→closed", "resolved→in-progress", "closed→in-progress",
        ]
        for from in IncidentStatus.allCases {
            for to in IncidentStatus.allCases {
                #expect(from.canMove(to: to) == allowed.contains("\(from.rawValue)→\(to.rawValue)"), "\(from) → \(to)")
            }
        }
        #expect(IncidentError.transition(from: .new, to: .closed).description == "an incident that is new cannot become closed; it can become triaged")
    }

    /// Due dates are elapsed time from creation: the same instant whatever the time zone it is read in,
    /// and across a daylight-saving change.
    @Test func slaDueDatesAreElapsedTime() throws {
        let policy = SLAPolicy.standard
        // 2026-03-29 00:30 UTC: Europe changes to summer time that night.
        let created = Date(timeIntervalSince1970: 1_774_744_200)
        let due = policy.dueDates(createdAt: created, severity: .critical)
        #expect(due.triage.timeIntervalSince(created) == 3600)
        #expect(due.resolve.timeIntervalSince(created) == 86400)
        var calendar = Calendar(identifier: .gregorian)
        for zone in ["America/Montevideo", "Europe/Madrid", "Asia/Kolkata", "Pacific/Chatham"] {
            calendar.timeZone = try #require(TimeZone(identifier: zone))
            let local = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: due.resolve)
            #expect(calendar.date(from: local) == due.resolve, "\(zone) reads the same instant")
        }
        calendar.timeZone = try #require(TimeZone(identifier: "Europe/Madrid"))
        // In Madrid the day after creation is 23 hours long, so the 24-hour target lands an hour later on the clock.
        #expect(calendar.component(.hour, from: created) == 1)
        #expect(calendar.component(.hour, from: due.resolve) == 2)
        for severity in Severity.allCases {
            let target = policy.target(severity)
            #expect(target.triage <= target.resolve)
        }
        #expect(policy.target(.critical).resolve < policy.target(.info).resolve)
    }

    @Test func overdueMeansADueDateMissed() {
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let due = SLAPolicy.standard.dueDates(createdAt: created, severity: .high)
        var incident = Incident(
            title: "x", taxonomy: "fraud", type: "phishing", severity: .high, tlp: .amber, createdAt: created, triageDue: due.triage, resolveDue: due.resolve)
        #expect(!incident.isOverdue(at: due.triage))
        #expect(incident.isOverdue(at: due.triage.addingTimeInterval(1)), "not triaged in time")
        incident.status = .inProgress
        #expect(!incident.isOverdue(at: due.triage.addingTimeInterval(1)))
        #expect(incident.isOverdue(at: due.resolve.addingTimeInterval(1)))
        incident.status = .resolved
        #expect(!incident.isOverdue(at: due.resolve.addingTimeInterval(86400)))
    }

    @Test func policyFilesAreChecked() throws {
        let good = #"{"targets": {"critical": {"triage": 600, "resolve": 3600}, "high": {"triage": 600, "resolve": 3600}, "medium": {"triage": 600, "resolve": 3600}, "low": {"triage": 600, "resolve": 3600}, "info": {"triage": 600, "resolve": 3600}}}"#
        #expect(try SLAPolicy.load(Data(good.utf8), source: "sla.json").target(.low).triage == 600)
        #expect(throws: IncidentError.invalid(field: "sla.json", reason: "has no target for high")) {
            try SLAPolicy.load(Data(#"{"targets": {"critical": {"triage": 1, "resolve": 2}}}"#.utf8), source: "sla.json")
        }
        #expect(throws: IncidentError.self) { try SLAPolicy.load(Data(good.replacingOccurrences(of: "\"triage\": 600, \"resolve\": 3600}}}", with: "\"triage\": 7200, \"resolve\": 3600}}}").utf8), source: "s") }
        #expect(throws: IncidentError.self) { try SLAPolicy.load(Data("[]".utf8), source: "s") }
        #expect(throws: IncidentError.self) { try SLAPolicy.load(Data(), source: "s") }
    }

    @Test func groupingRuleFilesAreChecked() throws {
        let rule = try IncidentGrouping.load(Data(#"{"fields": ["organisation", "feed"], "windowSeconds": 3600}"#.utf8), source: "g.json")
        #expect(rule == IncidentGrouping(fields: [.organisation, .feed], windowSeconds: 3600))
        #expect(throws: IncidentError.invalid(field: "g.json", reason: "must group by organisation")) {
            try IncidentGrouping.load(Data(#"{"fields": ["type"], "windowSeconds": 3600}"#.utf8), source: "g.json")
        }
        #expect(throws: IncidentError.invalid(field: "g.json", reason: "'colour' is not a field to group by (organisation, taxonomy, type, feed)")) {
            try IncidentGrouping.load(Data(#"{"fields": ["organisation", "colour"], "windowSeconds": 3600}"#.utf8), source: "g.json")
        }
        #expect(throws: IncidentError.self) { try IncidentGrouping.load(Data(#"{"fields": ["organisation"], "windowSeconds": 1}"#.utf8), source: "g.json") }
        #expect(throws: IncidentError.self) { try IncidentGrouping.load(Data("{".utf8), source: "g.json") }
    }

    @Test func papLabels() {
        #expect(PAP(label: "amber") == .amber)
        #expect(PAP(label: "PAP:WHITE") == .clear)
        #expect(PAP(label: "TLP:RED") == nil)
    }
}
