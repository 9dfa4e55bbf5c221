import ConfianzaNetwork
import Foundation

extension DemoData {
    /// A realistic constituency of about 300 organisations with a few thousand networks, all in
    /// documentation and private address space (RFC 1918, RFC 5737, RFC 6598, RFC 3849), documentation
    /// and private AS numbers, and `.example` domains. Deterministic: every demo has the same one.
    public static func constituency(now: Date) -> ConstituencyBatch {
        var random = DemoRandom(seed: 130)
        var batch = ConstituencyBatch()
        var v4Cursor: UInt32 = 0x0A00_0000  // 10.0.0.0, handed out in order
        var v6Cursor: UInt128 = 0x2001_0db8_0001 << 80  // 2001:db8:1::/48 onwards
        var nextASN: UInt32 = 65001
        var usedNames: Set<String> = []

        func organisation(_ name: String, _ sector: Sector, _ kind: OrganisationKind, tlp: TLP = .amber, notes: String = "") -> Organisation {
            let organisation = Organisation(name: name, sector: sector, country: "UY", kind: kind, notes: notes, tlpCeiling: tlp, createdAt: now)
            batch.organisations.append(organisation)
            usedNames.insert(name.lowercased())
            return organisation
        }
        func own(_ organisation: Organisation, _ asset: Asset, note: String = "") {
            batch.assets.append(OwnedAsset(organisationID: organisation.id, asset: asset, note: note))
        }
        func v4Block(_ length: Int) -> IPPrefix {
            let size = UInt32(1) << (32 - UInt32(length))
            v4Cursor = (v4Cursor + size - 1) / size * size  // align
            precondition(v4Cursor < 0x0B00_0000, "the demo outgrew 10.0.0.0/8")
            defer { v4Cursor += size }
            return IPPrefix.demo(.v4(v4Cursor), length)
        }
        func v6Block() -> IPPrefix {
            defer { v6Cursor += 1 << 80 }
            return IPPrefix.demo(.v6(v6Cursor), 48)
        }
        func contact(_ organisation: Organisation, _ name: String, _ local: String, _ domain: String, role: ContactRole, language: String,
                     frequency: NotificationFrequency, minimum: Severity = .low, types: [String] = []) {
            batch.contacts.append(
                Contact(
                    organisationID: organisation.id, name: name, email: "\(local)@\(domain)", language: language, role: role,
                    policy: NotificationPolicy(frequency: frequency, minimumSeverity: minimum, classificationTypes: types)))
        }

        // The national CERT: the last resort for anything in the country.
        let cert = organisation("CERTuy demo — national CSIRT", .government, .public, tlp: .red, notes: "Receives what no other organisation claims.")
        own(cert, .country("UY"), note: "national fallback")
        own(cert, .domain("cert.example"))
        contact(cert, "Guardia CSIRT", "guardia", "cert.example", role: .security, language: "es", frequency: .immediate)

        // Central government, with ministries under its domain.
        let government = organisation("Presidencia de la República (demo)", .government, .public, tlp: .amberStrict)
        own(government, .domain("gub.example"))
        own(government, .prefix(v4Block(20)))
        own(government, .prefix(v6Block()))
        contact(government, "Seguridad TI", "seguridad", "gub.example", role: .security, language: "es", frequency: .immediate)
        for ministry in ["Salud", "Economía", "Educación", "Interior", "Defensa", "Industria", "Trabajo", "Ambiente", "Turismo", "Transporte",
                         "Relaciones Exteriores", "Desarrollo Social", "Vivienda", "Ganadería", "Cultura"] {
            let slug = DemoRandom.slug(ministry)
            let organisation = organisation("Ministerio de \(ministry)", .government, .public)
            own(organisation, .domain("\(slug).gub.example"))
            for _ in 0..<random.int(3...8) { own(organisation, .prefix(v4Block(random.int(24...27)))) }
            contact(organisation, "Mesa de ayuda", "ti", "\(slug).gub.example", role: .abuse, language: "es", frequency: .daily)
        }

        // Operators: large blocks, AS numbers, and customers inside their space (longest prefix wins).
        let operators = [("Antel Demo", 64496), ("Claro Demo Uruguay", 64497), ("Movistar Demo", 64498), ("Dedicado Networks", 64499),
                         ("Red Universitaria Demo", 64500), ("Nube Sur Hosting", 64501)]
        var customerSpace: [(Organisation, UInt32)] = []
        for (index, (name, asn)) in operators.enumerated() {
            let slug = DemoRandom.slug(name)
            let isp = organisation(name, index == 4 ? .education : .telecom, index == 4 ? .academic : .private)
            own(isp, .asn(UInt32(asn)))
            own(isp, .asn(65100 + UInt32(index)), note: "private ASN for the backbone")
            let base: UInt32 = 0x6440_0000 + UInt32(index) << 18  // 100.64.0.0/10 split into /14s
            own(isp, .prefix(IPPrefix.demo(.v4(base), 14)), note: "shared address space (CGNAT)")
            own(isp, .prefix(IPPrefix.demo(.v4(0xAC10_0000 + UInt32(index) << 16), 16)))  // 172.16+i.0.0/16
            own(isp, .prefix(IPPrefix.demo(.v6((0x2001_0db8 << 96) | (UInt128(0xf0 + index) << 88)), 40)))
            own(isp, .domain("\(slug).example"))
            contact(isp, "Abuse desk", "abuse", "\(slug).example", role: .abuse, language: "es", frequency: .immediate)
            contact(isp, "NOC", "noc", "\(slug).example", role: .escalation, language: "en", frequency: .immediate, minimum: .high)
            customerSpace.append((isp, 0xAC10_0000 + UInt32(index) << 16))
        }

        // Banks, hospitals, utilities, universities, SMEs…
        let families: [(Sector, OrganisationKind, [String], [String], Int)] = [
            (.finance, .private, ["Banco", "Cooperativa de Ahorro", "Financiera", "Caja", "Seguros"],
             ["del Litoral", "Oriental", "del Plata", "Atlántico", "del Sur", "Ganadero", "Rural", "Comercial", "Popular", "Capital"], 30),
            (.health, .public, ["Hospital", "Policlínica", "Sanatorio", "Centro de Salud", "Mutualista"],
             ["San Martín", "Las Piedras", "del Cerro", "Pasteur", "Central", "Norte", "del Este", "Maciel", "Italiano", "Británico"], 35),
            (.energy, .public, ["Usina", "Parque Eólico", "Distribuidora Eléctrica", "Planta Solar", "Refinería"],
             ["Palmar", "Baygorria", "Salto Grande", "Punta del Tigre", "La Teja", "del Norte", "Colonia", "Rocha"], 18),
            (.water, .public, ["Obras Sanitarias", "Planta Potabilizadora"], ["Aguas Corrientes", "Laguna del Sauce", "Paysandú", "Rivera"], 6),
            (.transport, .private, ["Puerto", "Aeropuerto", "Terminal de Ómnibus", "Ferrocarril"],
             ["de Montevideo", "de Carrasco", "de Nueva Palmira", "Tres Cruces", "Central", "de Colonia"], 14),
            (.education, .academic, ["Universidad", "Instituto Tecnológico", "Liceo", "Escuela Técnica"],
             ["de la República (demo)", "del Norte", "del Este", "Regional Sur", "Nº 1", "Nº 35", "de Artes y Oficios"], 24),
            (.digital, .private, ["Software", "Datacenter", "Pagos Digitales", "Correo Seguro"], ["Andino", "Celeste", "Austral", "Pampa", "Charrúa"], 15),
            (.sme, .private, ["Panadería", "Estudio Contable", "Farmacia", "Ferretería", "Bodega", "Tienda", "Clínica Dental", "Inmobiliaria",
                              "Taller", "Librería"],
             ["La Esquina", "Don José", "El Sol", "Sarandí", "Artigas", "Colonial", "La Ribera", "El Prado", "Pocitos", "Cordón", "La Aguada",
              "Malvín"], 120),
            (.other, .nonprofit, ["Fundación", "Asociación", "ONG"], ["Ceibal Demo", "Derechos Digitales", "Vecinos del Cerro", "Ciencia Abierta"], 10),
        ]
        for (sector, kind, heads, tails, count) in families {
            var made = 0
            var attempt = 0
            while made < count && attempt < count * 20 {
                attempt += 1
                let name = "\(heads[random.int(0...(heads.count - 1))]) \(tails[random.int(0...(tails.count - 1))])"
                guard !usedNames.contains(name.lowercased()) else { continue }
                made += 1
                let slug = DemoRandom.slug(name)
                let organisation = organisation(
                    name, sector, kind, tlp: sector == .sme ? .green : (sector == .finance || sector == .health ? .amberStrict : .amber))
                own(organisation, .domain("\(slug).example"))
                let networks = sector == .sme ? random.int(1...3) : random.int(5...22)
                for _ in 0..<networks { own(organisation, .prefix(v4Block(random.int(sector == .sme ? 28...30 : 22...28)))) }
                if sector != .sme, random.int(0...2) == 0 { own(organisation, .prefix(v6Block())) }
                if sector == .finance || sector == .digital || sector == .energy, random.int(0...1) == 0 {
                    own(organisation, .asn(nextASN))
                    nextASN += 1
                }
                // Some hosted inside an operator's block.
                if random.int(0...3) == 0 {
                    let (_, base) = customerSpace[random.int(0...(customerSpace.count - 1))]
                    let offset = UInt32(random.int(0...255)) << 8
                    own(organisation, .prefix(IPPrefix.demo(.v4(base | offset), 24)), note: "hosted at an operator")
                }
                let language = random.int(0...9) == 0 ? "en" : "es"
                contact(organisation, sector == .sme ? "Titular" : "Responsable de seguridad", sector == .sme ? "contacto" : "seguridad",
                        "\(slug).example", role: sector == .sme ? .management : .security, language: language,
                        frequency: sector == .sme ? .weekly : .daily, minimum: sector == .sme ? .medium : .low)
                if sector != .sme, random.int(0...1) == 0 {
                    contact(organisation, "Mesa de ayuda", "abuse", "\(slug).example", role: .abuse, language: "es", frequency: .immediate,
                            types: ["phishing", "malware-distribution", "vulnerable-system"])
                }
            }
        }

        // The documentation ranges, which examples and tests use: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24.
        let documented: [(String, UInt32)] = [("Banco del Litoral", 0xC000_0200), ("Hospital San Martín", 0xC633_6400), ("Puerto de Montevideo", 0xCB00_7100)]
        for (name, base) in documented {
            var owner: Organisation
            if let existing = batch.organisations.first(where: { $0.name == name }) {
                owner = existing
            } else {
                owner = organisation(name, name.hasPrefix("Banco") ? .finance : (name.hasPrefix("Hospital") ? .health : .transport), .private)
                own(owner, .domain("\(DemoRandom.slug(name)).example"))
                contact(owner, "Responsable de seguridad", "seguridad", "\(DemoRandom.slug(name)).example", role: .security, language: "es",
                        frequency: .daily)
            }
            own(owner, .prefix(IPPrefix.demo(.v4(base), 25)), note: "documentation range")
            own(owner, .prefix(IPPrefix.demo(.v4(base | 0x80), 26)), note: "documentation range")
        }
        return batch
    }
}

extension IPPrefix {
    /// Demo prefixes are built aligned; a slip is a bug in the demo, shown plainly.
    static func demo(_ address: IPAddress, _ length: Int) -> IPPrefix {
        do { return try IPPrefix(address: address, length: length) } catch { preconditionFailure("demo prefix: \(error)") }
    }
}

/// The demo's random choices: seeded, so the demo is the same every time.
struct DemoRandom {
    private var generator: SeededRandom
    init(seed: UInt64) { self.generator = SeededRandom(seed: seed) }

    mutating func next() -> UInt64 { self.generator.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(self.next() % UInt64(range.count)) }

    /// `Banco del Litoral` → `banco-del-litoral`.
    static func slug(_ name: String) -> String {
        let folded = name.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en")).lowercased()
        var slug = ""
        for scalar in folded.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        return String(slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(50))
    }
}
