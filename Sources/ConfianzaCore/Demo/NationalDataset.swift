import ConfianzaNetwork
import Foundation

/// A national-size dataset for benchmarks (`confianza seed`): tens of thousands of organisations with
/// their networks, contacts and domains, and two years of incidents in every status with timelines and
/// notices. Made from a seed, so the same seed gives the same data (ids included). Addresses are private
/// and documentation space, domains `.example`.
public struct NationalScale: Sendable, Equatable {
    public var organisations: Int
    /// Networks per organisation on average (IPv4 /24–/28 and IPv6 /48).
    public var prefixesPerOrganisation: Int
    public var contactsPerOrganisation: Int
    public var incidents: Int
    public var events: Int
    /// How far back the incidents and events go.
    public var days: Int

    public init(organisations: Int, prefixesPerOrganisation: Int = 5, contactsPerOrganisation: Int = 2, incidents: Int, events: Int, days: Int = 730) {
        self.organisations = organisations
        self.prefixesPerOrganisation = prefixesPerOrganisation
        self.contactsPerOrganisation = contactsPerOrganisation
        self.incidents = incidents
        self.events = events
        self.days = days
    }

    /// About 20,000 organisations, 100,000 prefixes, 40,000 contacts, 100,000 incidents, 2,000,000 events.
    public static let national = NationalScale(organisations: 20_000, incidents: 100_000, events: 2_000_000)
}

/// One incident as the seeder writes it: the incident, its timeline, and the notices sent about it.
public struct SeededIncident: Sendable {
    public var incident: Incident
    public var timeline: [TimelineEntry]
    public var notices: [OutboxMessage]
}

public enum NationalDataset {
    /// A UUID drawn from the generator (version 4 bits set), so that ids are the same for the same seed.
    static func uuid(_ random: inout SeededRandom) -> UUID {
        let a = random.next()
        let b = random.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    static let places = [
        "Montevideo", "Salto", "Paysandú", "Las Piedras", "Rivera", "Maldonado", "Tacuarembó", "Melo", "Mercedes", "Artigas", "Minas", "San José",
        "Durazno", "Florida", "Barros Blancos", "Ciudad de la Costa", "San Carlos", "Colonia", "Fray Bentos", "Treinta y Tres", "Rocha", "Trinidad",
        "Young", "Carmelo", "Dolores", "Pando", "Canelones", "Bella Unión", "Santa Lucía", "Chuy", "Punta del Este", "Piriápolis", "Nueva Helvecia",
        "Juan Lacaze", "Rosario", "Tala", "Sarandí", "Castillos", "Lascano", "Río Branco",
    ]
    /// Name patterns per sector, `#` standing for a place.
    static let patterns: [(Sector, OrganisationKind, [String])] = [
        (.government, .public, ["Intendencia de #", "Municipio de #", "Junta Departamental de #", "Oficina Regional de #", "Registro Civil de #"]),
        (.finance, .private, ["Banco de #", "Cooperativa de Ahorro de #", "Caja Popular de #", "Financiera #", "Seguros #", "Casa de Cambio #"]),
        (.energy, .public, ["Usina de #", "Subestación #", "Distribuidora Eléctrica de #", "Parque Eólico #"]),
        (.health, .public, ["Hospital de #", "Policlínica de #", "Mutualista de #", "Laboratorio #", "Farmacia Central de #"]),
        (.telecom, .private, ["Cable #", "Fibra #", "Internet #", "Radio #", "Telecomunicaciones #"]),
        (.education, .academic, ["Liceo de #", "Escuela Técnica de #", "Colegio #", "Instituto de Formación Docente de #", "Centro Universitario de #"]),
        (.transport, .private, ["Terminal de Ómnibus de #", "Transportes #", "Puerto de #", "Logística #"]),
        (.water, .public, ["Planta Potabilizadora de #", "Saneamiento de #"]),
        (.digital, .private, ["Software #", "Datos #", "Nube #", "Hosting #", "Soluciones Digitales #"]),
        (.sme, .private, ["Supermercado #", "Ferretería #", "Estudio Contable #", "Hotel #", "Bodega #", "Panadería #", "Agencia de Viajes #"]),
        (.other, .nonprofit, ["Fundación #", "Club Social #", "Asociación Civil de #", "Sindicato de #"]),
    ]

    /// The constituency: organisations with their networks, a domain each and their contacts.
    public static func constituency(seed: UInt64, scale: NationalScale, now: Date) -> ConstituencyBatch {
        var random = SeededRandom(seed: seed)
        var batch = ConstituencyBatch()
        batch.organisations.reserveCapacity(scale.organisations)
        var used: [String: Int] = [:]
        var v4: UInt32 = 0x0A00_0000  // 10.0.0.0/8, handed out in order
        var v6: UInt128 = 0x2001_0db8_0000 << 80
        for index in 0..<scale.organisations {
            let (sector, kind, names) = Self.patterns[Int(random.next() % UInt64(Self.patterns.count))]
            let place = Self.places[Int(random.next() % UInt64(Self.places.count))]
            var name = names[Int(random.next() % UInt64(names.count))].replacingOccurrences(of: "#", with: place)
            let seen = used[name, default: 0]
            used[name] = seen + 1
            if seen > 0 { name += " Nº \(seen + 1)" }
            let created = now.addingTimeInterval(-Double(random.next() % UInt64(max(1, scale.days) * 86400)))
            let tlp: TLP = index % 17 == 0 ? .amberStrict : index % 41 == 0 ? .red : .amber
            let organisation = Organisation(
                id: Self.uuid(&random), name: name, sector: sector, country: "UY", kind: kind, tlpCeiling: tlp, createdAt: created)
            batch.organisations.append(organisation)
            let domain = "\(DemoRandom.slug(name)).example"
            batch.assets.append(OwnedAsset(id: Self.uuid(&random), organisationID: organisation.id, asset: .domain(domain)))
            // 1 to 2×average − 1 networks, most IPv4.
            let networks = 1 + Int(random.next() % UInt64(max(1, 2 * scale.prefixesPerOrganisation - 1)))
            for n in 0..<networks {
                if n > 0, random.next() % 10 == 0 {
                    batch.assets.append(OwnedAsset(id: Self.uuid(&random), organisationID: organisation.id, asset: .prefix(IPPrefix.demo(.v6(v6), 48))))
                    v6 += 1 << 80
                    continue
                }
                let length = 24 + Int(random.next() % 5)
                let size = UInt32(1) << UInt32(32 - length)
                v4 = (v4 + size - 1) / size * size
                if v4 >= 0x0B00_0000 { v4 = 0x0A00_0000 }  // wraps only past 16 million addresses
                batch.assets.append(OwnedAsset(id: Self.uuid(&random), organisationID: organisation.id, asset: .prefix(IPPrefix.demo(.v4(v4), length))))
                v4 += size
            }
            let roles: [(ContactRole, String, String)] = [(.security, "Seguridad", "seguridad"), (.abuse, "Abuse", "abuse"), (.escalation, "Guardia", "guardia")]
            for c in 0..<scale.contactsPerOrganisation {
                let (role, label, local) = roles[c % roles.count]
                let language = random.next() % 10 == 0 ? "en" : "es"
                let frequency: NotificationFrequency = random.next() % 5 == 0 ? .daily : .immediate
                batch.contacts.append(
                    Contact(
                        id: Self.uuid(&random), organisationID: organisation.id, name: "\(label) \(place)", email: "\(local)@\(domain)",
                        language: language, role: role, policy: NotificationPolicy(frequency: frequency)))
            }
        }
        return batch
    }

    static let kinds: [(type: String, title: String, weight: Int)] = [
        ("vulnerable-system", "Vulnerable service exposed", 30), ("infected-system", "Infected host", 20), ("scanner", "Scanning from", 12),
        ("phishing", "Phishing site hosted at", 10), ("brute-force", "Brute force from", 8), ("ddos", "DDoS against", 5),
        ("application-compromise", "Compromised web application at", 5), ("spam", "Spam sent from", 5), ("malware-distribution", "Malware served from", 3),
        ("data-leak", "Data leak at", 2),
    ]
    static let analysts = ["ana.garcia", "kwame.mensah", "samir.haddad", "lucia.pereira", "diego.silva", "fatou.diop", "marta.rojas", "ivan.petrov"]

    /// The incidents, oldest first, `count` of them starting at `first` (so they can be made in chunks).
    /// Older ones are mostly closed; recent ones in every status, some past their due dates.
    public static func incidents(
        seed: UInt64, scale: NationalScale, organisations: [Organisation], contacts: [UUID: [Contact]], now: Date, first: Int, count: Int,
        policy: SLAPolicy = .standard
    ) -> [SeededIncident] {
        let total = max(1, scale.incidents)
        let span = Double(scale.days) * 86400
        let weights = Self.kinds.reduce(0) { $0 + $1.weight }
        var out: [SeededIncident] = []
        out.reserveCapacity(count)
        for index in first..<min(total, first + count) {
            var random = SeededRandom(seed: seed &+ 0x9E37_79B9 &* UInt64(index + 1))
            // Later incidents are more frequent (the constituency grows); the last ones are hours old.
            let position = Double(index) / Double(total)
            let created = now.addingTimeInterval(-span * (1 - position.squareRoot()) - Double(random.next() % 3600))
            var pick = Int(random.next() % UInt64(weights))
            var kind = Self.kinds[0]
            for candidate in Self.kinds {
                if pick < candidate.weight { kind = candidate; break }
                pick -= candidate.weight
            }
            let severity: Severity = [.low, .medium, .medium, .medium, .high, .high, .critical][Int(random.next() % 7)]
            let tlp: TLP = [.green, .amber, .amber, .amber, .amberStrict, .red, .clear][Int(random.next() % 7)]
            let roll = random.next() % 20
            var named: [Organisation] = []
            if !organisations.isEmpty, roll > 0 {
                named.append(organisations[Int(random.next() % UInt64(organisations.count))])
                if roll == 1 { named.append(organisations[Int(random.next() % UInt64(organisations.count))]) }
            }
            let due = policy.dueDates(createdAt: created, severity: severity)
            let title = "\(kind.title) \(named.first?.name ?? "an unknown network")"
            let analyst = Self.analysts[Int(random.next() % UInt64(Self.analysts.count))]
            let age = now.timeIntervalSince(created)
            // Minutes to acknowledge (median about 40), hours to resolve (median about a day).
            let ack = 60 * (5 + Double(random.next() % 70) + (random.next() % 10 == 0 ? Double(random.next() % 600) : 0))
            let fix = 3600 * (1 + Double(random.next() % 40) + (random.next() % 8 == 0 ? Double(random.next() % 300) : 0))
            var status: IncidentStatus
            let r = random.next() % 100
            if age > 30 * 86400 {
                status = r < 88 ? .closed : r < 96 ? .resolved : r < 98 ? .inProgress : .waiting
            } else {
                status = [.new, .triaged, .inProgress, .waiting, .resolved, .closed][Int(r % 6)]
            }
            // Nothing happens after now: a status whose steps would end later falls back to the one before.
            func reached(_ status: IncidentStatus) -> TimeInterval {
                switch status {
                case .new: 0
                case .triaged: ack + 60
                case .inProgress: ack + 600
                case .waiting: ack + 4200
                case .resolved: ack + fix
                case .closed: ack + fix + 86400
                }
            }
            let fallback: [IncidentStatus: IncidentStatus] = [.closed: .resolved, .resolved: .inProgress, .waiting: .inProgress, .inProgress: .triaged, .triaged: .new]
            while reached(status) > age, let earlier = fallback[status] { status = earlier }
            var incident = Incident(
                id: NationalDataset.uuid(&random), title: title, taxonomy: Taxonomy.taxonomyOfType[kind.type] ?? "other", type: kind.type,
                severity: severity, tlp: tlp, organisations: named.map(\.id), assignee: status == .new ? nil : analyst, status: status,
                createdAt: created, triageDue: due.triage, resolveDue: due.resolve)
            var timeline = [
                TimelineEntry(
                    incidentID: incident.id, at: created, actor: "system", kind: .created, detail: "\(severity.rawValue) \(kind.type): \(title)",
                    phrase: Phrase("timeline.created", ["severity": severity.rawValue, "type": kind.type, "title": title]))
            ]
            var notices: [OutboxMessage] = []
            var at = created
            func move(_ from: IncidentStatus, _ to: IncidentStatus, after: TimeInterval) {
                at = at.addingTimeInterval(after)
                timeline.append(
                    TimelineEntry(
                        incidentID: incident.id, at: at, actor: analyst, kind: .status, detail: "\(from.rawValue) → \(to.rawValue)",
                        phrase: Phrase("timeline.moved", ["from_status": from.rawValue, "to_status": to.rawValue])))
            }
            if status != .new {
                move(.new, .triaged, after: ack)
                incident.triagedAt = at
                timeline.append(
                    TimelineEntry(incidentID: incident.id, at: at, actor: analyst, kind: .assignee, detail: analyst, phrase: Phrase("timeline.assigned", ["user": analyst])))
                if let organisation = named.first, let contact = contacts[organisation.id]?.first {
                    let sent = at.addingTimeInterval(60)
                    notices.append(
                        OutboxMessage(
                            id: NationalDataset.uuid(&random), incidentID: incident.id, organisationID: organisation.id, contactID: contact.id,
                            recipient: contact.email, language: contact.language, subject: "[CERTuy #\(index + 1)] \(title)",
                            body: "Estimados,\n\nDetectamos: \(title).\n", attachmentName: "events.csv", attachment: "", createdAt: at, state: .sent,
                            attempts: 1, nextAttemptAt: sent, sentAt: sent))
                    timeline.append(
                        TimelineEntry(
                            incidentID: incident.id, at: sent, actor: "system", kind: .notification, detail: "notification sent to \(contact.email)",
                            phrase: Phrase("timeline.sent", ["recipient": contact.email])))
                }
            }
            if [.inProgress, .waiting, .resolved, .closed].contains(status) { move(.triaged, .inProgress, after: 600) }
            if status == .waiting { move(.inProgress, .waiting, after: 3600) }
            if status == .resolved || status == .closed {
                move(.inProgress, .resolved, after: max(0, fix - 600))
                incident.resolvedAt = at
            }
            if status == .closed {
                move(.resolved, .closed, after: 86400)
                incident.closedAt = at
            }
            incident.updatedAt = at
            out.append(SeededIncident(incident: incident, timeline: timeline, notices: notices))
        }
        return out
    }
}
