import ConfianzaCore
import ConfianzaNetwork
import Foundation

/// Synthetic Shadowserver reports for `confianza demo`: a few days of several feeds, with addresses in
/// the demo constituency and outside it, repeats, and a couple of broken lines for the quarantine.
public enum DemoReports {
    public struct Report: Sendable {
        public var fileName: String
        public var text: String
    }

    public static func make(days: Int = 3, now: Date, addresses: [IPAddress]) -> [Report] {
        var random = SeededRandom(seed: 4130)
        var reports: [Report] = []
        let outside = (1...40).map { IPAddress.v4(0xCB00_7100 | UInt32($0)) }  // 203.0.113.1–40, partly unclaimed
        let pool = addresses.isEmpty ? outside : addresses
        func pick() -> String { (random.next() % 10 < 8 ? pool[Int(random.next() % UInt64(pool.count))] : outside[Int(random.next() % 40)]).description }
        for day in (0..<days).reversed() {
            let date = now.addingTimeInterval(-Double(day + 1) * 86400)
            let stamp = String(EventTime.format(date).prefix(10))
            func time(_ second: Int) -> String { "\(stamp) \(String(format: "%02d:%02d:%02d", second / 3600 % 24, second / 60 % 60, second % 60))" }

            var dns = "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"city\",\"naics\",\"hostname_source\",\"sector\",\"dns_version\",\"min_amplification\"\n"
            var lines: [String] = []
            for i in 0..<120 {
                lines.append("\"\(time(i * 311))\",\"medium\",\"\(pick())\",\"udp\",53,,\"openresolver\",\(64496 + i % 6),\"UY\",\"MONTEVIDEO\",\"MONTEVIDEO\",517311,\"rdns\",\"Communications\",\"dnsmasq-2.\(60 + i % 30)\",\"\(Double(i % 50) / 3.0 + 1)\"")
            }
            lines += lines.prefix(6)  // repeats, as daily reports have
            lines.append("\"\(time(99))\",\"medium\",\"10.0.0.999\",\"udp\",53,,\"openresolver\",64496,\"UY\",,,,,,,")
            dns += lines.joined(separator: "\n") + "\n"
            reports.append(Report(fileName: "\(stamp)-scan_dns-cert-uy-demo.csv", text: dns))

            var sinkhole = "\"timestamp\",\"protocol\",\"src_ip\",\"src_port\",\"src_asn\",\"src_geo\",\"src_region\",\"src_city\",\"src_hostname\",\"src_naics\",\"src_sector\",\"device_vendor\",\"device_type\",\"device_model\",\"severity\",\"dst_ip\",\"dst_port\",\"dst_asn\",\"dst_geo\",\"dst_region\",\"dst_city\",\"dst_hostname\",\"dst_naics\",\"dst_sector\",\"public_source\",\"infection\",\"family\",\"tag\",\"application\",\"version\",\"event_id\",\"ssl_cipher\",\"ssl_servername\"\n"
            let families = ["andromeda", "mirai", "necurs", "emotet", "qakbot"]
            for i in 0..<45 {
                let family = families[i % families.count]
                sinkhole += "\"\(time(i * 977))\",\"tcp\",\"\(pick())\",\(40000 + i),\(64496 + i % 6),\"UY\",,,,,,,,,\"critical\",\"192.0.2.\(200 + i % 50)\",80,64511,\"US\",,,,,,,\"\(family)\",\"\(family)\",,,,,,\n"
            }
            reports.append(Report(fileName: "\(stamp)-event4_sinkhole-cert-uy-demo.csv", text: sinkhole))

            var brute = "\"timestamp\",\"protocol\",\"src_ip\",\"src_port\",\"src_asn\",\"src_geo\",\"severity\",\"dst_ip\",\"dst_port\",\"service\",\"username\"\n"
            for i in 0..<30 {
                brute += "\"\(time(i * 1499))\",\"tcp\",\"\(pick())\",\(50000 + i),\(64496 + i % 6),\"UY\",\"critical\",\"192.0.2.10\",22,\"ssh\",\"\(["root", "admin", "ubnt"][i % 3])\"\n"
            }
            reports.append(Report(fileName: "\(stamp)-event4_honeypot_brute_force-cert-uy-demo.csv", text: brute))

            var blocklist = "\"timestamp\",\"ip\",\"asn\",\"geo\",\"source\",\"reason\"\n"
            for i in 0..<20 { blocklist += "\"\(time(i * 3001))\",\"\(pick())\",\(64496 + i % 6),\"UY\",\"demo-list\",\"spam source\"\n" }
            reports.append(Report(fileName: "\(stamp)-blocklist-cert-uy-demo.csv", text: blocklist))
        }
        return reports
    }
}
