import ConfianzaCore
import ConfianzaNetwork
import Foundation

/// A day of Shadowserver reports for the national dataset: open DNS resolvers and sinkholed infections
/// at hosts inside the constituency's IPv4 networks (a tenth outside any), from a seed.
public enum NationalReports {
    public static func day(_ date: Date, events: Int, networks: [IPPrefix], seed: UInt64) -> [DemoReports.Report] {
        var random = SeededRandom(seed: seed)
        let stamp = String(EventTime.format(date).prefix(10))
        func time(_ second: Int) -> String { "\(stamp) \(String(format: "%02d:%02d:%02d", second / 3600 % 24, second / 60 % 60, second % 60))" }
        func host() -> String {
            guard !networks.isEmpty, random.next() % 10 != 0 else { return IPAddress.v4(0xCB00_7100 | UInt32(random.next() % 254 + 1)).description }
            let network = networks[Int(random.next() % UInt64(networks.count))]
            guard case .v4(let base) = network.address else { return IPAddress.v4(0xCB00_7100 | 1).description }
            let size = UInt64(1) << UInt64(32 - network.length)
            return IPAddress.v4(base | UInt32(random.next() % size)).description
        }
        let dnsCount = events * 7 / 10
        var dns = "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"city\",\"naics\",\"hostname_source\",\"sector\",\"dns_version\",\"min_amplification\"\n"
        dns.reserveCapacity(dnsCount * 160)
        for i in 0..<dnsCount {
            dns += "\"\(time(Int(random.next() % 86400)))\",\"medium\",\"\(host())\",\"udp\",53,,\"openresolver\",\(64496 + i % 6),\"UY\",\"MONTEVIDEO\",\"MONTEVIDEO\",517311,\"rdns\",\"Communications\",\"dnsmasq-2.\(60 + i % 30)\",\"\(Double(i % 50) / 3.0 + 1)\"\n"
        }
        let families = ["andromeda", "mirai", "necurs", "emotet", "qakbot", "lokibot", "gamut"]
        var sinkhole = "\"timestamp\",\"protocol\",\"src_ip\",\"src_port\",\"src_asn\",\"src_geo\",\"src_region\",\"src_city\",\"src_hostname\",\"src_naics\",\"src_sector\",\"device_vendor\",\"device_type\",\"device_model\",\"severity\",\"dst_ip\",\"dst_port\",\"dst_asn\",\"dst_geo\",\"dst_region\",\"dst_city\",\"dst_hostname\",\"dst_naics\",\"dst_sector\",\"public_source\",\"infection\",\"family\",\"tag\",\"application\",\"version\",\"event_id\",\"ssl_cipher\",\"ssl_servername\"\n"
        for i in 0..<(events - dnsCount) {
            let family = families[Int(random.next() % UInt64(families.count))]
            sinkhole += "\"\(time(Int(random.next() % 86400)))\",\"tcp\",\"\(host())\",\(40000 + i % 20000),\(64496 + i % 6),\"UY\",,,,,,,,,\"critical\",\"192.0.2.\(200 + i % 50)\",80,64511,\"US\",,,,,,,\"\(family)\",\"\(family)\",,,,,,\n"
        }
        return [
            DemoReports.Report(fileName: "\(stamp)-scan_dns-national.csv", text: dns),
            DemoReports.Report(fileName: "\(stamp)-event4_sinkhole-national.csv", text: sinkhole),
        ]
    }
}
