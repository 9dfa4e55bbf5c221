import ConfianzaCore
import ConfianzaNetwork

/// The filters as a plain scan over events: the oracle every store's SQL answer must agree with.
extension EventQuery {

    func matches(_ stored: StoredEvent) -> Bool {
        let event = stored.event
        if let feed = self.feed, event["feed.name"]?.description != feed { return false }
        if let taxonomy = self.taxonomy, event["classification.taxonomy"]?.description != taxonomy { return false }
        if let type = self.classificationType, event["classification.type"]?.description != type { return false }
        if let severity = self.severity, event["severity"]?.description != severity { return false }
        if let organisation = self.organisation, !stored.organisations.contains(organisation) { return false }
        if let network = self.network {
            guard let text = event["source.ip"]?.description, let address = try? IPAddress(text), network.contains(address) else { return false }
        }
        if let asn = self.asn, event["source.asn"] != .integer(asn) { return false }
        if let since = self.since, stored.lastSeen < since { return false }
        if let until = self.until, stored.firstSeen >= until { return false }
        if let after = self.after, !(stored.lastSeen < after.lastSeen || (stored.lastSeen == after.lastSeen && stored.id < after.id)) { return false }
        return true
    }
}
