import Foundation

extension IncidentService {
    /// Matches a run's events against the active indicators: each match is recorded as a sighting, and
    /// the events an indicator names open an incident of their own ("indicator seen"), marked no
    /// looser than the indicator, or join the one still open for that indicator. Runs before grouping, so
    /// these events are not also grouped by the usual rule. Returns the sightings and incidents made.
    @discardableResult
    public func matchIndicators(runID: UUID) async throws -> (sightings: Int, incidents: Int) {
        let now = self.now()
        let pairs = try await self.store.indicatorMatches(runID: runID, now: now)
        guard !pairs.isEmpty else { return (0, 0) }
        try await self.store.recordSightings(pairs, at: now)
        var byIndicator: [String: [Int64]] = [:]
        for pair in pairs { byIndicator[pair.indicatorID, default: []].append(pair.eventID) }
        var opened = 0
        let open = try await self.store.openIncidents(groupKeys: byIndicator.keys.map { "indicator:\($0)" })
        for indicatorID in byIndicator.keys.sorted() {
            guard let indicator = try await self.store.indicator(id: indicatorID), let ids = byIndicator[indicatorID] else { continue }
            // While an incident about this indicator is open, later matches join it.
            if let incident = open["indicator:\(indicatorID)"] {
                _ = try await self.store.linkEvents(
                    ids, to: incident.id,
                    timeline: TimelineEntry(incidentID: incident.id, at: now, actor: Self.system, kind: .events, detail: "events matching \(indicator.pattern)",
                        phrase: Phrase("timeline.matched", ["pattern": indicator.pattern])))
                continue
            }
            var events: [StoredEvent] = []
            for id in ids { if let stored = try await self.store.event(id: id) { events.append(stored) } }
            guard let first = events.first else { continue }
            let type = first.event["classification.type"]?.description ?? "undetermined"
            let tlp = max(indicator.tlp, events.compactMap { $0.event["tlp"].flatMap { TLP(label: $0.description) } }.max() ?? .clear)
            var organisations: [UUID] = []
            for stored in events { for organisation in stored.organisations where !organisations.contains(organisation) { organisations.append(organisation) } }
            let incident = try await self.create(
                Draft(title: "Indicator seen: \(indicator.name)", type: Taxonomy.canonicalType(type) ?? "undetermined", severity: .high, tlp: tlp,
                      organisations: organisations),
                events: ids, by: Self.system, groupKey: "indicator:\(indicatorID)")
            try await self.addNote(
                incident.id, "\(ids.count) event(s) match \(indicator.pattern) (\(indicator.id), from \(indicator.source), \(indicator.tlp.rawValue)).",
                by: Self.system)
            opened += 1
        }
        return (pairs.count, opened)
    }
}
